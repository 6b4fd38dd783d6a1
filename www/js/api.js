// api.js - the only module that knows the API's endpoints and its error
// shape ({"error": sentence, "code": machine code, "field"?: input path}).
// Every call resolves to the decoded JSON or rejects with an ApiError.

const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  // status: HTTP status, 0 when the server could not be reached.
  // code: the API's machine code ("invalid_email", ...), or "network",
  // "timeout", "http_<status>" when the answer was not the API's.
  // field: the input to blame ("customer_email", "items[0].quantity") or null.
  constructor(message, { status = 0, code = 'network', field = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }

  // True when the request may not have reached the API or its answer was
  // lost: the same request (same Idempotency-Key) may be sent again.
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

const FALLBACK = {
  0: 'We could not reach the bakery. Please check your connection and try again.',
  404: 'We could not find that.',
  429: 'We are very busy right now. Please wait a moment and try again.',
  503: 'The bakery is briefly unavailable. Please try again in a moment.',
};

function fallbackMessage(status) {
  if (FALLBACK[status]) return FALLBACK[status];
  if (status >= 500) return 'Something went wrong on our side. Please try again.';
  return `The request failed (HTTP ${status}).`;
}

async function request(method, path, { body, headers = {} } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const init = {
    method,
    headers: { Accept: 'application/json', ...headers },
    signal: controller.signal,
    cache: method === 'GET' && path.startsWith('/api/products') ? 'no-cache' : 'no-store',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  let text;
  try {
    res = await fetch(path, init);
    text = await res.text();
  } catch (err) {
    const timedOut = err?.name === 'AbortError';
    throw new ApiError(
      timedOut ? 'The bakery took too long to answer. Please try again.' : FALLBACK[0],
      { status: 0, code: timedOut ? 'timeout' : 'network' },
    );
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const apiShape = data && typeof data === 'object' && typeof data.error === 'string';
    throw new ApiError(apiShape && data.error ? data.error : fallbackMessage(res.status), {
      status: res.status,
      code: apiShape && typeof data.code === 'string' ? data.code : `http_${res.status}`,
      field: apiShape && typeof data.field === 'string' ? data.field : null,
    });
  }
  if (data === null) {
    throw new ApiError(fallbackMessage(502), { status: res.status, code: 'bad_response' });
  }
  return data;
}

function orderPath(id) {
  return `/api/orders/${encodeURIComponent(id)}`;
}

// The token travels in a header, not the URL, so it stays out of logs.
function tokenHeader(token) {
  return token ? { 'X-Order-Token': token } : {};
}

// [{id, name, description, category, price, stock}], by category then name.
export function listProducts() {
  return request('GET', '/api/products');
}

// order: {customer_name, customer_email, items: [{product_id, quantity}]}.
// The same idempotencyKey always yields the same order, never a second one.
// Resolves to {order_id, status, total_amount, token}.
export function placeOrder(order, idempotencyKey) {
  return request('POST', '/api/orders', {
    body: order,
    headers: { 'Idempotency-Key': idempotencyKey },
  });
}

// {order_id, status, total_amount, created_at, updated_at, items, history,
// failure_reason?, customer_name?, customer_email?} (customer fields only
// with the token).
export function getOrder(id, token) {
  return request('GET', orderPath(id), { headers: tokenHeader(token) });
}

// Resolves to the cancelled order; 409 invalid_state once processing began.
export function cancelOrder(id, token) {
  return request('POST', `${orderPath(id)}/cancel`, { headers: tokenHeader(token) });
}
