// pickups.js - the counter's list: a branch's orders to be collected on one
// day, per pickup slot, each with its status and items, and a "Mark
// collected" button on the paid (completed) ones. Follows new orders live
// (polling with backoff) without moving the keyboard focus.
import { collectOrder, pickups } from './staff-api.js';
import { byId, h, replace, srOnly } from '/js/dom.js';
import { dayName, money, plural, slotRange } from '/js/format.js';
import { poll } from '/js/poller.js';
import { chosen, initDayForm } from './day-form.js';
import { expired, startPage } from './session.js';
import { badge, errorText, say } from './ui.js';

const WAITING = {
  pending: 'Not paid yet: being processed.',
  processing: 'Not paid yet: being processed.',
};

let last = '';
let poller = null;

function itemsText(o) {
  return (o.items ?? []).map((it) => `${it.quantity} × ${it.name ?? `#${it.product_id}`}`).join(', ');
}

// The status, and what the counter can do about it.
function fillOrder(li, o) {
  li.dataset.status = o.status;
  replace(li.querySelector('.status'), badge(o.status));
  const area = li.querySelector('.action-area');
  if (o.status !== 'completed') {
    replace(area, WAITING[o.status] ? h('span', { class: 'muted' }, WAITING[o.status]) : null);
    return;
  }
  const b = h('button', { class: 'button collect', type: 'button' }, 'Mark collected', srOnly(` order #${o.order_id}`));
  b.addEventListener('click', () => collect(li, b));
  replace(area, b);
}

async function collect(li, button) {
  const id = li.dataset.orderId;
  const msg = li.querySelector('.form-message');
  button.disabled = true;
  try {
    const o = await collectOrder(id);
    fillOrder(li, { ...o, order_id: o.order_id ?? Number(id) });
    say(msg, `Order #${id} collected.`);
  } catch (err) {
    if (expired(err)) return;
    button.disabled = false;
    say(msg, `Could not mark order #${id} collected: ${errorText(err)}`, true);
    if (err.status === 409) poller?.refresh();
  }
  msg.focus();
}

function orderItem(o) {
  const li = h('li', { class: 'staff-item pickup-order', 'data-order-id': o.order_id },
    h('div', { class: 'item-head' },
      h('h3', { class: 'item-title' }, `#${o.order_id}`, ' ', h('span', { class: 'customer' }, o.customer_name ?? '')),
      h('span', { class: 'status' }),
      h('strong', { class: 'total' }, money(o.total_amount))),
    h('p', { class: 'pickup-items' }, itemsText(o)),
    h('div', { class: 'button-row action-area' }),
    h('p', { class: 'form-message', role: 'status', tabindex: '-1' }));
  fillOrder(li, o);
  return li;
}

function slotSection(s, i) {
  const id = `slot-title-${i}`;
  const orders = s.orders ?? [];
  return h('section', { class: 'pickup-slot', 'aria-labelledby': id, 'data-start': s.start },
    h('h2', { id, class: 'slot-title' }, slotRange(s), ' ', h('span', { class: 'muted' }, `· ${plural(orders.length, 'order', 'orders')}`)),
    h('ul', { class: 'staff-list' }, orders.map(orderItem)));
}

// Redraws the list; the focus goes back to the same order's control.
function render(data) {
  const focused = document.activeElement?.closest?.('li.pickup-order')?.dataset.orderId;
  const slots = (data.slots ?? []).filter((s) => (s.orders ?? []).length);
  replace(byId('pickups'), slots.map(slotSection));
  const n = slots.reduce((sum, s) => sum + s.orders.length, 0);
  const open = slots.reduce((sum, s) => sum + s.orders.filter((o) => o.status === 'completed').length, 0);
  say(byId('pickups-status'), n ? `${plural(n, 'order', 'orders')}, ${open} ready to collect.` : 'No orders to collect on this day.');
  if (focused) {
    const li = byId('pickups').querySelector(`li[data-order-id="${CSS.escape(focused)}"]`);
    (li?.querySelector('button') ?? li?.querySelector('.form-message'))?.focus();
  }
}

async function refresh() {
  const day = chosen();
  try {
    const data = await pickups({ branch: day.branch, date: day.date });
    const text = JSON.stringify(data);
    replace(byId('pickups-live'), 'Updates by itself.');
    if (text === last) return 'same';
    last = text;
    render(data);
    return 'changed';
  } catch (err) {
    if (expired(err)) return 'stop';
    say(byId('pickups-status'), `Could not load the pickups: ${errorText(err)}`, true);
    return 'error';
  }
}

function show(day) {
  const b = day.branchObj;
  replace(byId('pickups-where'), b ? `${b.name}${b.address ? `, ${b.address}` : ''} · ` : '', dayName(day.date));
  last = '';
  if (poller) poller.refresh();
  else poller = poll(refresh, { first: 5000, max: 30000, factor: 1.5 });
}

startPage();
initDayForm(show);
