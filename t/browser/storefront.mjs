// storefront.mjs - browsing the catalogue in headless Chromium: loading and
// error states, categories and the filter, availability, money, hostile
// product text, the cart (add, quantity, remove, total, limits, reload),
// the phone layout, keyboard use, contrast and the CSP.
import {
  BASE, RUN, addProduct, lowContrast, check, freshPage, invalidateProducts, retireProducts, run, same, test, textMatches, until,
} from './lib.mjs';

const HOSTILE = '<img src=x onerror=alert(1)>';
const CATEGORY = `test-${RUN}`;
const made = [];

const card = (page, id) => page.locator(`article.product[data-product-id="${id}"]`);
const cartLine = (page, id) => page.locator(`#cart-lines li[data-product-id="${id}"]`);

async function openShop(page, path = '/') {
  await page.goto(path);
  await page.locator('article.product').first().waitFor();
}

async function main() {
  const ids = {
    plenty: addProduct({ name: `Test Bun ${RUN}`, category: CATEGORY, price_cents: 425, stock: 500 }),
    few: addProduct({ name: `Test Tart ${RUN}`, category: CATEGORY, price_cents: 1999, stock: 3 }),
    none: addProduct({ name: `Test Pie ${RUN}`, category: CATEGORY, price_cents: 700, stock: 0 }),
    hostile: addProduct({
      name: HOSTILE, description: `<script>alert(2)</script> & "quotes" ${RUN}`, category: CATEGORY, price_cents: 100, stock: 10,
    }),
  };
  made.push(...Object.values(ids));
  invalidateProducts();
  const listing = await (await fetch(`${BASE}/api/products`)).json();
  const categories = [...new Set(listing.map((p) => p.category))];

  await test('the page shows a loading state, then the catalogue grouped by category', async (page) => {
    let release;
    const gate = new Promise((r) => { release = r; });
    await page.route('**/api/products', async (route) => { await gate; await route.continue(); });
    await page.goto('/');
    await textMatches(page.locator('#catalogue-status'), /Loading the catalogue/, 5000, 'the loading message');
    same(await page.locator('#catalogue').getAttribute('aria-busy'), 'true', 'catalogue aria-busy while loading');
    release();
    await page.locator('article.product').first().waitFor();
    same(await page.locator('#catalogue').getAttribute('aria-busy'), 'false', 'aria-busy after loading');
    const titles = await page.locator('section.category h2').allTextContents();
    same(JSON.stringify(titles), JSON.stringify(categories), 'one section per category, in API order');
    same(await page.locator('article.product').count(), listing.length, 'one card per product');
    const c = card(page, ids.plenty);
    same(await c.locator('.product-name').textContent(), `Test Bun ${RUN}`, 'name');
    check((await c.locator('.product-description').textContent()).includes('browser tests'), 'description shown');
    same(await c.locator('.price').textContent(), '$4.25', 'price formatted as money');
    same(await card(page, ids.few).locator('.price').textContent(), '$19.99', 'price with cents');
  });

  await test('availability: "only N left", and sold out disables ordering', async (page) => {
    await openShop(page);
    same(await card(page, ids.plenty).locator('.stock').textContent(), 'In stock', 'plenty of stock');
    same(await card(page, ids.few).locator('.stock').textContent(), 'Only 3 left', 'low stock');
    same(await card(page, ids.none).locator('.stock').textContent(), 'Sold out', 'no stock');
    const button = card(page, ids.none).locator('button.add-button');
    check(await button.isDisabled(), 'the sold-out product\'s button is disabled');
    check((await button.textContent()).startsWith('Sold out'), 'and says so');
  });

  await test('an error loading the catalogue is shown, and "Try again" recovers', async (page) => {
    let fail = true;
    await page.route('**/api/products', async (route) => {
      if (!fail) return route.continue();
      return route.fulfill({
        status: 503, contentType: 'application/json',
        body: JSON.stringify({ error: 'The catalogue is unavailable right now.', code: 'unavailable' }),
      });
    });
    await page.goto('/');
    const alert = page.getByRole('alert').filter({ hasText: 'could not load the catalogue' });
    await alert.waitFor();
    check((await alert.textContent()).includes('The catalogue is unavailable right now.'), 'the API\'s message is shown');
    fail = false;
    await page.getByRole('button', { name: 'Try again' }).click();
    await card(page, ids.plenty).waitFor();
  });

  await test('filter by category: only that category shows, the URL keeps it, "All" restores', async (page) => {
    await openShop(page);
    await page.locator('#category-filter').getByRole('button', { name: CATEGORY, exact: true }).click();
    await until(async () => (await page.locator('section.category:visible').count()) === 1, 5000, 'one visible section');
    same(await page.locator('section.category:visible h2').textContent(), CATEGORY, 'the chosen category');
    same(await page.locator('article.product:visible').count(), 4, 'its 4 products');
    same(await page.locator('#category-filter button[aria-pressed="true"]').textContent(), CATEGORY, 'pressed chip');
    check(page.url().includes(`category=${encodeURIComponent(CATEGORY)}`), `URL has the category: ${page.url()}`);
    await page.reload();
    await card(page, ids.plenty).waitFor();
    await until(async () => (await page.locator('section.category:visible').count()) === 1, 5000, 'filter kept on reload');
    await page.locator('#category-filter').getByRole('button', { name: 'All', exact: true }).click();
    await until(async () => (await page.locator('section.category:visible').count()) === categories.length, 5000, 'all sections again');
    await page.goBack();
    await until(async () => (await page.locator('section.category:visible').count()) === 1, 5000, 'Back returns to the filter');
  });

  await test(`a product named ${HOSTILE} is rendered as text`, async (page) => {
    await openShop(page);
    const c = card(page, ids.hostile);
    same(await c.locator('.product-name').textContent(), HOSTILE, 'the name, literally');
    check((await c.locator('.product-description').textContent()).startsWith('<script>alert(2)</script> & "quotes"'), 'description literally');
    same(await page.locator('img[src="x"], main script, #cart script').count(), 0, 'no element was made from the text');
    await c.getByRole('button', { name: /Add to cart/ }).click();
    same(await cartLine(page, ids.hostile).locator('.line-name').textContent(), HOSTILE, 'the cart shows it as text too');
    same(await page.locator('img[src="x"]').count(), 0, 'still no injected image');
    // page.problems records any alert() dialog or script error.
  });

  await test('add to cart, change quantity, remove: the total follows; stock limits hold', async (page) => {
    await openShop(page);
    await card(page, ids.plenty).getByRole('button', { name: /Add to cart/ }).click();
    await card(page, ids.few).getByRole('button', { name: /Add to cart/ }).click();
    await card(page, ids.few).getByRole('button', { name: /Add to cart/ }).click();
    await textMatches(page.locator('#cart-total'), /^\$44\.23$/, 5000, 'total 4.25 + 2 × 19.99');
    same(await page.locator('#cart-count').textContent(), '3', 'header count');
    same(await card(page, ids.few).locator('.in-cart').textContent(), '2 in your cart', 'card shows the quantity');
    // The third tart is the last one: then no more.
    const more = page.getByRole('button', { name: `One more Test Tart ${RUN}` });
    await more.click();
    await textMatches(page.locator('#cart-total'), /^\$64\.22$/, 5000, 'total with 3 tarts');
    same(await more.getAttribute('aria-disabled'), 'true', '"one more" stops at the stock');
    await more.dispatchEvent('click'); // a click on it anyway changes nothing
    same(await page.getByLabel(`Quantity of Test Tart ${RUN}`).inputValue(), '3', 'no fourth tart');
    same(await card(page, ids.few).getByRole('button', { name: /Add to cart/ }).getAttribute('aria-disabled'), 'true', 'card add disabled when all are in the cart');
    // Typing more than the stock is capped, with a note.
    const qty = page.getByLabel(`Quantity of Test Bun ${RUN}`);
    await qty.fill('2000');
    await qty.press('Enter');
    await until(async () => (await qty.inputValue()) === '500', 5000, 'quantity capped at the stock (500)');
    await textMatches(cartLine(page, ids.plenty).locator('.line-message'), /Only 500 available/, 5000, 'the cap is explained');
    await qty.fill('4');
    await qty.press('Tab');
    await textMatches(page.locator('#cart-total'), /^\$76\.97$/, 5000, 'total 4 × 4.25 + 3 × 19.99');
    await page.getByRole('button', { name: `Remove: Test Tart ${RUN}` }).click();
    await textMatches(page.locator('#cart-total'), /^\$17\.00$/, 5000, 'total after removing the tarts');
    same(await cartLine(page, ids.few).count(), 0, 'line removed');
    same(await page.locator('#place-order').textContent(), 'Place order · $17.00', 'the button shows the total');
  });

  await test('the cart is kept across reloads', async (page) => {
    await openShop(page);
    await card(page, ids.plenty).getByRole('button', { name: /Add to cart/ }).click();
    await card(page, ids.plenty).getByRole('button', { name: /Add to cart/ }).click();
    await card(page, ids.hostile).getByRole('button', { name: /Add to cart/ }).click();
    await textMatches(page.locator('#cart-total'), /^\$9\.50$/, 5000, 'total before reload');
    await page.reload();
    await cartLine(page, ids.plenty).waitFor();
    same(await page.getByLabel(`Quantity of Test Bun ${RUN}`).inputValue(), '2', 'quantity after reload');
    same(await cartLine(page, ids.hostile).locator('.line-name').textContent(), HOSTILE, 'second line after reload');
    same(await page.locator('#cart-total').textContent(), '$9.50', 'total after reload');
    same(await page.locator('#cart-count').textContent(), '3', 'count after reload');
  });

  await test('a cart line whose product sold out meanwhile blocks checkout with a message', async (page) => {
    await openShop(page);
    await card(page, ids.few).getByRole('button', { name: /Add to cart/ }).click();
    // Stock drops to 0 behind the page's back; the catalogue reloads.
    const { sql } = await import('./lib.mjs');
    sql(`UPDATE products SET stock = 0 WHERE id = :'id'::bigint;`, { id: ids.few });
    invalidateProducts();
    try {
      await page.reload();
      await cartLine(page, ids.few).waitFor();
      await textMatches(cartLine(page, ids.few).locator('.line-message'), /Sold out/, 5000, 'the line says sold out');
      await page.getByLabel('Name').fill('Test Person');
      await page.getByLabel('Email').fill('test@example.com');
      let posted = 0;
      page.on('request', (r) => { if (r.method() === 'POST') posted += 1; });
      await page.locator('#place-order').click();
      await textMatches(page.locator('#checkout-error'), /check the items marked/, 5000, 'form message');
      same(posted, 0, 'nothing was sent');
      same(await page.evaluate(() => document.activeElement?.id), `qty-${ids.few}`, 'focus on the line in trouble');
    } finally {
      sql(`UPDATE products SET stock = 3 WHERE id = :'id'::bigint;`, { id: ids.few });
      invalidateProducts();
    }
  });

  await test('at 375 px wide: one column, no sideways scrolling, cart bar, everything reachable', async (page) => {
    await openShop(page);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    check(widths[0] <= widths[1], `page is ${widths[0]} px wide in a ${widths[1]} px viewport`);
    check(await page.locator('#cart-bar').isHidden(), 'no cart bar with an empty cart');
    await card(page, ids.hostile).getByRole('button', { name: /Add to cart/ }).click();
    const bar = page.locator('#cart-bar');
    await bar.waitFor();
    check((await bar.textContent()).includes('1 item'), 'the cart bar counts items');
    await bar.click();
    await until(async () => page.locator('#customer-name').isVisible(), 5000, 'the cart bar leads to the checkout');
    const box = await page.locator('#cart').boundingBox();
    check(box && box.width <= 375 && box.x >= 0, `cart fits the screen: ${JSON.stringify(box)}`);
    const overflow = await page.evaluate(() => [...document.querySelectorAll('button, input, a')]
      .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .map((e) => e.outerHTML.slice(0, 80)));
    same(overflow.length, 0, `controls past the right edge: ${overflow.join(' | ')}`);
    const small = await page.evaluate(() => [...document.querySelectorAll('main button, aside button, aside input')]
      .filter((e) => e.getClientRects().length && e.getBoundingClientRect().height < 40)
      .map((e) => e.outerHTML.slice(0, 80)));
    same(small.length, 0, `touch targets under 40 px: ${small.join(' | ')}`);
  }, { width: 375, height: 740 });

  await test('keyboard: skip link first, labelled controls, add to cart with Enter', async (page) => {
    await openShop(page);
    await page.keyboard.press('Tab');
    same(await page.evaluate(() => document.activeElement?.textContent), 'Skip to products', 'first Tab stop');
    await page.keyboard.press('Enter');
    same(await page.evaluate(() => document.activeElement?.id), 'main', 'skip link moves focus to the products');
    // Tab order follows the page: filter chips come before the first card's button.
    const order = [];
    for (let i = 0; i < 12; i += 1) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.className));
    }
    const chip = order.indexOf('chip');
    const add = order.findIndex((c) => c?.includes('add-button'));
    check(chip >= 0 && add > chip, `chips then products in Tab order: ${order.join(', ')}`);
    const button = card(page, ids.plenty).getByRole('button', { name: /Add to cart/ });
    await button.focus();
    await page.keyboard.press('Enter');
    await cartLine(page, ids.plenty).waitFor();
    same(await page.evaluate(() => document.activeElement?.classList.contains('add-button')), true, 'focus stays on the button');
    await textMatches(page.locator('#announcer'), /added to your cart/, 5000, 'the addition is announced');
    for (const label of ['Name', 'Email', `Quantity of Test Bun ${RUN}`]) {
      same(await page.getByLabel(label, { exact: true }).count(), 1, `a control labelled "${label}"`);
    }
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('button, input, a')]
      .filter((e) => e.getClientRects().length && !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim()))
      .map((e) => e.outerHTML.slice(0, 80)));
    same(unlabelled.length, 0, `controls without a name: ${unlabelled.join(' | ')}`);
  });

  await test('text contrast is at least 4.5:1 everywhere on the page', async (page) => {
    await openShop(page);
    await card(page, ids.plenty).getByRole('button', { name: /Add to cart/ }).click();
    await card(page, ids.few).getByRole('button', { name: /Add to cart/ }).click();
    await page.locator('#place-order').click(); // shows the field errors too
    await page.locator('#customer-name-error').waitFor();
    const low = await lowContrast(page);
    same(low.length, 0, `low contrast: ${low.join(' | ')}`);
  });

  await test('served with a Content-Security-Policy without unsafe-inline, and no inline code', async (page) => {
    for (const path of ['/', '/order.html?id=1', '/orders.html']) {
      const res = await page.goto(path);
      const csp = res.headers()['content-security-policy'] ?? '';
      check(/default-src 'self'/.test(csp), `${path}: CSP default-src 'self' (got "${csp}")`);
      check(!/unsafe-inline|unsafe-eval/.test(csp), `${path}: CSP allows no inline code (got "${csp}")`);
      const inline = await page.evaluate(() => [
        ...[...document.scripts].filter((s) => !s.src).map(() => 'inline <script>'),
        ...[...document.querySelectorAll('[style]')].map((e) => `style= on ${e.tagName}`),
        ...[...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith('on')).map((a) => a.name)),
        ...[...document.querySelectorAll('style')].map(() => '<style>'),
      ]);
      same(inline.length, 0, `${path}: inline code ${inline.join(', ')}`);
    }
  });
}

run(main, async () => retireProducts(made));
