// staff.mjs - the staff pages doing their job in headless Chromium, each
// checked where the customer sees it: a price change reaches the
// storefront, a refund reaches the customer's order page, a product taken
// off sale leaves the storefront. Also: /staff/ pages send the browser to
// the login and back, API errors are shown readably (422 with its input
// marked, 409 for a second refund), the dashboard follows new orders live,
// and logging out ends the session. Screenshots of the dashboard go to t/out/.
import {
  RUN, addProduct, apiPlaceOrder, check, createStaff, freshPage, invalidateProducts, retireProducts, run, same,
  screenshot, sql, staffLogin, test, textMatches, until,
} from './lib.mjs';

const CATEGORY = `test-${RUN}`;
const STAFF = `staff-${RUN}`;
const PASSWORD = `pw-${RUN}-long-enough`;
const made = [];

const card = (page, id) => page.locator(`article.product[data-product-id="${id}"]`);
const productRow = (page, id) => page.locator(`li.product-row[data-product-id="${id}"]`);
const orderRow = (page, id) => page.locator(`li.order-item[data-order-id="${id}"]`);

function statusOf(id) {
  return sql(`SELECT status FROM orders WHERE id = :'id'::bigint;`, { id })[0][0];
}

function stockOf(id) {
  return Number(sql(`SELECT stock FROM products WHERE id = :'id'::bigint;`, { id })[0][0]);
}

async function completedOrder(productId, who) {
  const email = `${who}-${RUN}@example.com`;
  const o = await apiPlaceOrder([{ product_id: productId, quantity: 2 }], email, `${who} ${RUN}`);
  await until(() => statusOf(o.order_id) === 'completed', 20000, `order ${o.order_id} completed by the worker`);
  return { ...o, email };
}

async function main() {
  createStaff(STAFF, PASSWORD);
  const loaf = addProduct({ name: `Test Loaf ${RUN}`, category: CATEGORY, price_cents: 300, stock: 500 });
  const roll = addProduct({ name: `Test Roll ${RUN}`, category: CATEGORY, price_cents: 90, stock: 500 });
  made.push(loaf, roll);
  invalidateProducts();
  const staff = await freshPage();

  await test('a staff page without a session leads to the login, and back after it', async (page) => {
    await page.goto('/staff/products.html');
    await page.waitForURL(/\/staff\/\?next=%2Fstaff%2Fproducts\.html$/, { timeout: 10000 });
    await staffLogin(page, STAFF, PASSWORD, { from: page.url() });
    await page.waitForURL(/\/staff\/products\.html$/, { timeout: 10000 });
    await textMatches(page.locator('#staff-user'), new RegExp(`Signed in as ${STAFF}`), 5000, 'who is signed in');
  }, { page: staff });

  await test('a staff member changes a price, and the storefront shows it', async (page) => {
    const shop = await freshPage();
    try {
      await shop.goto('/');
      await textMatches(card(shop, loaf).locator('.price'), /^\$3\.00$/, 10000, 'the old price first');
      await page.goto('/staff/products.html');
      const row = productRow(page, loaf);
      await row.getByLabel(`Price ($) of Test Loaf ${RUN}`).fill('4.25');
      await row.getByRole('button', { name: `Save Test Loaf ${RUN}` }).click();
      await textMatches(row.locator('.form-message'), /Saved: .*\$4\.25/, 10000, 'saved');
      same(sql(`SELECT price_cents FROM products WHERE id = :'id'::bigint;`, { id: loaf })[0][0], '425', 'price in the database');
      await shop.reload();
      await textMatches(card(shop, loaf).locator('.price'), /^\$4\.25$/, 10000, 'the new price on the storefront');
    } finally {
      await shop.context().close();
    }
  }, { page: staff });

  await test('an invalid price is refused with the price input marked (422)', async (page) => {
    await page.goto('/staff/products.html');
    const row = productRow(page, loaf);
    const price = row.getByLabel(`Price ($) of Test Loaf ${RUN}`);
    await price.fill('0');
    await row.getByRole('button', { name: `Save Test Loaf ${RUN}` }).click();
    await until(async () => (await price.getAttribute('aria-invalid')) === 'true', 10000, 'the price marked invalid');
    const msg = await row.locator('.form-message').textContent();
    check(/price/i.test(msg) && (await row.locator('.form-message.is-error').count()) === 1, `a readable error: ${msg}`);
    same(await page.evaluate(() => document.activeElement?.name), 'price', 'focus on the price');
    same(sql(`SELECT price_cents FROM products WHERE id = :'id'::bigint;`, { id: loaf })[0][0], '425', 'price unchanged');
  }, { page: staff });

  await test('a staff member takes a product off sale, and it leaves the storefront', async (page) => {
    const shop = await freshPage();
    try {
      await shop.goto('/');
      await card(shop, roll).waitFor();
      await page.goto('/staff/products.html');
      const row = productRow(page, roll);
      await row.getByRole('button', { name: `Take off sale Test Roll ${RUN}` }).click();
      await textMatches(row.locator('.form-message'), /off sale/, 10000, 'confirmed');
      await textMatches(row.locator('.state'), /^Not on sale$/, 5000, 'row says so');
      await shop.reload();
      await card(shop, loaf).waitFor();
      same(await card(shop, roll).count(), 0, 'the product is gone from the storefront');
      await row.getByRole('button', { name: `Put on sale Test Roll ${RUN}` }).click();
      await textMatches(row.locator('.state'), /^On sale$/, 10000, 'back on sale');
      await shop.reload();
      await card(shop, roll).waitFor({ timeout: 10000 });
    } finally {
      await shop.context().close();
    }
  }, { page: staff });

  await test('a staff member adds a product, and the storefront shows it', async (page) => {
    await page.goto('/staff/products.html');
    await page.getByLabel('Name', { exact: true }).fill(`Test Tart ${RUN}`);
    await page.getByLabel('Category', { exact: true }).fill(CATEGORY);
    await page.getByLabel('Description', { exact: true }).fill('Added from the staff page.');
    await page.getByLabel('Price ($)', { exact: true }).fill('2.75');
    await page.getByLabel('Stock', { exact: true }).fill('12');
    await page.getByRole('button', { name: 'Add product' }).click();
    const text = await textMatches(page.locator('#create-message'), /^Added Test Tart .* \(#\d+\)\.$/, 10000, 'added');
    const id = Number(text.match(/#(\d+)/)[1]);
    made.push(id);
    await productRow(page, id).waitFor();
    const shop = await freshPage();
    try {
      await shop.goto('/');
      await textMatches(card(shop, id).locator('.price'), /^\$2\.75$/, 10000, 'on the storefront');
    } finally {
      await shop.context().close();
    }
  }, { page: staff });

  let refunded = null;
  await test('a staff member refunds a completed order: the customer sees refunded, stock comes back', async (page) => {
    const o = await completedOrder(loaf, 'refund');
    refunded = o;
    const stock = stockOf(loaf);
    const stale = await freshPage();
    try {
      // A second staff page, opened before the refund, tries it again later.
      await stale.context().addCookies(await page.context().cookies());
      await stale.goto(`/staff/orders.html?email=${encodeURIComponent(o.email)}`);
      await orderRow(stale, o.order_id).getByRole('button', { name: `Refund order #${o.order_id}` }).waitFor();

      await page.goto('/staff/orders.html');
      await page.getByLabel('Customer email', { exact: true }).fill(o.email);
      await page.getByLabel('Status', { exact: true }).selectOption('completed');
      await page.getByRole('button', { name: 'Show orders' }).click();
      const row = orderRow(page, o.order_id);
      await textMatches(row.locator('.customer'), new RegExp(o.email.replace(/\./g, '\\.')), 10000, 'the customer');
      await row.getByRole('button', { name: `Refund order #${o.order_id}` }).click();
      await row.getByRole('button', { name: `Yes, refund order #${o.order_id}` }).click();
      await textMatches(row.locator('.form-message'), new RegExp(`Order #${o.order_id} is refunded`), 10000, 'refunded');
      await textMatches(row.locator('.status'), /^refunded$/, 5000, 'badge');
      same(statusOf(o.order_id), 'refunded', 'refunded in the database');
      same(stockOf(loaf), stock + 2, 'stock restored');
      await row.getByRole('button', { name: `Details of order #${o.order_id}` }).click();
      await textMatches(row.locator('.timeline'), /completed → refunded/, 10000, 'history shows the refund');

      const customer = await freshPage();
      try {
        await customer.goto(`/order.html?id=${o.order_id}&token=${o.token}`);
        await textMatches(customer.locator('#order-status .badge'), /^Refunded$/, 10000, "the customer's page says refunded");
      } finally {
        await customer.context().close();
      }

      const srow = orderRow(stale, o.order_id);
      await srow.getByRole('button', { name: `Refund order #${o.order_id}` }).click();
      await srow.getByRole('button', { name: `Yes, refund order #${o.order_id}` }).click();
      const msg = await textMatches(srow.locator('.form-message'), /^Refund refused: /, 10000, 'the 409 shown');
      check(/refund/i.test(msg.replace(/^Refund refused: /, '')), `the API's reason is readable: ${msg}`);
      await textMatches(srow.locator('.status'), /^refunded$/, 10000, 'the stale row catches up');
      same(stockOf(loaf), stock + 2, 'stock restored once only');
    } finally {
      await stale.context().close();
    }
  }, { page: staff });

  await test('the dashboard shows the summary and follows today’s orders live', async (page) => {
    await page.goto('/staff/dashboard.html');
    if (refunded) await page.locator(`#today-orders tr[data-order-id="${refunded.order_id}"]`).waitFor({ timeout: 10000 });
    await page.locator('#summary-days tbody tr').first().waitFor();
    await textMatches(page.locator('#today-live'), /^Live/, 10000, 'says it is live');
    const o = await completedOrder(roll, 'dash');
    await page.locator(`#today-orders tr[data-order-id="${o.order_id}"]`).waitFor({ timeout: 40000 });
    await textMatches(page.locator(`#today-orders tr[data-order-id="${o.order_id}"]`), /completed/, 40000, 'its status');
    // Other tests' rushes may outsell ours: today's completed orders are
    // what is certain, and some top product.
    const day = new Date();
    const today = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    await textMatches(page.locator('#summary-days tbody tr', { hasText: today }).locator('td').first(), /^[1-9]\d*$/, 40000,
      "today's completed orders counted");
    await page.locator('#summary-top tbody tr').first().waitFor();
    await screenshot(page, 'dashboard');
    await page.setViewportSize({ width: 375, height: 740 });
    await screenshot(page, 'dashboard-375');
  }, { page: staff });

  await test('logging out ends the session', async (page) => {
    await page.goto('/staff/dashboard.html');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/staff\/$/);
    await page.goto('/staff/orders.html');
    await page.waitForURL(/\/staff\/\?next=/);
  }, { page: staff });

  await test('a wrong password is refused with a readable message', async (page) => {
    await staffLogin(page, STAFF, 'not-the-password');
    await textMatches(page.locator('#login-error'), /do not match|try again/i, 10000, 'the message');
    check(/\/staff\/(\?.*)?$/.test(page.url()), `still on the login page: ${page.url()}`);
    same(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'password cleared');
  });

  await staff.context().close();
}

run(main, async () => retireProducts(made));
