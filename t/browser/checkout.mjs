// checkout.mjs - checking out in headless Chromium: inline validation with
// the API's rules, the API's own errors next to the right field or cart
// line, one order per Idempotency-Key (double click, retry after a lost
// answer), and the order page following the order to completed or failed.
import {
  RUN, addProduct, check, invalidateProducts, retireProducts, run, same, sql, test, textMatches, until,
} from './lib.mjs';

const CATEGORY = `test-${RUN}`;
const made = [];
// The worker completes or fails an order within its payment delay; the
// deadline leaves room for a slow, sanitizer-built stack.
const FINAL_WITHIN_MS = 30000;

const card = (page, id) => page.locator(`article.product[data-product-id="${id}"]`);
const cartLine = (page, id) => page.locator(`#cart-lines li[data-product-id="${id}"]`);

async function addToCart(page, id, times = 1) {
  if (!(await page.locator('article.product').count())) {
    await page.goto('/');
  }
  await card(page, id).waitFor();
  for (let i = 0; i < times; i += 1) await card(page, id).getByRole('button', { name: /^Add to cart/ }).click();
  await cartLine(page, id).waitFor();
}

async function fillDetails(page, name, email) {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
}

function countPosts(page) {
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/api/orders')) posts.push(r); });
  return posts;
}

function ordersFor(email) {
  return sql(`SELECT id, status FROM orders WHERE customer_email = :'email' ORDER BY id;`, { email });
}

async function placeAndOpen(page) {
  await page.locator('#place-order').click();
  await page.waitForURL(/\/order\.html\?id=\d+#token=[0-9a-f]+$/, { timeout: 15000 });
  await page.locator('#order').waitFor();
  return Number(new URL(page.url()).searchParams.get('id'));
}

async function main() {
  const ids = {
    bun: addProduct({ name: `Test Bun ${RUN}`, category: CATEGORY, price_cents: 125, stock: 100000 }),
    loaf: addProduct({ name: `Test Loaf ${RUN}`, category: CATEGORY, price_cents: 550, stock: 100000 }),
    last: addProduct({ name: `Last Slice ${RUN}`, category: CATEGORY, price_cents: 300, stock: 1 }),
  };
  made.push(...Object.values(ids));
  invalidateProducts();

  await test('validation errors are shown at their field, and nothing is sent', async (page) => {
    const posts = countPosts(page);
    await addToCart(page, ids.bun);
    await page.locator('#place-order').click();
    await textMatches(page.locator('#customer-name-error'), /Please enter your name/, 5000, 'name error');
    await textMatches(page.locator('#customer-email-error'), /Please enter your email/, 5000, 'email error');
    same(await page.evaluate(() => document.activeElement?.id), 'customer-name', 'focus on the first field to fix');
    same(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true', 'name marked invalid');
    await page.getByLabel('Name', { exact: true }).fill('x'.repeat(101));
    await textMatches(page.locator('#customer-name-error'), /100 characters/, 5000, 'name too long (API: 1-100)');
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await until(async () => page.locator('#customer-name-error').isHidden(), 5000, 'name error gone once fixed');
    const email = page.getByLabel('Email', { exact: true });
    for (const bad of ['ada@example', 'ada example.com', 'ada@exa mple.com', '@example.com', 'ada@example.c', 'a<b>@example.com']) {
      await email.fill(bad);
      await email.blur();
      await textMatches(page.locator('#customer-email-error'), /valid email address/, 5000, `"${bad}" refused`);
    }
    same(await email.getAttribute('aria-invalid'), 'true', 'email marked invalid');
    const describedBy = await email.getAttribute('aria-describedby');
    check(describedBy.split(' ').includes('customer-email-error'), 'the error is the field\'s description');
    await page.locator('#place-order').click();
    same(await page.evaluate(() => document.activeElement?.id), 'customer-email', 'focus on the email field');
    same(posts.length, 0, 'no order was sent');
    await email.fill('ada@example.com');
    await until(async () => page.locator('#customer-email-error').isHidden(), 5000, 'email error gone once fixed');
  });

  await test("the API's error for a field is shown next to that field", async (page) => {
    // The page's rules match the API's, so make the browser send what the
    // page would refuse and let the real API judge it.
    await page.route('**/api/orders', async (route) => {
      const body = JSON.parse(route.request().postData());
      await route.continue({ postData: JSON.stringify({ ...body, customer_email: 'not-an-address' }) });
    });
    await addToCart(page, ids.bun);
    await fillDetails(page, `API Error ${RUN}`, 'api-error@example.com');
    await page.locator('#place-order').click();
    await textMatches(page.locator('#customer-email-error'), /valid email address/, 5000, "the API's message under Email");
    same(await page.getByLabel('Email', { exact: true }).getAttribute('aria-invalid'), 'true', 'email marked invalid');
    same(await page.evaluate(() => document.activeElement?.id), 'customer-email', 'focus on the email field');
    check(await page.locator('#customer-name-error').isHidden(), 'no error at the name');
    same(sql(`SELECT count(*) FROM orders WHERE customer_name = :'n';`, { n: `API Error ${RUN}` })[0][0], '0', 'nothing stored');
  });

  await test('stock that ran out after the page loaded: the API\'s message is shown at the cart line', async (page) => {
    await addToCart(page, ids.bun);
    await addToCart(page, ids.last);
    sql(`UPDATE products SET stock = 0 WHERE id = :'id'::bigint;`, { id: ids.last });
    invalidateProducts();
    try {
      await fillDetails(page, `Too Late ${RUN}`, 'too-late@example.com');
      await page.locator('#place-order').click();
      const message = cartLine(page, ids.last).locator('.line-message');
      await textMatches(message, /sold out|left in stock/i, 5000, "the API's stock message at the line");
      await textMatches(page.locator('#checkout-error'), /check the item marked/, 5000, 'the form points at it');
      same(await page.getByLabel(`Quantity of Last Slice ${RUN}`).getAttribute('aria-invalid'), 'true', 'line marked');
      same(await page.evaluate(() => document.activeElement?.id), `qty-${ids.last}`, 'focus at the line');
      check(!(await cartLine(page, ids.bun).locator('.line-message').isVisible()), 'the other line is fine');
      await textMatches(card(page, ids.last).locator('.stock'), /Sold out/, 5000, 'the catalogue was refreshed');
      await page.getByRole('button', { name: `Remove: Last Slice ${RUN}` }).click();
      const id = await placeAndOpen(page);
      check(id > 0, 'without that line the order goes through');
    } finally {
      sql(`UPDATE products SET stock = 1 WHERE id = :'id'::bigint;`, { id: ids.last });
      invalidateProducts();
    }
  });

  await test('check out, then the order page follows the order to completed', async (page) => {
    const email = `complete-${RUN}@example.com`;
    await addToCart(page, ids.bun, 2);
    await addToCart(page, ids.loaf);
    await textMatches(page.locator('#cart-total'), /^\$8\.00$/, 5000, 'cart total 2 × 1.25 + 5.50');
    await fillDetails(page, `Grace ${RUN}`, email);
    const id = await placeAndOpen(page);
    same(ordersFor(email).length, 1, 'one order stored');
    same(await page.locator('#order-title').textContent(), `Order #${id}`, 'title');
    same(await page.locator('#order-customer').textContent(), `For Grace ${RUN} · ${email}`, 'customer shown with the token');
    const rows = await page.locator('#order-items tbody tr').evaluateAll((trs) => trs.map((tr) => tr.innerText.replace(/\s+/g, ' ').trim()));
    same(JSON.stringify(rows.sort()), JSON.stringify([`Test Bun ${RUN} 2 $1.25 $2.50`, `Test Loaf ${RUN} 1 $5.50 $5.50`].sort()), 'items');
    same(await page.locator('#order-items tfoot .total').textContent(), '$8.00', 'total from the API');
    await textMatches(page.locator('#order-history li').first(), /Received.*order placed/s, 5000, 'history starts with the placement');
    same(await page.evaluate(() => localStorage.getItem('bakery.cart.v1')), '[]', 'the cart was emptied');
    await textMatches(page.locator('#order-status .badge'), /^Completed$/, FINAL_WITHIN_MS, 'status Completed');
    await textMatches(page.locator('#order-history li').last(), /Completed/, 5000, 'history ends with Completed');
    await textMatches(page.locator('#order-live'), /final status/, 5000, 'no longer polling');
    same(await page.locator('#cancel-order').count(), 0, 'no cancel button');
    same(await page.locator('.step.current').textContent(), 'Completed (now)', 'progress at the last step');
    same(ordersFor(email)[0][1], 'completed', 'completed in the database');
  });

  await test('a double click on "Place order" places one order', async (page) => {
    const email = `double-${RUN}@example.com`;
    const posts = countPosts(page);
    await addToCart(page, ids.bun);
    await fillDetails(page, `Double ${RUN}`, email);
    await page.locator('#place-order').dblclick();
    await page.waitForURL(/\/order\.html\?id=\d+/, { timeout: 15000 });
    same(ordersFor(email).length, 1, 'exactly one order in the database');
    check(posts.length <= 1, `one request sent (got ${posts.length})`);
  });

  await test('a retry after a lost answer gets the same order (Idempotency-Key)', async (page) => {
    const email = `retry-${RUN}@example.com`;
    const posts = countPosts(page);
    let lose = true;
    await page.route('**/api/orders', async (route) => {
      if (!lose) return route.continue();
      lose = false;
      const answer = await route.fetch(); // the API places the order...
      check(answer.status() === 201, `first attempt placed (${answer.status()})`);
      return route.abort('connectionreset'); // ...and the answer is lost
    });
    await addToCart(page, ids.loaf);
    await fillDetails(page, `Retry ${RUN}`, email);
    await page.locator('#place-order').click();
    await textMatches(page.locator('#checkout-error'), /could not reach.*will not place it twice/s, 5000, 'a readable network error');
    same(await page.evaluate(() => document.activeElement?.id), 'checkout-error', 'focus on the message');
    same(ordersFor(email).length, 1, 'the first attempt did place the order');
    const id = await placeAndOpen(page);
    const stored = ordersFor(email);
    same(stored.length, 1, 'still one order after the retry');
    same(id, Number(stored[0][0]), 'the page shows that order');
    same(posts.length, 2, 'two attempts');
    const keys = posts.map((r) => r.headers()['idempotency-key']);
    check(keys[0] && keys[0] === keys[1], `same Idempotency-Key on both (${keys.join(', ')})`);
  });

  await test('a declined payment is shown as failed, with its reason', async (page) => {
    const email = `declined-${RUN}@decline.test`;
    await addToCart(page, ids.bun);
    await fillDetails(page, `Declined ${RUN}`, email);
    await placeAndOpen(page);
    await textMatches(page.locator('#order-status .badge'), /^Failed$/, FINAL_WITHIN_MS, 'status Failed');
    await textMatches(page.locator('#order-status .failure-reason'), /payment declined/, 5000, 'the reason');
    await textMatches(page.locator('#order-history li').last(), /Failed.*payment declined/s, 5000, 'history has it');
    await textMatches(page.locator('#order-live'), /final status/, 5000, 'no longer polling');
    same(await page.locator('#cancel-order').count(), 0, 'no cancel button');
  });
}

run(main, async () => retireProducts(made));
