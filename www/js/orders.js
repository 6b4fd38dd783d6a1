// orders.js - "My orders": the orders placed from this browser (ids and
// tokens kept in localStorage by the checkout), each with its current
// status from the API, refreshed live until every one is final.
import { getOrder } from './api.js';
import { byId, h, replace } from './dom.js';
import { FINAL_STATUSES, dateTime, money, plural, statusClass, statusLabel } from './format.js';
import { orderLink } from './order-link.js';
import { branchOf, whenText, whereText } from './pickup.js';
import { poll } from './poller.js';
import * as savedOrders from './saved-orders.js';

const rows = new Map(); // order id -> { status, details and pickup elements, final }

function orderUrl(o) {
  const url = orderLink(o.id, o.token);
  return url.pathname + url.search + url.hash;
}

function renderRow(o) {
  const status = h('span', { class: 'badge status-unknown' }, 'Checking…');
  const details = h('span', { class: 'order-details' }, o.total_amount !== undefined ? money(o.total_amount) : '');
  const forget = h('button', { type: 'button', class: 'link-button', 'aria-label': `Remove order #${o.id} from this list` }, 'Remove');
  forget.addEventListener('click', () => {
    savedOrders.forget(o.id);
    const li = rows.get(o.id)?.li;
    const next = li?.nextElementSibling?.querySelector('a') ?? byId('orders-title');
    li?.remove();
    rows.delete(o.id);
    next.focus();
    if (rows.size === 0) renderEmpty();
  });
  const li = h('li', { class: 'order-row', 'data-order-id': o.id },
    h('div', { class: 'order-row-main' },
      h('a', { href: orderUrl(o), class: 'order-link' }, `Order #${o.id}`),
      h('span', { class: 'order-date' }, o.placed_at ? dateTime(o.placed_at) : '')),
    h('div', { class: 'order-row-side' }, status, details, forget),
    h('p', { class: 'order-pickup', hidden: true }));
  rows.set(o.id, { li, status, details, pickup: li.querySelector('.order-pickup'), final: false });
  return li;
}

function renderStatus(id, order) {
  const r = rows.get(id);
  if (!r) return;
  r.final = FINAL_STATUSES.has(order.status);
  r.status.className = `badge ${statusClass(order.status)}`;
  replace(r.status, statusLabel(order.status));
  const count = (order.items ?? []).reduce((n, it) => n + it.quantity, 0);
  replace(r.details, `${plural(count, 'item', 'items')} · ${money(order.total_amount)}`);
  renderPickup(r, order);
}

// "Collect at Riverside, 12 Mill Lane · Wed, Dec 2, 10:30 AM".
async function renderPickup(r, order) {
  const where = whereText(await branchOf(order));
  const when = whenText(order);
  r.pickup.hidden = !where && !when;
  const verb = order.status === 'collected' ? 'Collected at' : 'Collect at';
  replace(r.pickup, where ? `${verb} ${where}` : verb.replace(' at', ''), when ? ` · ${when}` : '');
}

function renderUnknown(id, err) {
  const r = rows.get(id);
  if (!r) return;
  r.status.className = 'badge status-unknown';
  if (err.status === 404) {
    r.final = true; // it will not come back
    replace(r.status, 'Not found');
  } else {
    replace(r.status, 'Status unavailable');
  }
}

function renderEmpty() {
  byId('orders-list').hidden = true;
  byId('orders-empty').hidden = false;
}

// Fetches the status of every order not yet final, a few at a time.
async function refresh() {
  const ids = [...rows].filter(([, r]) => !r.final).map(([id]) => id);
  let changed = false;
  let failed = false;
  for (let i = 0; i < ids.length; i += 4) {
    await Promise.all(ids.slice(i, i + 4).map(async (id) => {
      try {
        const order = await getOrder(id, savedOrders.tokenFor(id));
        const before = rows.get(id)?.status.textContent;
        renderStatus(id, order);
        if (rows.get(id)?.status.textContent !== before) changed = true;
      } catch (err) {
        failed = true;
        renderUnknown(id, err);
      }
    }));
  }
  replace(byId('orders-status'), failed ? 'Some statuses could not be loaded; retrying.' : '');
  if ([...rows.values()].every((r) => r.final)) return 'stop';
  if (failed) return 'error';
  return changed ? 'changed' : 'same';
}

function main() {
  const orders = savedOrders.list();
  if (orders.length === 0) {
    renderEmpty();
    return;
  }
  replace(byId('orders-list'), orders.map(renderRow));
  poll(refresh, { first: 2000, max: 30000, factor: 2 });
}

main();
