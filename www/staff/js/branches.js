// branches.js - the bakery's branches: each with its name, address, orders
// per pickup slot and opening hours editable in place, and its own stock of
// every product behind a "Stock" button; a form adds a branch. A 422 marks
// the input to blame.
import { branchStock, createBranch, listBranches, setBranchStock, updateBranch } from './staff-api.js';
import { byId, h, replace, srOnly } from '/js/dom.js';
import { expired, startPage } from './session.js';
import { badge, clearFields, errorText, markField, say } from './ui.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];

function field(id, label, input, hint) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null);
}

// One weekday: open or closed, and the hours when open.
function dayRow(key, day, name) {
  const id = `${key}-${day}`;
  const open = h('input', { type: 'checkbox', id: `${id}-open`, name: `open-${day}` });
  const from = h('input', { type: 'time', id: `${id}-from`, name: `from-${day}`, 'aria-label': `${name}: opens at` });
  const to = h('input', { type: 'time', id: `${id}-to`, name: `to-${day}`, 'aria-label': `${name}: closes at` });
  const sync = () => { from.disabled = !open.checked; to.disabled = !open.checked; };
  open.addEventListener('change', sync);
  return h('tr', { 'data-day': day },
    h('th', { scope: 'row' }, h('label', { class: 'day-open', for: open.id }, open, ` ${name}`)),
    h('td', {}, from), h('td', {}, to));
}

function hoursTable(key, b) {
  return h('table', { class: 'hours-table' },
    h('caption', {}, 'Opening hours', srOnly(` of ${b.name}`)),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Open on'), h('th', { scope: 'col' }, 'From'), h('th', { scope: 'col' }, 'To'))),
    h('tbody', {}, DAYS.map(([d, name]) => dayRow(key, d, name))));
}

function readHours(form) {
  return Object.fromEntries(DAYS.map(([d]) => [d, form[`open-${d}`].checked
    ? { open: form[`from-${d}`].value, close: form[`to-${d}`].value } : null]));
}

function fillForm(row, b) {
  row.branch = b;
  const form = row.querySelector('form.branch-form');
  form.name.value = b.name;
  form.address.value = b.address ?? '';
  form.slot_capacity.value = b.slot_capacity ?? '';
  for (const [d] of DAYS) {
    const hours = b.opening_hours?.[d] ?? null;
    form[`open-${d}`].checked = Boolean(hours);
    form[`from-${d}`].value = hours?.open ?? '';
    form[`to-${d}`].value = hours?.close ?? '';
    form[`from-${d}`].disabled = !hours;
    form[`to-${d}`].disabled = !hours;
  }
  replace(row.querySelector('.item-title'), b.name);
  replace(row.querySelector('.state'), b.default ? badge('default') : null);
}

function capacityValue(text) {
  const t = String(text).trim();
  if (t === '') return null;
  return /^\d+$/.test(t) ? Number(t) : Number.NaN;
}

// The fields that differ from the branch as loaded.
function changesOf(form, b) {
  const changes = {};
  const name = form.name.value.trim();
  const address = form.address.value.trim();
  const capacity = capacityValue(form.slot_capacity.value);
  if (name !== b.name) changes.name = name;
  if (address !== (b.address ?? '')) changes.address = address;
  if (capacity !== (b.slot_capacity ?? null)) changes.slot_capacity = capacity;
  const hours = readHours(form);
  if (JSON.stringify(hours) !== JSON.stringify(Object.fromEntries(DAYS.map(([d]) => [d, b.opening_hours?.[d] ?? null])))) {
    changes.opening_hours = hours;
  }
  return changes;
}

async function save(row) {
  const form = row.querySelector('form.branch-form');
  const msg = row.querySelector('.branch-message');
  clearFields(form);
  const changes = changesOf(form, row.branch);
  if (Number.isNaN(changes.slot_capacity)) {
    markField(form, 'slot_capacity');
    say(msg, 'Enter the orders per slot as a whole number, or leave it empty.', true);
    return;
  }
  if (Object.keys(changes).length === 0) {
    say(msg, 'Nothing to save: nothing was changed.');
    return;
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const b = await updateBranch(row.branch.id, changes);
    fillForm(row, b);
    say(msg, `Saved ${b.name}.`);
  } catch (err) {
    if (expired(err)) return;
    if (!markField(form, String(err.field ?? '').replace(/^opening_hours.*/, 'open-mon'))) msg.focus();
    say(msg, errorText(err), true);
  } finally {
    button.disabled = false;
  }
}

function stockRow(key, s) {
  const id = `${key}-stock-${s.product_id}`;
  return h('tr', { 'data-product-id': s.product_id },
    h('th', { scope: 'row' }, h('label', { for: id }, s.name)),
    h('td', {}, h('input', {
      id, type: 'number', inputmode: 'numeric', min: 0, max: 1000000, step: 1, value: s.stock, class: 'stock-input', 'data-was': s.stock,
    })));
}

async function openStock(row) {
  const button = row.querySelector('.show-stock');
  const box = row.querySelector('.stock-box');
  const open = button.getAttribute('aria-expanded') !== 'true';
  button.setAttribute('aria-expanded', String(open));
  box.hidden = !open;
  if (!open) return;
  replace(box, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const list = await branchStock(row.branch.id);
    const key = `b${row.branch.id}`;
    const form = h('form', { class: 'stock-form', novalidate: true },
      h('div', { class: 'table-scroll' }, h('table', { class: 'items-table stock-table' },
        h('caption', { class: 'sr-only' }, `Stock at ${row.branch.name}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col' }, 'In stock'))),
        h('tbody', {}, list.map((s) => stockRow(key, s))))),
      h('button', { class: 'button', type: 'submit' }, 'Save stock', srOnly(` at ${row.branch.name}`)),
      h('p', { class: 'form-message', role: 'status', tabindex: '-1' }));
    form.addEventListener('submit', (e) => { e.preventDefault(); saveStock(row, form); });
    replace(box, form);
  } catch (err) {
    if (!expired(err)) replace(box, h('p', { class: 'form-message is-error' }, errorText(err)));
  }
}

// Sends the stock levels that were changed, one by one; stops at the first
// refused, with its input marked.
async function saveStock(row, form) {
  const msg = form.querySelector('.form-message');
  clearFields(form);
  const changed = [...form.querySelectorAll('.stock-input')].filter((i) => i.value.trim() !== i.dataset.was);
  let saved = 0;
  for (const input of changed) {
    const stock = /^\d+$/.test(input.value.trim()) ? Number(input.value.trim()) : null;
    try {
      if (stock === null) throw new Error('Enter the stock as a whole number.');
      const r = await setBranchStock(row.branch.id, Number(input.closest('tr').dataset.productId), stock);
      input.dataset.was = String(r.stock);
      input.value = String(r.stock);
      saved += 1;
    } catch (err) {
      if (expired(err)) return;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      say(msg, `${saved ? `Saved ${saved}; then ` : ''}${input.labels[0]?.textContent}: ${errorText(err)}`, true);
      return;
    }
  }
  say(msg, saved ? `Saved ${saved} stock ${saved === 1 ? 'level' : 'levels'} at ${row.branch.name}.` : 'Nothing to save: no stock was changed.');
  msg.focus();
}

function branchRow(b) {
  const key = `b${b.id}`;
  const form = h('form', { class: 'branch-form create-form', novalidate: true },
    field(`${key}-name`, 'Name', h('input', { id: `${key}-name`, name: 'name', type: 'text', maxlength: 100 })),
    field(`${key}-address`, 'Address', h('input', { id: `${key}-address`, name: 'address', type: 'text', maxlength: 300 })),
    field(`${key}-capacity`, 'Orders per pickup slot', h('input', {
      id: `${key}-capacity`, name: 'slot_capacity', type: 'number', inputmode: 'numeric', min: 0, max: 1000, step: 1,
    }), 'Empty: the bakery’s default.'),
    h('div', { class: 'field-wide table-scroll' }, hoursTable(key, b)),
    h('div', { class: 'field-wide button-row' }, h('button', { class: 'button', type: 'submit' }, 'Save', srOnly(` ${b.name}`))));
  const stockButton = h('button', { class: 'button button-secondary show-stock', type: 'button', 'aria-expanded': 'false', 'aria-controls': `${key}-stock` },
    'Stock', srOnly(` at ${b.name}`));
  const row = h('li', { class: 'staff-item branch-item', 'data-branch-id': b.id },
    h('div', { class: 'item-head' }, h('h2', { class: 'item-title' }), h('span', { class: 'state' }), h('span', { class: 'muted item-meta' }, `#${b.id}`)),
    form,
    h('p', { class: 'form-message branch-message', role: 'status', tabindex: '-1' }),
    h('div', { class: 'button-row' }, stockButton),
    h('div', { class: 'stock-box details', id: `${key}-stock`, hidden: true }));
  form.addEventListener('submit', (e) => { e.preventDefault(); save(row); });
  stockButton.addEventListener('click', () => openStock(row));
  fillForm(row, b);
  return row;
}

async function load() {
  try {
    const list = await listBranches();
    replace(byId('branch-list'), list.map(branchRow));
    say(byId('branches-status'), `${list.length} ${list.length === 1 ? 'branch' : 'branches'}.`);
  } catch (err) {
    if (!expired(err)) say(byId('branches-status'), `Could not load the branches: ${errorText(err)}`, true);
  }
}

async function onCreate(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const msg = byId('new-branch-message');
  clearFields(form);
  const capacity = capacityValue(form.slot_capacity.value);
  if (Number.isNaN(capacity)) {
    markField(form, 'slot_capacity');
    say(msg, 'Enter the orders per slot as a whole number, or leave it empty.', true);
    return;
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const b = await createBranch({ name: form.name.value.trim(), address: form.address.value.trim(), slot_capacity: capacity });
    form.reset();
    say(msg, `Added ${b.name} (#${b.id}). Set its opening hours above: it is closed until then.`);
    await load();
  } catch (err) {
    if (expired(err)) return;
    if (!markField(form, err.field)) msg.focus();
    say(msg, errorText(err), true);
  } finally {
    button.disabled = false;
  }
}

startPage();
byId('new-branch').addEventListener('submit', onCreate);
load();
