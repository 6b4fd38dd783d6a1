// tokens.mjs - an order's token never reaches a log (issue 10, point 6):
// the storefront keeps it in the URL fragment (order.html?id=N#token=T),
// which the browser never sends; an old link order.html?id=N&token=T still
// works and is rewritten to the fragment form; the page sends the token to
// the API in the X-Order-Token header only; the API still accepts ?token=
// (curl); and afterwards no file under $BAKERY_VAR/log contains a token,
// the access log included (it logs paths without their query string).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASE, RUN, addProduct, check, freshPage, invalidateProducts, retireProducts, run, same, test, textMatches,
} from './lib.mjs';

const CATEGORY = `test-${RUN}`;
const made = [];
const tokens = []; // every token of this run, to look for in the logs
const FRAGMENT_URL = /\/order\.html\?id=(\d+)#token=([0-9a-f]{32})$/;

// Every request the page sends, with the URL and headers as they go out.
function recordRequests(page) {
  const sent = [];
  page.on('request', (r) => sent.push({ url: r.url(), headers: r.headers() }));
  return sent;
}

function noTokenInUrls(sent, token, what) {
  const leaked = sent.filter((r) => r.url.includes(token));
  same(leaked.map((r) => r.url).join(' '), '', `${what}: no request URL carries the token`);
}

async function placeOrder(page, productId, who) {
  await page.goto('/');
  await page.locator(`article.product[data-product-id="${productId}"]`).getByRole('button', { name: /^Add to cart/ }).click();
  await page.getByLabel('Name', { exact: true }).fill(`${who} ${RUN}`);
  await page.getByLabel('Email', { exact: true }).fill(`${who}-${RUN}@example.com`);
  await page.locator('#place-order').click();
  await page.waitForURL(FRAGMENT_URL, { timeout: 15000 });
  await page.locator('#order').waitFor();
  const [, id, token] = page.url().match(FRAGMENT_URL);
  tokens.push(token);
  return { id: Number(id), token, email: `${who}-${RUN}@example.com` };
}

// Every regular file under dir, recursively.
function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) return filesUnder(path);
    return st.isFile() ? [path] : [];
  });
}

async function main() {
  const bun = addProduct({ name: `Token Bun ${RUN}`, category: CATEGORY, price_cents: 200, stock: 100000 });
  made.push(bun);
  invalidateProducts();
  let first;

  await test('a placed order opens at order.html?id=N#token=T, the token sent only as X-Order-Token', async (page) => {
    const sent = recordRequests(page);
    first = await placeOrder(page, bun, 'frag');
    await textMatches(page.locator('#order-customer'), new RegExp(first.email.replace(/[.]/g, '\\.')), 5000, 'the token shows the customer');
    same(new URL(await page.locator('#share-link').inputValue()).hash, `#token=${first.token}`, 'the link to share has the token in its fragment');
    noTokenInUrls(sent, first.token, 'checkout and order page');
    const api = sent.filter((r) => r.url.includes(`/api/orders/${first.id}`));
    check(api.length > 0, 'the page asked the API for the order');
    check(api.every((r) => r.headers['x-order-token'] === first.token), 'with the token in X-Order-Token');
    const links = await page.evaluate(() => JSON.parse(localStorage.getItem('bakery.orders.v1') ?? '[]'));
    check(links.some((o) => o.id === first.id), 'the order is remembered for My orders');
    await page.goto('/orders.html');
    const href = await page.locator(`li[data-order-id="${first.id}"] a.order-link`).getAttribute('href');
    same(href, `/order.html?id=${first.id}#token=${first.token}`, 'My orders links to the fragment form');
  });

  await test('an old link order.html?id=N&token=T still works and leaves the address bar in the fragment form', async (page) => {
    const o = await placeOrder(page, bun, 'oldlink');
    const other = await freshPage();
    try {
      const sent = recordRequests(other);
      await other.goto(`/order.html?id=${o.id}&token=${o.token}`);
      await textMatches(other.locator('#order-customer'), new RegExp(o.email.replace(/[.]/g, '\\.')), 5000, 'the old link shows the customer');
      same(other.url(), `${BASE}/order.html?id=${o.id}#token=${o.token}`, 'the address is rewritten to the fragment form');
      await other.reload();
      await textMatches(other.locator('#order-customer'), new RegExp(o.email.replace(/[.]/g, '\\.')), 5000, 'and works on reload');
      const apiCalls = sent.filter((r) => r.url.includes('/api/'));
      check(apiCalls.length > 0 && apiCalls.every((r) => !r.url.includes(o.token)), 'no API request carries the token in its URL');
    } finally {
      await other.context().close();
    }
  });

  await test('the API still takes ?token= (curl), and no log file holds any token of this run', async () => {
    const res = await fetch(`${BASE}/api/orders/${first.id}?token=${first.token}`);
    same(res.status, 200, 'GET /api/orders/N?token=T');
    same((await res.json()).customer_email, first.email, 'the query token shows the customer');
    const cancel = await fetch(`${BASE}/api/orders/${first.id}/cancel?token=${first.token}`, { method: 'POST' });
    check([200, 409].includes(cancel.status), `POST …/cancel?token=T answered ${cancel.status}`);
    // The access log is written as requests end, the others as they happen.
    await new Promise((r) => setTimeout(r, 500));
    const dir = join(process.env.BAKERY_VAR ?? '', 'log');
    const files = filesUnder(dir);
    check(files.some((f) => f.endsWith('nginx-access.log')), `the access log is among ${files.length} files in ${dir}`);
    const access = readFileSync(join(dir, 'nginx-access.log'), 'utf8');
    check(access.includes(`"GET /api/orders/${first.id} HTTP/1.1"`), 'the access log has the GET, by its path');
    same(access.split('\n').filter((l) => l.includes('?')).slice(0, 3).join('\n'), '', 'no access log line has a query string');
    for (const f of files) {
      const text = readFileSync(f, 'latin1');
      for (const t of tokens) same(text.includes(t), false, `${f} does not contain token ${t.slice(0, 6)}…`);
    }
  });
}

run(main, async () => retireProducts(made));
