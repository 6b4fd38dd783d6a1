// production.js - the bakers' list for one branch and day: per product the
// quantity to have ready in each pickup slot, with the totals, from the
// paid orders to be collected that day (GET /api/staff/production). Made to
// be printed: staff.css's print rules fit a normal day on one A4 page.
import { production } from './staff-api.js';
import { byId, h, replace } from '/js/dom.js';
import { dateTime, dayName, hhmm, plural } from '/js/format.js';
import { initDayForm } from './day-form.js';
import { expired, startPage } from './session.js';
import { errorText, say } from './ui.js';

function quantityIn(product, start) {
  return (product.slots ?? []).find((s) => s.start === start)?.quantity ?? 0;
}

// Products as rows, the day's slots as columns; a blank cell is nothing to
// make for that slot (easier to read on paper than a column of zeros).
function sheetTable(data) {
  const slots = data.slots ?? [];
  const products = data.products ?? [];
  const slotTotal = (start) => products.reduce((n, p) => n + quantityIn(p, start), 0);
  const cell = (n) => h('td', { class: 'num' }, n ? String(n) : '');
  return h('table', { class: 'production-table', id: 'production' },
    h('caption', { class: 'sr-only' }, 'Quantity of each product to have ready, per pickup time'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Product'),
      slots.map((s) => h('th', { scope: 'col', class: 'num' }, h('time', { datetime: s }, hhmm(s)))),
      h('th', { scope: 'col', class: 'num total' }, 'Total'))),
    h('tbody', {}, products.map((p) => h('tr', { 'data-product-id': p.product_id },
      h('th', { scope: 'row' }, p.name),
      slots.map((s) => cell(quantityIn(p, s))),
      h('td', { class: 'num total' }, String(p.total))))),
    h('tfoot', {}, h('tr', {},
      h('th', { scope: 'row' }, 'All products'),
      slots.map((s) => cell(slotTotal(s))),
      h('td', { class: 'num total' }, String(products.reduce((n, p) => n + p.total, 0))))));
}

function render(data, day) {
  const b = day.branchObj;
  replace(byId('sheet-title'), `What to have ready: ${dayName(data.date ?? day.date)}`);
  replace(byId('sheet-where'), b ? `${b.name}${b.address ? `, ${b.address}` : ''}` : '');
  const products = data.products ?? [];
  replace(byId('sheet-body'), products.length
    ? h('div', { class: 'table-scroll' }, sheetTable(data))
    : h('p', { class: 'sheet-empty' }, 'Nothing to have ready: no paid orders to collect on this day yet.'));
  const items = products.reduce((n, p) => n + p.total, 0);
  replace(byId('sheet-note'),
    `${plural(items, 'item', 'items')} of ${plural(products.length, 'product', 'products')} in ${plural((data.slots ?? []).length, 'pickup slot', 'pickup slots')}, `,
    'from the paid orders (completed or collected). Printed ', dateTime(new Date().toISOString()), '.');
}

async function show(day) {
  const sheet = byId('sheet');
  sheet.setAttribute('aria-busy', 'true');
  say(byId('day-status'), '');
  try {
    render(await production({ branch: day.branch, date: day.date }), day);
  } catch (err) {
    if (expired(err)) return;
    replace(byId('sheet-body'));
    replace(byId('sheet-note'));
    say(byId('day-status'), `Could not load the production list: ${errorText(err)}`, true);
  } finally {
    sheet.setAttribute('aria-busy', 'false');
  }
}

startPage();
byId('print').addEventListener('click', () => window.print());
initDayForm(show);
