// pickup.mjs - the storefront's branch and pickup slot in headless
// Chromium: a customer chooses a branch (remembered across a reload) and
// sees its own stock, picks tomorrow and a slot with the places left, and
// the order page and "My orders" say where and when to collect; a full
// slot cannot be chosen, and a slot that fills up while the customer
// decides is refused with a clear message; the picker works by keyboard
// and fits 375 px. A branch of this run's own (staff API) keeps other
// tests' orders out of its slots. Screenshot: /tmp/i14w-slot-picker.png.
import {
  RUN, addProduct, check, freshPage, invalidateProducts, retireProducts, run, same, screenshot, sidewaysProblems,
  test, textMatches, unlabelled, until,
} from './lib.mjs';
import { api, makeBranch, placeFor, slotsOf, staffToken, tomorrow, wallTime } from './branch-lib.mjs';

const made = [];
const NAME = `Test Branch ${RUN}`;
const ADDRESS = `${RUN} Mill Lane, Testbury`;
const CAPACITY = 2;

const card = (page, id) => page.locator(`article.product[data-product-id="${id}"]`);
const slotInput = (page, start) => page.locator(`#pickup-slots input[value="${start}"]`);

// Opens the shop, chooses the branch with the keyboard (Tab into the
// radio group, arrows to the branch), waits for its stock.
async function chooseBranch(page, branch, productId) {
  await page.goto('/');
  const radio = page.getByRole('radio', { name: new RegExp(NAME) });
  await radio.waitFor();
  await page.locator('#branch-options input').first().focus();
  for (let i = 0; i < 50 && !(await radio.isChecked()); i += 1) await page.keyboard.press('ArrowDown');
  check(await radio.isChecked(), 'the branch chosen by keyboard');
  await textMatches(card(page, productId).locator('.stock'), /^In stock$/, 10000, 'the branch\'s own stock');
}

async function fillCheckout(page, productId, day, who) {
  await card(page, productId).getByRole('button', { name: /Add to cart/ }).click();
  await page.getByLabel('Name', { exact: true }).fill(`${who} ${RUN}`);
  await page.getByLabel('Email', { exact: true }).fill(`${who}-${RUN}@example.com`);
  await page.getByLabel('Day', { exact: true }).selectOption(day);
}

async function main() {
  const token = await staffToken(`pickup-${RUN}`, `pw-${RUN}-long-enough`);
  const bun = addProduct({ name: `Slot Bun ${RUN}`, category: `test-${RUN}`, price_cents: 250, stock: 0 });
  made.push(bun);
  invalidateProducts();
  const branch = await makeBranch(token, { name: NAME, address: ADDRESS, capacity: CAPACITY, products: [bun], stock: 40 });
  const day = tomorrow(branch.timezone ?? (await api('GET', '/api/branches')).find((b) => b.id === branch.id).timezone);
  const slots = await slotsOf(branch.id, day);
  check(slots.length >= 4 && slots.every((s) => s.remaining === CAPACITY), `tomorrow's free slots: ${JSON.stringify(slots)}`);
  const [chosen, full, filling] = [slots[1], slots[2], slots[3]];
  const items = [{ product_id: bun, quantity: 1 }];

  await test('a customer picks a branch and a slot, and the order page says where and when', async (page) => {
    await chooseBranch(page, branch, bun);
    const listings = [];
    page.on('request', (r) => { if (r.url().includes('/api/products')) listings.push(r.url()); });
    await page.reload();
    await textMatches(card(page, bun).locator('.stock'), /^In stock$/, 10000, 'stock after the reload');
    check(await page.getByRole('radio', { name: new RegExp(NAME) }).isChecked(), 'the branch is remembered across the reload');
    check(listings.some((u) => u.includes(`branch=${branch.id}`)), `the catalogue asked for the branch's stock: ${listings}`);
    await fillCheckout(page, bun, day, 'picker');
    await textMatches(page.locator('#pickup-where'), new RegExp(NAME), 5000, 'the picker names the branch');
    const input = slotInput(page, chosen.start);
    await input.waitFor();
    await textMatches(input.locator('xpath=..'), new RegExp(`${wallTime(chosen.start)}.*${CAPACITY} places left`), 5000, 'time and places left');
    await input.focus();
    await page.keyboard.press('Space');
    check(await input.isChecked(), 'the slot chosen by keyboard');
    await page.locator('#pickup').screenshot({ path: '/tmp/i14w-slot-picker.png' });
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/orders'));
    await page.getByRole('button', { name: /Place order/ }).click();
    const body = JSON.parse((await posted).postData());
    same(body.branch_id, branch.id, 'branch_id sent');
    same(body.pickup_at, chosen.start, 'pickup_at sent');
    await page.waitForURL(/\/order\.html\?id=\d+/);
    await textMatches(page.locator('#pickup-branch'), new RegExp(`${NAME}, ${ADDRESS}`), 10000, 'where to collect');
    await textMatches(page.locator('#pickup-when'), new RegExp(wallTime(chosen.start)), 5000, 'when to collect');
    await page.goto('/orders.html');
    await textMatches(page.locator('.order-pickup').first(), new RegExp(`Collect at ${NAME}.*${wallTime(chosen.start)}`), 10000, 'My orders says where and when');
    const left = (await slotsOf(branch.id, day)).find((s) => s.start === chosen.start).remaining;
    same(left, CAPACITY - 1, 'one place booked');
  });

  await test('a full slot cannot be chosen, and one that fills meanwhile is refused with a clear message', async (page) => {
    for (let i = 0; i < CAPACITY; i += 1) await placeFor(branch.id, full.start, items, `full-${i}-${RUN}@example.com`);
    await chooseBranch(page, branch, bun);
    await fillCheckout(page, bun, day, 'late');
    const gone = slotInput(page, full.start);
    await gone.waitFor();
    check(await gone.isDisabled(), 'the full slot is disabled');
    await textMatches(gone.locator('xpath=..'), /Full/, 5000, 'and says Full');
    await slotInput(page, filling.start).check();
    for (let i = 0; i < CAPACITY; i += 1) await placeFor(branch.id, filling.start, items, `fill-${i}-${RUN}@example.com`);
    await page.getByRole('button', { name: /Place order/ }).click();
    await textMatches(page.locator('#pickup-error'), /just filled up.*choose another/, 10000, 'slot_full explained at the picker');
    await textMatches(page.locator('#checkout-error'), /pickup time/, 5000, 'and at the form');
    await until(() => slotInput(page, filling.start).isDisabled(), 5000, 'the slot shown full now');
    check(!page.url().includes('order.html'), `still on the shop: ${page.url()}`);
  });

  await test('the branch and slot pickers at 375 px: fit, labelled, focus ring', async (page) => {
    await chooseBranch(page, branch, bun);
    await fillCheckout(page, bun, day, 'phone');
    await slotInput(page, slots[0].start).waitFor();
    const wide = await sidewaysProblems(page);
    same(wide.length, 0, `sideways at 375 px: ${wide.join(' | ')}`);
    const names = await unlabelled(page);
    same(names.length, 0, `controls without a name: ${names.join(' | ')}`);
    await page.getByLabel('Day', { exact: true }).focus();
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const e = document.activeElement;
      const s = getComputedStyle(e);
      return `${e.name}:${s.outlineStyle}:${parseFloat(s.outlineWidth) >= 2}`;
    });
    same(ring, 'pickup_at:solid:true', 'Tab from the day reaches the slots with a visible focus ring');
    await screenshot(page, 'phone');
  }, { width: 375, height: 740 });
}

run(main, async () => retireProducts(made));
