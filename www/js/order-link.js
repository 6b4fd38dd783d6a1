// order-link.js - the address of an order's page: order.html?id=N#token=T.
// The token is the customer's capability. It lives in the URL fragment,
// which browsers never send to a server: it stays out of access logs,
// proxies and Referer headers (the page sends it to the API as the
// X-Order-Token header). Links of the older form order.html?id=N&token=T
// keep working: orderLinkParams reads the token from the query too, and
// the order page then rewrites its address to the fragment form.

// The link to order id, with its token when there is one (a URL object).
export function orderLink(id, token) {
  const url = new URL('/order.html', window.location.href);
  url.searchParams.set('id', String(id));
  if (token) url.hash = new URLSearchParams({ token }).toString();
  return url;
}

// {id, token} (strings, '' when absent) from an order page's address: the
// token from the fragment, else from the query (an old link).
export function orderLinkParams(location = window.location) {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  return { id: query.get('id') ?? '', token: fragment.get('token') || query.get('token') || '' };
}
