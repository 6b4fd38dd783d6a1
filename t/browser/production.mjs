// production.mjs - the bakers' day in headless Chromium: the production
// list of a branch and day shows per product the quantity per slot from
// the paid orders, and printed (print media, A4) it is one page with only
// the sheet on it, for a normal day (16 products, every slot of a day open
// 07:00-18:00 with something in it); the pickups page lists the day's orders per slot and
// "Mark collected" moves a completed order to collected, which the
// customer's order page then shows. A branch of this run's own (staff API)
// keeps other tests' orders out. Screenshot: /tmp/i14w-production.png.
import { writeFileSync } from 'node:fs';
import {
  RUN, addProduct, check, freshPage, invalidateProducts, retireProducts, run, same, staffLogin, test, textMatches, until,
} from './lib.mjs';
import { completed, makeBranch, placeFor, slotsOf, statusOf, staffToken, tomorrow } from './branch-lib.mjs';

const STAFF = `baker-${RUN}`;
const PASSWORD = `pw-${RUN}-long-enough`;
const made = [];

// Pages in a PDF: its page objects (Chromium writes them uncompressed).
function pdfPages(pdf) {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
}

async function main() {
  const token = await staffToken(STAFF, PASSWORD);
  const loaf = addProduct({ name: `Prod Loaf ${RUN}`, category: `test-${RUN}`, price_cents: 500, stock: 0 });
  const roll = addProduct({ name: `Prod Roll ${RUN}`, category: `test-${RUN}`, price_cents: 80, stock: 0 });
  // The rest of a normal day's catalogue, with long-ish names.
  const others = Array.from({ length: 14 }, (_, i) => addProduct({
    name: `Seeded Country Sourdough No. ${i + 1} ${RUN}`, category: `test-${RUN}`, price_cents: 300, stock: 0,
  }));
  made.push(loaf, roll, ...others);
  invalidateProducts();
  const branch = await makeBranch(token, {
    name: `Bakehouse ${RUN}`, address: `${RUN} Oven Row`, capacity: 10, products: [loaf, roll, ...others], stock: 1000,
    open: '07:00', close: '18:00',
  });
  const day = tomorrow(branch.timezone ?? 'Europe/London');
  const slots = await slotsOf(branch.id, day);
  same(slots.length, 22, 'tomorrow has 22 half-hour slots');
  const [a, b] = [slots[0].start, slots[2].start];
  const orders = [
    await placeFor(branch.id, a, [{ product_id: loaf, quantity: 2 }, { product_id: roll, quantity: 6 }], `p1-${RUN}@example.com`, 'Ann Early'),
    await placeFor(branch.id, a, [{ product_id: loaf, quantity: 1 }], `p2-${RUN}@example.com`, 'Bob Early'),
    await placeFor(branch.id, b, [{ product_id: roll, quantity: 4 }], `p3-${RUN}@example.com`, 'Cy Later'),
  ];
  // Every other slot gets an order of the rest of the catalogue.
  const busy = [];
  for (const s of slots.filter((x) => x.start !== a && x.start !== b)) {
    busy.push(await placeFor(branch.id, s.start, others.map((id, i) => ({ product_id: id, quantity: 1 + (i % 3) })),
      `busy-${busy.length}-${RUN}@example.com`, 'Day Customer'));
  }
  for (const o of [...orders, ...busy]) await completed(o.order_id);
  const staff = await freshPage();
  await staffLogin(staff, STAFF, PASSWORD);
  await staff.waitForURL(/\/staff\/dashboard\.html$/);
  const query = `?branch=${branch.id}&date=${day}`;

  await test('the production list gives per product the quantity per slot, with totals', async (page) => {
    await page.goto(`/staff/production.html${query}`);
    const row = (id) => page.locator(`#production tbody tr[data-product-id="${id}"]`);
    await row(loaf).waitFor();
    const heads = await page.locator('#production thead th').allTextContents();
    same(heads.length, 24, 'product, 22 slots, total');
    const col = (iso) => heads.indexOf(iso.slice(11, 16)) - 1; // td index (the th is the product)
    check(col(a) >= 0 && col(b) > col(a), `columns for ${a} and ${b} in ${heads}`);
    const cells = async (id) => row(id).locator('td').allTextContents();
    const l = await cells(loaf);
    same(`${l[col(a)]}|${l[col(b)]}|${l.at(-1)}`, '3||3', `loaf: 3 at ${a}, none at ${b}, 3 in all`);
    check(l.filter((t) => t !== '').length === 2, `loaf in no other slot: ${l}`);
    const r = await cells(roll);
    same(`${r[col(a)]}|${r[col(b)]}|${r.at(-1)}`, '6|4|10', 'roll: 6, 4, 10 in all');
    same((await row(others[1]).locator('td').last().textContent()), String(2 * busy.length), 'a busy product: 2 in each of the other slots');
    const foot = await page.locator('#production tfoot td').allTextContents();
    const perBusy = others.reduce((n, _, i) => n + 1 + (i % 3), 0);
    same(`${foot[col(a)]}|${foot[col(b)]}|${foot.at(-1)}`, `9|4|${13 + perBusy * busy.length}`, 'slot totals and the day\'s');
    await textMatches(page.locator('#sheet-where'), new RegExp(`Bakehouse ${RUN}`), 5000, 'the branch on the sheet');
    await page.screenshot({ path: '/tmp/i14w-production.png', fullPage: true });
  }, { page: staff });

  await test('printed, the production list is the sheet alone on one A4 page', async (page) => {
    await page.emulateMedia({ media: 'print' });
    try {
      const shown = await page.evaluate(() => ['.site-header', '.day-form', '.site-footer', '#production']
        .map((s) => `${s}:${getComputedStyle(document.querySelector(s)).display}`).join(' '));
      same(shown, '.site-header:none .day-form:none .site-footer:none #production:table', 'only the sheet is printed');
      // How the sheet looks on the paper's width (A4 landscape less the margins).
      await page.setViewportSize({ width: 1047, height: 718 });
      await page.screenshot({ path: '/tmp/i14w-production-print.png', fullPage: true });
      const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: false });
      const file = '/tmp/i14w-production.pdf';
      writeFileSync(file, pdf);
      same(pdfPages(pdf), 1, `one A4 page (${file})`);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ media: 'screen' });
    }
  }, { page: staff });

  await test('pickups list the day\'s orders per slot; "Mark collected" collects, and the customer sees it', async (page) => {
    await page.goto(`/staff/pickups.html${query}`);
    const first = page.locator(`li.pickup-order[data-order-id="${orders[0].order_id}"]`);
    await first.waitFor();
    same(await page.locator('section.pickup-slot').count(), slots.length, 'every slot has orders');
    same(await page.locator('section.pickup-slot').first().locator('li.pickup-order').count(), 2, 'two orders in the first');
    await textMatches(first.locator('.status'), /completed/, 5000, 'status shown');
    await textMatches(first.locator('.pickup-items'), new RegExp(`2 × Prod Loaf ${RUN}`), 5000, 'items shown');
    await first.getByRole('button', { name: `Mark collected order #${orders[0].order_id}` }).click();
    await textMatches(first.locator('.form-message'), /collected/, 10000, 'said collected');
    await textMatches(first.locator('.status'), /collected/, 5000, 'badge collected');
    same(await first.getByRole('button', { name: /Mark collected/ }).count(), 0, 'no second collect');
    same(statusOf(orders[0].order_id), 'collected', 'collected in the database');
    const customer = await freshPage();
    try {
      await customer.goto(`/order.html?id=${orders[0].order_id}#token=${orders[0].token}`);
      await textMatches(customer.locator('#order-status .badge'), /^Collected$/, 10000, 'the customer sees Collected');
      await textMatches(customer.locator('#pickup-branch'), new RegExp(`Bakehouse ${RUN}, ${RUN} Oven Row`), 5000, 'and where');
      await textMatches(customer.locator('#pickup-status'), /Collected/, 5000, 'and that it was collected');
    } finally {
      await customer.context().close();
    }
    await until(async () => (await page.locator(`li.pickup-order[data-status="collected"]`).count()) === 1, 5000, 'one collected');
  }, { page: staff });

  await test('an order opened on the orders page says where and when, and can be marked collected there', async (page) => {
    const id = orders[1].order_id;
    await page.goto(`/staff/orders.html?id=${id}`);
    const row = page.locator(`li.order-item[data-order-id="${id}"]`);
    await textMatches(row.locator('.pickup-line'), new RegExp(`Collect at Bakehouse ${RUN}, ${RUN} Oven Row · `), 10000, 'where and when');
    await row.getByRole('button', { name: `Mark collected order #${id}` }).click();
    await textMatches(row.locator('.form-message'), /is collected/, 10000, 'said collected');
    same(statusOf(id), 'collected', 'collected in the database');
    same(await row.getByRole('button', { name: /Refund/ }).count(), 0, 'a collected order cannot be refunded here');
  }, { page: staff });

  await staff.context().close();
}

run(main, async () => retireProducts(made));
