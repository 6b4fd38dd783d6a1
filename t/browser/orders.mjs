// orders.mjs - following orders in headless Chromium: cancelling a pending
// order (and being refused once processing began), the page following
// status changes live, "My orders", the shareable order link, and an
// unknown order. The worker is stopped while orders must stay pending.
import {
  RUN, addProduct, check, diag, freshPage, invalidateOrder, invalidateProducts, retireProducts, run, same, sql, stack, test, textMatches, until,
} from './lib.mjs';

const CATEGORY = `test-${RUN}`;
const made = [];
const placed = []; // {id, url, email}
let workerStopped = false;

const card = (page, id) => page.locator(`article.product[data-product-id="${id}"]`);

async function placeOrder(page, productId, who, remember = true) {
  await page.goto('/');
  await card(page, productId).getByRole('button', { name: /^Add to cart/ }).click();
  const email = `${who}-${RUN}@example.com`;
  await page.getByLabel('Name', { exact: true }).fill(`${who} ${RUN}`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.locator('#place-order').click();
  await page.waitForURL(/\/order\.html\?id=\d+#token=[0-9a-f]+$/, { timeout: 15000 });
  await page.locator('#order').waitFor();
  const order = { id: Number(new URL(page.url()).searchParams.get('id')), url: page.url(), email };
  if (remember) placed.push(order);
  return order;
}

function statusOf(id) {
  return sql(`SELECT status FROM orders WHERE id = :'id'::bigint;`, { id })[0][0];
}

// Moves an order on by hand, as the (stopped) worker would, with history.
function moveOrder(id, to, reason) {
  sql(`WITH o AS (SELECT status FROM orders WHERE id = :'id'::bigint),
        u AS (UPDATE orders SET status = :'to', updated_at = now() WHERE id = :'id'::bigint)
        INSERT INTO order_history (order_id, from_status, to_status, reason)
        SELECT :'id'::bigint, o.status, :'to', :'reason' FROM o;`, { id, to, reason });
  invalidateOrder(id);
}

function stopWorker() {
  const r = stack('stop', 'worker');
  if (r.status !== 0) throw new Error(`scripts/stack.sh stop worker failed (${r.status}): ${r.output.trim()}`);
  workerStopped = true;
}

function startWorker() {
  if (!workerStopped) return;
  const r = stack('start', 'worker');
  if (r.status !== 0) throw new Error(`scripts/stack.sh start worker failed (${r.status}): ${r.output.trim()}`);
  workerStopped = false;
}

async function main() {
  const bun = addProduct({ name: `Test Bun ${RUN}`, category: CATEGORY, price_cents: 150, stock: 100000 });
  made.push(bun);
  invalidateProducts();
  // One browser "profile" places the orders, so My orders has them.
  const shopper = await freshPage();
  const orders = {};

  stopWorker();
  try {
    await test('a pending order can be cancelled from its page', async (page) => {
      const o = await placeOrder(page, bun, 'cancel');
      orders.cancelled = o;
      await textMatches(page.locator('#order-status .badge'), /^Received$/, 5000, 'status Received (pending)');
      await page.getByRole('button', { name: 'Cancel order' }).click();
      await page.getByRole('button', { name: 'Keep my order' }).click();
      await page.getByRole('button', { name: 'Cancel order' }).click();
      check((await page.locator('.confirm-question').textContent()).includes(`#${o.id}`), 'asks to confirm');
      await page.getByRole('button', { name: 'Yes, cancel order' }).click();
      await textMatches(page.locator('#order-status .badge'), /^Cancelled$/, 5000, 'status Cancelled');
      await textMatches(page.locator('#action-message'), /has been cancelled/, 5000, 'confirmation message');
      await textMatches(page.locator('#order-history li').last(), /Cancelled.*cancelled by the customer/s, 5000, 'history');
      await textMatches(page.locator('#order-live'), /final status/, 5000, 'polling stopped');
      same(await page.locator('#cancel-order').count(), 0, 'no cancel button any more');
      same(statusOf(o.id), 'cancelled', 'cancelled in the database');
    }, { page: shopper });

    await test('once processing began, cancelling is refused with a readable message', async (page) => {
      const o = await placeOrder(page, bun, 'late-cancel');
      orders.processing = o;
      // The page keeps seeing "pending" while the order moves on behind it.
      let stale = null;
      const path = `/api/orders/${o.id}`;
      await page.route(`**${path}`, async (route) => {
        if (route.request().method() !== 'GET') return route.continue();
        if (stale === null) return route.continue();
        return route.fulfill({ status: 200, contentType: 'application/json', body: stale });
      });
      stale = await page.evaluate(async ({ p, t }) => (await fetch(p, { headers: { 'X-Order-Token': t } })).text(),
        { p: path, t: new URLSearchParams(new URL(o.url).hash.slice(1)).get('token') });
      moveOrder(o.id, 'processing', 'test: taken by a worker');
      await page.getByRole('button', { name: 'Cancel order' }).click();
      stale = null;
      await page.getByRole('button', { name: 'Yes, cancel order' }).click();
      await textMatches(page.locator('#action-message'), /processing and can no longer be cancelled/, 5000, "the API's 409 message");
      await textMatches(page.locator('#order-status .badge'), /^Being prepared$/, 10000, 'the page catches up');
      same(await page.locator('#cancel-order').count(), 0, 'no cancel button');
      same(statusOf(o.id), 'processing', 'not cancelled');
    }, { page: shopper });

    await test('the order page polls with backoff, follows changes live and stops at the final one', async (page) => {
      // A fake clock (timers only move when told) makes the polling
      // schedule observable without waiting for it in real time.
      await page.clock.install();
      const o = await placeOrder(page, bun, 'live', false);
      const polls = [];
      let inFlight = 0;
      const isPoll = (r) => r.method() === 'GET' && new URL(r.url()).pathname === `/api/orders/${o.id}`;
      page.on('request', (r) => { if (isPoll(r)) { polls.push(r); inFlight += 1; } });
      const done = (r) => { if (isPoll(r)) inFlight -= 1; };
      page.on('requestfinished', done);
      page.on('requestfailed', done);
      const settle = () => until(() => inFlight === 0, 5000, 'the poll in flight to finish');
      const advance = async (ms, step = 250) => {
        for (let t = 0; t < ms; t += step) {
          await page.clock.runFor(step);
          await settle();
        }
      };
      await textMatches(page.locator('#order-status .badge'), /^Received$/, 5000, 'Received');
      await textMatches(page.locator('#order-live'), /updates by itself/, 5000, 'says it is live');
      let n = polls.length;
      await advance(30000);
      const inWindow = polls.length - n;
      check(inWindow >= 4 && inWindow <= 9, `polls in 30 s without a change: ${inWindow} (backoff from 1 s to 15 s: about 6)`);
      moveOrder(o.id, 'processing', 'test: taken by a worker');
      await until(async () => {
        await advance(1000);
        return (await page.locator('#order-status .badge').textContent()) === 'Being prepared';
      }, 10000, 'Being prepared, without a reload');
      same(await page.locator('#cancel-order').count(), 0, 'cancel button gone while processing');
      n = polls.length;
      await advance(1250);
      same(polls.length - n, 1, 'after a change the next poll comes 1 s later again');
      moveOrder(o.id, 'completed', 'test: paid');
      await until(async () => {
        await advance(1000);
        return (await page.locator('#order-status .badge').textContent()) === 'Completed';
      }, 10000, 'Completed, without a reload');
      await textMatches(page.locator('#order-live'), /final status/, 5000, 'says it stopped');
      same(await page.locator('#order-history li').count(), 3, 'three history entries');
      n = polls.length;
      await advance(120000, 5000);
      const marker = `/api/health?marker=${RUN}`;
      const seen = [];
      page.on('request', (r) => seen.push(r.url()));
      await page.evaluate(async (m) => { await fetch(m); }, marker);
      await until(() => seen.some((u) => u.includes(marker)), 5000, 'the marker request');
      same(polls.length - n, 0, 'no poll in the 2 minutes after the final status');
    });
  } finally {
    try {
      startWorker();
    } catch (err) {
      diag(err.message);
    }
    // The order moved to processing by hand would stay there: close it.
    if (orders.processing) {
      moveOrder(orders.processing.id, 'failed', 'test: closed by the browser test');
    }
  }

  await test('"My orders" lists the orders placed from this browser with their status', async (page) => {
    await page.goto('/orders.html');
    const rows = page.locator('#orders-list li.order-row');
    await until(async () => (await rows.count()) === placed.length, 5000, `${placed.length} orders listed`);
    const ids = await rows.evaluateAll((lis) => lis.map((li) => Number(li.dataset.orderId)));
    same(JSON.stringify(ids), JSON.stringify(placed.map((o) => o.id).sort((a, b) => b - a)), 'newest first');
    const row = rows.filter({ has: page.locator(`a:text-is("Order #${orders.cancelled.id}")`) });
    await textMatches(row.locator('.badge'), /^Cancelled$/, 10000, 'current status of the cancelled order');
    await textMatches(row.locator('.order-details'), /1 item · \$1\.50/, 5000, 'items and total');
    await row.getByRole('link').click();
    await page.waitForURL(/\/order\.html\?id=\d+#token=/);
    await textMatches(page.locator('#order-status .badge'), /^Cancelled$/, 5000, 'the link opens the order');
    await page.goBack();
    const gone = orders.processing.id;
    await page.getByRole('button', { name: `Remove order #${gone} from this list` }).click();
    await until(async () => (await rows.count()) === placed.length - 1, 5000, 'one row fewer');
    same(await page.locator(`li[data-order-id="${gone}"]`).count(), 0, 'that order is gone');
    await page.reload();
    await until(async () => (await rows.count()) === placed.length - 1, 5000, 'removal kept');
  }, { page: shopper });

  await test('another browser: empty "My orders"', async (page) => {
    await page.goto('/orders.html');
    await page.locator('#orders-empty').waitFor();
    check((await page.locator('#orders-empty').textContent()).includes('not placed any orders'), 'empty state');
  });

  await test('a shared order link works in another browser and on reload', async (page) => {
    const o = orders.cancelled;
    await page.goto(o.url);
    await textMatches(page.locator('#order-title'), new RegExp(`^Order #${o.id}$`), 5000, 'the order');
    await textMatches(page.locator('#order-customer'), new RegExp(o.email.replace(/[.]/g, '\\.')), 5000, 'the token shows the customer');
    await textMatches(page.locator('#order-status .badge'), /^Cancelled$/, 5000, 'its status');
    same(await page.locator('#order-items tbody tr').count(), 1, 'its items');
    await page.reload();
    await textMatches(page.locator('#order-status .badge'), /^Cancelled$/, 5000, 'after reload');
    same(await page.locator('#share-link').inputValue(), o.url, 'the link to share is this one');
    // Without the token: status and items, no customer, no cancelling.
    await page.goto(`/order.html?id=${o.id}`);
    await textMatches(page.locator('#order-status .badge'), /^Cancelled$/, 5000, 'status without token');
    check(await page.locator('#order-customer').isHidden(), 'no customer details without the token');
  });

  await test('an unknown order, or a link without one, says so', async (page) => {
    await page.goto('/order.html?id=999999999999');
    await textMatches(page.locator('#order-error'), /could not find order #999999999999/, 10000, 'not found');
    await page.goto('/order.html?id=abc');
    await textMatches(page.locator('#order-error'), /does not name an order/, 5000, 'bad link');
  });

  await shopper.context().close();
}

run(main, async () => {
  try {
    startWorker();
  } finally {
    retireProducts(made);
  }
});
