// staff-branches.mjs - staff editing what customers see of a bakery with
// branches, in headless Chromium: a product's allergens and dietary tags
// (edited on the products page, shown as badges on the storefront and
// used by its filter), and a branch's capacity, opening hours and stock
// (edited on the branches page, seen in the public API and the storefront).
import {
  RUN, addProduct, check, freshPage, invalidateProducts, retireProducts, run, same, staffLogin, test, textMatches,
  until,
} from './lib.mjs';
import { api, makeBranch, staffToken } from './branch-lib.mjs';

const STAFF = `branches-${RUN}`;
const PASSWORD = `pw-${RUN}-long-enough`;
const made = [];

const card = (page, id) => page.locator(`article.product[data-product-id="${id}"]`);

async function main() {
  const token = await staffToken(STAFF, PASSWORD);
  const pie = addProduct({ name: `Tag Pie ${RUN}`, category: `test-${RUN}`, price_cents: 400, stock: 20 });
  made.push(pie);
  invalidateProducts();
  const branch = await makeBranch(token, { name: `Edit Branch ${RUN}`, address: `${RUN} Old Road`, capacity: 5, products: [pie], stock: 3 });
  const staff = await freshPage();
  await staffLogin(staff, STAFF, PASSWORD);
  await staff.waitForURL(/\/staff\/dashboard\.html$/);

  await test('staff tag a product with allergens and diet; the storefront shows and filters by them', async (page) => {
    await page.goto('/staff/products.html');
    const row = page.locator(`li.product-row[data-product-id="${pie}"]`);
    await row.getByRole('button', { name: `Edit allergens and diet of Tag Pie ${RUN}` }).click();
    await row.locator('input[name="allergens"][value="nuts"]').check();
    await row.locator('input[name="allergens"][value="gluten"]').check();
    await row.locator('input[name="dietary"][value="vegan"]').check();
    await row.getByRole('button', { name: `Save Tag Pie ${RUN}` }).click();
    await textMatches(row.locator('.form-message'), /Saved: .*Contains gluten, nuts · vegan/, 10000, 'saved with its tags');
    const p = (await api('GET', `/api/products/${pie}`));
    same(`${p.allergens}|${p.dietary}`, 'gluten,nuts|vegan', 'tags in the API');
    const shop = await freshPage();
    try {
      await shop.goto('/');
      const c = card(shop, pie);
      await textMatches(c.locator('.allergens'), /^Contains: gluten, nuts$/, 10000, 'allergens on the card');
      same(await c.locator('.diet-tag').allTextContents().then((t) => t.join()), 'Vegan', 'the vegan badge');
      await shop.locator('#diet-summary').click();
      await shop.getByRole('checkbox', { name: 'nuts', exact: true }).check();
      await until(async () => c.isHidden(), 5000, 'hidden when nuts are ruled out');
      check(shop.url().includes('free=nuts'), `the filter is in the address: ${shop.url()}`);
      await shop.reload();
      await shop.locator('article.product').first().waitFor();
      check(await c.isHidden(), 'still filtered after a reload');
      await shop.getByRole('checkbox', { name: 'nuts', exact: true }).uncheck();
      await shop.getByRole('checkbox', { name: 'Vegan', exact: true }).check();
      await until(async () => c.isVisible(), 5000, 'shown among the vegan products');
      const shown = await shop.locator('article.product:visible .diet-tag').allTextContents();
      check(shown.length > 0 && (await shop.locator('article.product:visible').count()) <= shown.filter((t) => t === 'Vegan').length,
        `only vegan products shown (${shown})`);
    } finally {
      await shop.context().close();
    }
  }, { page: staff });

  await test('staff change a branch\'s capacity, hours and stock on the branches page', async (page) => {
    await page.goto('/staff/branches.html');
    const row = page.locator(`li.branch-item[data-branch-id="${branch.id}"]`);
    await row.waitFor();
    await row.getByLabel('Orders per pickup slot').fill('7');
    await row.getByLabel('Sunday', { exact: true }).uncheck();
    await row.getByLabel('Monday: closes at').fill('11:00');
    await row.getByRole('button', { name: `Save Edit Branch ${RUN}` }).click();
    await textMatches(row.locator('.branch-message'), /^Saved Edit Branch/, 10000, 'saved');
    const b = (await api('GET', '/api/branches')).find((x) => x.id === branch.id);
    same(JSON.stringify([b.slot_capacity, b.opening_hours.sun, b.opening_hours.mon]),
      JSON.stringify([7, null, { open: '08:00', close: '11:00' }]), 'capacity and hours in the API');
    await row.getByRole('button', { name: `Stock at Edit Branch ${RUN}` }).click();
    const input = row.getByLabel(`Tag Pie ${RUN}`, { exact: true });
    same(await input.inputValue(), '3', 'the branch\'s own stock');
    await input.fill('9');
    await row.getByRole('button', { name: `Save stock at Edit Branch ${RUN}` }).click();
    await textMatches(row.locator('.stock-form .form-message'), /Saved 1 stock level/, 10000, 'stock saved');
    const listed = (await api('GET', `/api/products?branch=${branch.id}`)).find((x) => x.id === pie);
    same(listed.stock, 9, 'the storefront listing of that branch');
    same((await api('GET', '/api/products')).find((x) => x.id === pie).stock, 20, 'the default branch untouched');
  }, { page: staff });

  await staff.context().close();
}

run(main, async () => retireProducts(made));
