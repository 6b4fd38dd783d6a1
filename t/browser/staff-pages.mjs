// staff-pages.mjs - every staff page on a phone (375 px: nothing scrolls
// sideways, no control past the edge), with labelled controls, a visible
// focus ring, 4.5:1 text contrast, the storefront's CSP and no inline code,
// and hostile product text shown as text. Needs a staff account, made with
// bakery-api create-staff.
import {
  RUN, addProduct, apiPlaceOrder, check, createStaff, freshPage, invalidateProducts, lowContrast, retireProducts, run,
  same, sidewaysProblems, sql, staffLogin, test, unlabelled, until,
} from './lib.mjs';

const HOSTILE = '<img src=x onerror=alert(1)>Supercalifragilisticexpialidocious-sourdough-with-a-very-long-name';
const STAFF = `pages-${RUN}`;
const PASSWORD = `pw-${RUN}-long-enough`;
const made = [];

// Each page, and what shows it has loaded.
const PAGES = [
  { path: '/staff/dashboard.html', ready: '#summary-days table' },
  { path: '/staff/products.html', ready: '#product-list li' },
  { path: '/staff/orders.html', ready: '#order-list li' },
  { path: '/staff/audit.html', ready: '#audit-status:not(:has-text("Loading"))' },
  { path: '/staff/pickups.html', ready: '#pickups-status:not(:has-text("Loading"))' },
  { path: '/staff/production.html', ready: '#sheet[aria-busy="false"]' },
  { path: '/staff/branches.html', ready: '#branch-list li' },
];

// Every page above, in the navigation's order.
const ORDER = ['/staff/dashboard.html', '/staff/products.html', '/staff/orders.html', '/staff/pickups.html',
  '/staff/production.html', '/staff/branches.html', '/staff/audit.html'];

async function focusVisible(page) {
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  return page.evaluate(() => {
    const e = document.activeElement;
    const s = e && getComputedStyle(e);
    return e && e !== document.body && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
      ? true : `${e?.outerHTML.slice(0, 60)} outline ${s?.outlineStyle} ${s?.outlineWidth}`;
  });
}

async function checkPage(page, path) {
  const res = await page.goto(path);
  const csp = res.headers()['content-security-policy'] ?? '';
  check(/default-src 'self'/.test(csp) && !/unsafe-inline|unsafe-eval/.test(csp), `${path}: CSP (got "${csp}")`);
  const inline = await page.evaluate(() => [
    ...[...document.scripts].filter((s) => !s.src).map(() => 'inline <script>'),
    ...[...document.querySelectorAll('[style], style')].map((e) => e.tagName),
  ]);
  same(inline.length, 0, `${path}: inline code ${inline.join(', ')}`);
}

// The header's navigation lists every page, and marks this one, only.
async function navChecks(page, path) {
  const nav = page.getByRole('navigation', { name: 'Staff' });
  const links = await nav.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  same(links.join(' '), ORDER.join(' '), `${path}: the navigation lists every staff page, in order`);
  const current = await nav.locator('[aria-current="page"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  same(current.join(' '), path, `${path}: the navigation marks this page`);
}

async function phoneChecks(page, what) {
  const wide = await sidewaysProblems(page);
  same(wide.length, 0, `${what} at 375 px: ${wide.join(' | ')}`);
  const names = await unlabelled(page);
  same(names.length, 0, `${what}: controls without a name: ${names.join(' | ')}`);
  const low = await lowContrast(page);
  same(low.length, 0, `${what}: low contrast: ${low.join(' | ')}`);
  const focus = await focusVisible(page);
  same(focus, true, `${what}: focus ring`);
}

async function main() {
  createStaff(STAFF, PASSWORD);
  const id = addProduct({ name: HOSTILE, category: `test-${RUN}`, price_cents: 1234, stock: 100 });
  made.push(id);
  invalidateProducts();
  const o = await apiPlaceOrder([{ product_id: id, quantity: 1 }], `a-very-long-address-for-a-phone-${RUN}@example.com`, HOSTILE);
  await until(() => sql(`SELECT status FROM orders WHERE id = :'id'::bigint;`, { id: o.order_id })[0][0] !== 'pending',
    20000, 'the order processed');
  const phone = await freshPage({ width: 375, height: 740 });

  await test('the login page at 375 px: fits, labelled, focus ring, contrast, CSP', async (page) => {
    await checkPage(page, '/staff/');
    await page.getByLabel('Username', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#login-error').waitFor();
    await phoneChecks(page, 'login');
  }, { page: phone });

  await staffLogin(phone, STAFF, PASSWORD);
  await phone.waitForURL(/\/staff\/dashboard\.html$/);

  for (const { path, ready } of PAGES) {
    await test(`${path} at 375 px: fits, labelled, focus ring, contrast, CSP`, async (page) => {
      await checkPage(page, path);
      await page.locator(ready).first().waitFor({ timeout: 10000 });
      await navChecks(page, path);
      if (path.endsWith('products.html')) {
        const row = page.locator(`li.product-row[data-product-id="${id}"]`);
        same(await row.locator('.item-title').textContent(), HOSTILE, 'hostile name shown as text');
        same(await page.locator('img[src="x"]').count(), 0, 'no injected image');
      }
      if (path.endsWith('orders.html')) {
        const row = page.locator(`li.order-item[data-order-id="${o.order_id}"]`);
        await row.getByRole('button', { name: `Details of order #${o.order_id}` }).click();
        await row.locator('.timeline li').first().waitFor();
        const act = row.locator('.act');
        if (await act.count()) await act.click();
      }
      await phoneChecks(page, path);
    }, { page: phone });
  }

  await phone.context().close();
}

run(main, async () => retireProducts(made));
