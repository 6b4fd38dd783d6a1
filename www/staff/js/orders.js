// orders.js - orders for staff: filtered by status, date range and
// customer email (kept in the address, so a reload or a shared link shows
// the same), newest first, a page at a time with the API's cursor; each
// order opens to its items and history, and pending ones can be cancelled,
// completed ones refunded (after a confirmation) or marked collected. ?id=N
// shows one order.
import { cancelOrder, collectOrder, getOrder, listOrders, refundOrder } from './staff-api.js';
import { byId, h, replace, srOnly } from '/js/dom.js';
import { dateTime, money, moneyCents, pickupTime, toCents } from '/js/format.js';
import { expired, startPage } from './session.js';
import { badge, errorText, say } from './ui.js';

const PAGE = 25;
const FILTERS = ['status', 'from', 'to', 'email'];
let next = null;

const orderId = (o) => o.order_id;

const ACTIONS = {
  pending: { verb: 'Cancel', done: 'cancelled', call: cancelOrder, note: 'The customer is not charged.' },
  completed: { verb: 'Refund', done: 'refunded', call: refundOrder, note: 'Its stock goes back on sale.' },
};

function itemsTable(o) {
  return h('table', { class: 'items-table' },
    h('caption', { class: 'sr-only' }, `Items of order #${orderId(o)}`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Item'), h('th', { scope: 'col', class: 'num' }, 'Qty'),
      h('th', { scope: 'col', class: 'num' }, 'Price'), h('th', { scope: 'col', class: 'num' }, 'Amount'))),
    h('tbody', {}, (o.items ?? []).map((it) => h('tr', {},
      h('th', { scope: 'row' }, it.name ?? `#${it.product_id}`), h('td', { class: 'num' }, String(it.quantity)),
      h('td', { class: 'num' }, money(it.price)), h('td', { class: 'num' }, moneyCents(toCents(it.price) * it.quantity))))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: 3 }, 'Total'), h('td', { class: 'num' }, money(o.total_amount)))));
}

function history(o) {
  return h('ol', { class: 'timeline', 'aria-label': `History of order #${orderId(o)}` }, (o.history ?? []).map((e) => {
    return h('li', { class: `event status-${e.to}` },
      h('span', { class: 'event-status' }, e.from ? `${e.from} → ${e.to}` : String(e.to)),
      h('time', { class: 'event-time', datetime: e.at }, dateTime(e.at)),
      e.reason ? h('span', { class: 'event-reason' }, e.reason) : null);
  }));
}

// "Collect at High Street, 12 High Street · Wed, Dec 2, 7:00 AM".
function pickupLine(o) {
  if (!o.branch && !o.pickup_at) return null;
  const where = o.branch ? `${o.branch.name}${o.branch.address ? `, ${o.branch.address}` : ''}` : 'the bakery';
  return h('p', { class: 'pickup-line' }, `${o.status === 'collected' ? 'Collected at' : 'Collect at'} ${where}`,
    o.pickup_at ? [' · ', h('time', { datetime: o.pickup_at }, pickupTime(o.pickup_at))] : ' · when convenient');
}

function renderDetails(row, o) {
  replace(row.querySelector('.details'),
    o.failure_reason ? h('p', { class: 'failure-reason' }, 'Reason: ', o.failure_reason) : null,
    pickupLine(o),
    h('h3', {}, 'Items'), h('div', { class: 'table-scroll' }, itemsTable(o)),
    h('h3', {}, 'History'), history(o));
}

async function toggleDetails(row) {
  const button = row.querySelector('.show-details');
  const box = row.querySelector('.details');
  const open = button.getAttribute('aria-expanded') !== 'true';
  button.setAttribute('aria-expanded', String(open));
  replace(button, open ? 'Hide details' : 'Details', srOnly(` of order #${row.dataset.orderId}`));
  box.hidden = !open;
  if (!open) return;
  replace(box, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const o = await getOrder(row.dataset.orderId);
    fillRow(row, o);
    renderDetails(row, o);
  } catch (err) {
    if (!expired(err)) replace(box, h('p', { class: 'form-error' }, errorText(err)));
  }
}

function confirmBox(row, o, action) {
  const id = orderId(o);
  const who = o.customer_name ? ` for ${o.customer_name}` : '';
  const yes = h('button', { class: 'button button-danger confirm-yes', type: 'button' }, `Yes, ${action.verb.toLowerCase()} order #${id}`);
  const no = h('button', { class: 'button button-secondary', type: 'button' }, 'Keep it');
  const box = h('div', { class: 'confirm', role: 'group', 'aria-label': `${action.verb} order #${id}?` },
    h('p', { class: 'confirm-question' }, `${action.verb} order #${id}${who} (${money(o.total_amount)})? ${action.note}`),
    h('div', { class: 'button-row' }, yes, no));
  yes.addEventListener('click', () => act(row, action));
  no.addEventListener('click', () => { replace(row.querySelector('.confirm-area')); row.querySelector('.act')?.focus(); });
  return box;
}

async function act(row, action) {
  const id = row.dataset.orderId;
  const msg = row.querySelector('.form-message');
  row.querySelectorAll('.confirm button').forEach((b) => { b.disabled = true; });
  try {
    const o = await action.call(id);
    fillRow(row, o);
    say(msg, `Order #${id} is ${action.done}.`);
  } catch (err) {
    if (expired(err)) return;
    say(msg, `${action.verb} refused: ${errorText(err)}`, true);
    // The order moved on behind our back (409): show where it is now.
    if (err.status === 409) getOrder(id).then((o) => fillRow(row, o)).catch(() => {});
  }
  replace(row.querySelector('.confirm-area'));
  msg.focus();
}

// "Mark collected" at the counter: no confirmation (nothing is lost).
function collectButton(row, o) {
  const b = h('button', { class: 'button collect', type: 'button' }, 'Mark collected', srOnly(` order #${orderId(o)}`));
  b.addEventListener('click', async () => {
    const msg = row.querySelector('.form-message');
    b.disabled = true;
    try {
      fillRow(row, await collectOrder(orderId(o)));
      say(msg, `Order #${orderId(o)} is collected.`);
    } catch (err) {
      if (expired(err)) return;
      b.disabled = false;
      say(msg, `Collect refused: ${errorText(err)}`, true);
    }
    msg.focus();
  });
  return b;
}

// Puts the order's current state into its row: badge, customer, action.
function fillRow(row, o) {
  row.order = { ...row.order, ...o };
  const cur = row.order;
  replace(row.querySelector('.status'), badge(cur.status));
  replace(row.querySelector('.total'), money(cur.total_amount));
  const action = ACTIONS[cur.status];
  const area = row.querySelector('.action-area');
  if (!action) {
    replace(area);
  } else {
    const b = h('button', { class: 'button button-secondary act', type: 'button' }, action.verb, srOnly(` order #${orderId(cur)}`));
    b.addEventListener('click', () => replace(row.querySelector('.confirm-area'), confirmBox(row, row.order, action)));
    replace(area, b, cur.status === 'completed' ? collectButton(row, cur) : null);
  }
  if (!row.querySelector('.details').hidden && cur.items) renderDetails(row, cur);
}

function orderRow(o) {
  const id = orderId(o);
  const details = h('div', { class: 'details', id: `details-${id}`, hidden: true });
  const show = h('button', { class: 'link-button show-details', type: 'button', 'aria-expanded': 'false', 'aria-controls': `details-${id}` },
    'Details', srOnly(` of order #${id}`));
  const row = h('li', { class: 'staff-item order-item', 'data-order-id': id },
    h('div', { class: 'item-head' },
      h('h2', { class: 'item-title' }, `Order #${id}`),
      h('span', { class: 'status' }),
      h('strong', { class: 'total' })),
    h('p', { class: 'item-meta' }, h('time', { datetime: o.created_at }, dateTime(o.created_at)),
      o.pickup_at ? [' · pickup ', h('time', { datetime: o.pickup_at, class: 'pickup-at' }, pickupTime(o.pickup_at))] : null, ' · ',
      h('span', { class: 'customer wrap-anywhere' }, o.customer_name ?? '', ' ', h('span', { class: 'muted' }, `<${o.customer_email ?? ''}>`))),
    h('div', { class: 'button-row' }, show, h('span', { class: 'action-area' })),
    h('div', { class: 'confirm-area' }),
    h('p', { class: 'form-message', role: 'status', tabindex: '-1' }),
    details);
  row.order = {};
  fillRow(row, o);
  show.addEventListener('click', () => toggleDetails(row));
  return row;
}

function filters() {
  const form = byId('order-filters');
  return Object.fromEntries(FILTERS.map((f) => [f, form[f].value.trim()]));
}

function showError(err) {
  const box = byId('orders-error');
  box.hidden = !err;
  if (err) {
    replace(box, `Could not load orders: ${errorText(err)}`);
    replace(byId('orders-status'));
  }
}

// Loads the first page (append false) or the next one.
async function load(append) {
  const more = byId('load-more');
  more.disabled = true;
  try {
    const data = await listOrders({ ...filters(), limit: PAGE, after: append ? next : undefined });
    showError(null);
    next = data.next ?? null;
    const rows = (data.orders ?? []).map(orderRow);
    if (append) byId('order-list').append(...rows);
    else replace(byId('order-list'), rows);
    const n = byId('order-list').children.length;
    say(byId('orders-status'), n === 0 ? 'No orders match these filters.' : `${n} orders shown${next ? ', more below' : ''}.`);
    more.hidden = !next;
  } catch (err) {
    if (expired(err)) return;
    showError(err);
    if (err.field) byId('order-filters')[err.field]?.setAttribute('aria-invalid', 'true');
  } finally {
    more.disabled = false;
  }
}

async function loadOne(id) {
  try {
    const row = orderRow(await getOrder(id));
    replace(byId('order-list'), row);
    say(byId('orders-status'), `Order #${id}.`);
    toggleDetails(row);
  } catch (err) {
    if (!expired(err)) showError(err);
  }
}

function onFilter(event) {
  event?.preventDefault();
  const form = byId('order-filters');
  form.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
  const q = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v));
  window.history.replaceState(null, '', `${window.location.pathname}${q.size ? `?${q}` : ''}`);
  load(false);
}

function init() {
  startPage();
  const form = byId('order-filters');
  const params = new URLSearchParams(window.location.search);
  for (const f of FILTERS) form[f].value = params.get(f) ?? '';
  form.addEventListener('submit', onFilter);
  byId('f-clear').addEventListener('click', () => { form.reset(); onFilter(); });
  byId('load-more').addEventListener('click', () => load(true));
  if (/^\d+$/.test(params.get('id') ?? '')) loadOne(params.get('id'));
  else load(false);
}

init();
