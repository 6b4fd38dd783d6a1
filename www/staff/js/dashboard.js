// dashboard.js - the staff dashboard: today's orders, refreshing live
// (polling with backoff: every 2 s while they change, slowing to 30 s while
// they do not), and the last seven days' completed orders, revenue and top
// products from the summary.
import { listOrders, summary } from './staff-api.js';
import { byId, h, replace } from '/js/dom.js';
import { dateTime, money, moneyCents, toCents } from '/js/format.js';
import { poll } from '/js/poller.js';
import { expired, startPage } from './session.js';
import { badge, daysAgo, errorText } from './ui.js';

const TODAY_LIMIT = 50;
const STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled', 'refunded', 'collected'];
let last = '';

function renderCounts(orders, more) {
  const n = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const o of orders) n[o.status] = (n[o.status] ?? 0) + 1;
  const shown = STATUSES.filter((s) => n[s] > 0 || ['pending', 'processing', 'completed'].includes(s));
  replace(byId('today-counts'),
    h('li', { class: 'count-box' }, h('strong', {}, String(orders.length)), more ? ' newest orders' : ' orders'),
    shown.map((s) => h('li', { class: 'count-box' }, h('strong', {}, String(n[s])), ' ', badge(s))));
}

function orderRow(o) {
  const id = o.order_id;
  return h('tr', { 'data-order-id': id },
    h('th', { scope: 'row' }, h('a', { href: `/staff/orders.html?id=${encodeURIComponent(id)}` }, `#${id}`)),
    h('td', {}, h('time', { datetime: o.created_at }, dateTime(o.created_at))),
    h('td', { class: 'customer wrap-anywhere' }, o.customer_name ?? '', h('br'), h('span', { class: 'muted' }, o.customer_email ?? '')),
    h('td', {}, badge(o.status)),
    h('td', { class: 'num' }, money(o.total_amount)));
}

function renderToday(data) {
  const orders = data.orders ?? [];
  renderCounts(orders, Boolean(data.next));
  const box = byId('today-orders');
  if (orders.length === 0) {
    replace(box, h('p', { class: 'muted' }, 'No orders yet today.'));
    return;
  }
  replace(box, h('div', { class: 'table-scroll' }, h('table', { class: 'items-table staff-table' },
    h('caption', { class: 'sr-only' }, 'Today’s orders, newest first'),
    h('thead', {}, h('tr', {}, ['Order', 'Placed', 'Customer', 'Status'].map((t) => h('th', { scope: 'col' }, t)),
      h('th', { scope: 'col', class: 'num' }, 'Total'))),
    h('tbody', {}, orders.map(orderRow)))),
  data.next ? h('p', { class: 'hint' }, `Showing the newest ${orders.length}; `,
    h('a', { href: `/staff/orders.html?from=${daysAgo(0)}&to=${daysAgo(0)}` }, 'see all of today’s orders'), '.') : null);
}

function renderDays(days) {
  let orders = 0;
  let cents = 0;
  const rows = days.map((d) => {
    orders += Number(d.orders) || 0;
    cents += toCents(d.revenue);
    return h('tr', {}, h('th', { scope: 'row' }, d.date), h('td', { class: 'num' }, String(d.orders)),
      h('td', { class: 'num' }, money(d.revenue)));
  });
  replace(byId('summary-days'), h('table', { class: 'items-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col', class: 'num' }, 'Orders'),
      h('th', { scope: 'col', class: 'num' }, 'Revenue'))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No completed orders.'))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'Total'), h('td', { class: 'num' }, String(orders)),
      h('td', { class: 'num' }, moneyCents(cents))))));
}

function renderTop(top) {
  if (top.length === 0) {
    replace(byId('summary-top'), h('p', { class: 'muted' }, 'Nothing sold yet.'));
    return;
  }
  replace(byId('summary-top'), h('table', { class: 'items-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col', class: 'num' }, 'Sold'),
      h('th', { scope: 'col', class: 'num' }, 'Revenue'))),
    h('tbody', {}, top.map((p) => h('tr', {}, h('th', { scope: 'row' }, p.name),
      h('td', { class: 'num' }, String(p.quantity)), h('td', { class: 'num' }, money(p.revenue)))))));
}

function showError(err) {
  const box = byId('today-error');
  box.hidden = !err;
  if (err) replace(box, `Could not refresh: ${errorText(err)}`);
}

// One poll: today's orders and the week's summary; 'changed' when either
// differs from the last answer.
async function step() {
  try {
    const [today, week] = await Promise.all([
      listOrders({ from: daysAgo(0), to: daysAgo(0), limit: TODAY_LIMIT }),
      summary({ from: daysAgo(6), to: daysAgo(0) }),
    ]);
    showError(null);
    const text = JSON.stringify([today, week]);
    if (text === last) return 'same';
    last = text;
    renderToday(today);
    renderDays(week.days ?? []);
    renderTop(week.top_products ?? []);
    return 'changed';
  } catch (err) {
    if (expired(err)) return 'stop';
    showError(err);
    return 'error';
  }
}

function scheduled(outcome, ms) {
  const note = byId('today-live');
  note.classList.toggle('is-live', outcome !== 'error');
  const at = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  replace(note, outcome === 'error' ? `Retrying in ${Math.round(ms / 1000)} s`
    : `Live · updated ${at} · next check in ${Math.round(ms / 1000)} s`);
}

startPage();
poll(step, { first: 2000, max: 30000, factor: 1.5, scheduled });
