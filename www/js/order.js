// order.js - the order tracking page, order.html?id=N#token=T (the link
// is shareable and works on reload; the token stays in the fragment, see
// order-link.js). Shows the status live (polling with
// backoff, stopping at a final status), the items and total, the history,
// and a cancel button while the order is pending.
import { cancelOrder, getOrder } from './api.js';
import { byId, h, replace, srOnly } from './dom.js';
import {
  FINAL_STATUSES, dateTime, money, moneyCents, statusClass, statusDescription, statusLabel, toCents,
} from './format.js';
import { orderLink, orderLinkParams } from './order-link.js';
import { branchOf, collectedAt, whenText, whereText } from './pickup.js';
import { poll } from './poller.js';
import * as savedOrders from './saved-orders.js';

let orderId = 0;
let token = '';
let lastText = '';
let lastStatus = '';
let poller = null;

function badge(status) {
  return h('span', { class: `badge ${statusClass(status)}` }, statusLabel(status));
}

function renderHeader(order) {
  replace(byId('order-title'), `Order #${order.order_id}`);
  replace(byId('order-placed'), 'Placed ', h('time', { datetime: order.created_at }, dateTime(order.created_at)));
  const who = byId('order-customer');
  who.hidden = !order.customer_name;
  if (order.customer_name) replace(who, `For ${order.customer_name} · ${order.customer_email ?? ''}`);
  document.title = `Order #${order.order_id}: ${statusLabel(order.status)} · Bakery`;
}

function renderStatus(order) {
  replace(byId('order-status'),
    h('p', { class: 'status-line' }, srOnly('Status: '), badge(order.status)),
    h('p', { class: 'status-description' }, statusDescription(order.status)),
    order.failure_reason ? h('p', { class: 'failure-reason' }, 'Reason: ', order.failure_reason) : null);
}

// The steps the order went or goes through, with the current one marked.
function progressSteps(status) {
  switch (status) {
    case 'cancelled': return ['pending', 'cancelled'];
    case 'failed': return ['pending', 'processing', 'failed'];
    case 'refunded': return ['pending', 'processing', 'completed', 'refunded'];
    case 'collected': return ['pending', 'processing', 'completed', 'collected'];
    default: return ['pending', 'processing', 'completed'];
  }
}

function renderProgress(order) {
  const steps = progressSteps(order.status);
  const current = steps.indexOf(order.status);
  const final = FINAL_STATUSES.has(order.status);
  replace(byId('order-progress'), steps.map((s, i) => {
    let state = 'upcoming';
    if (i < current || (i === current && final)) state = 'done';
    if (i === current) state += ' current';
    return h('li', { class: `step ${state} ${statusClass(s)}`, 'aria-current': i === current ? 'step' : false },
      h('span', { class: 'step-label' }, statusLabel(s)),
      srOnly(i < current ? ' (done)' : i === current ? ' (now)' : ' (next)'));
  }));
}

function renderItems(order) {
  const rows = (order.items ?? []).map((it) => h('tr', {},
    h('th', { scope: 'row' }, it.name),
    h('td', { class: 'num' }, String(it.quantity)),
    h('td', { class: 'num' }, money(it.price)),
    h('td', { class: 'num' }, moneyCents(toCents(it.price) * it.quantity))));
  replace(byId('order-items'),
    h('caption', { class: 'sr-only' }, 'Items in this order'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Item'), h('th', { scope: 'col', class: 'num' }, 'Qty'),
      h('th', { scope: 'col', class: 'num' }, 'Price'), h('th', { scope: 'col', class: 'num' }, 'Amount'))),
    h('tbody', {}, rows),
    h('tfoot', {}, h('tr', {},
      h('th', { scope: 'row', colspan: 3 }, 'Total'),
      h('td', { class: 'num total' }, money(order.total_amount)))));
}

const PICKUP_NOTE = {
  pending: 'We will have it ready for this time.',
  processing: 'We will have it ready for this time.',
  completed: 'Ready for you: give your order number at the counter.',
  failed: 'There is nothing to collect.',
  cancelled: 'There is nothing to collect.',
  refunded: 'There is nothing to collect.',
};

// Where (branch name and address) and when (the bakery's time) to collect.
async function renderPickup(order) {
  const b = await branchOf(order);
  const when = whenText(order);
  const card = byId('pickup-card');
  card.hidden = !b && !when;
  if (card.hidden) return;
  replace(byId('pickup-branch'), b ? whereText(b) : 'At the bakery');
  replace(byId('pickup-when'), when ? h('time', { datetime: order.pickup_at, class: 'pickup-when' }, when) : 'Any time we are open');
  const at = collectedAt(order);
  replace(byId('pickup-status'), order.status === 'collected'
    ? ['Collected', at ? [' on ', h('time', { datetime: at }, dateTime(at))] : '', '. Enjoy!']
    : PICKUP_NOTE[order.status] ?? '');
}

function renderHistory(order) {
  replace(byId('order-history'), (order.history ?? []).map((ev) => h('li', { class: `event ${statusClass(ev.to)}` },
    h('span', { class: 'event-status' }, statusLabel(ev.to)),
    h('time', { datetime: ev.at, class: 'event-time' }, dateTime(ev.at)),
    ev.reason ? h('span', { class: 'event-reason' }, ev.reason) : null)));
}

// Says whether the page is following the order live, and when it will try
// again after a failed poll (wait ms).
function renderLiveNote(status, problem, wait) {
  const note = byId('order-live');
  note.classList.toggle('is-live', !problem && !FINAL_STATUSES.has(status));
  if (problem) {
    replace(note, `${problem} Trying again in ${Math.max(1, Math.round(wait / 1000))} s.`);
  } else if (FINAL_STATUSES.has(status)) {
    replace(note, 'This is the final status of your order.');
  } else {
    replace(note, 'This page updates by itself.');
  }
}

// The cancel button, and its inline confirmation.
function renderActions(order) {
  const box = byId('order-actions');
  if (order.status !== 'pending') {
    replace(box);
    return;
  }
  if (!token) {
    replace(box, h('p', { class: 'hint' }, 'To cancel, open the link you got when you placed the order.'));
    return;
  }
  const cancel = h('button', { type: 'button', class: 'button button-secondary', id: 'cancel-order' }, 'Cancel order');
  cancel.addEventListener('click', () => renderConfirm(box));
  replace(box, cancel);
}

function renderConfirm(box) {
  const yes = h('button', { type: 'button', class: 'button button-danger', id: 'confirm-cancel' }, 'Yes, cancel order');
  const no = h('button', { type: 'button', class: 'button button-secondary' }, 'Keep my order');
  const question = h('p', { class: 'confirm-question', tabindex: '-1' }, `Cancel order #${orderId}? This cannot be undone.`);
  yes.addEventListener('click', () => doCancel(yes));
  no.addEventListener('click', () => {
    renderActions({ status: lastStatus });
    byId('cancel-order').focus();
  });
  replace(box, h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm cancellation' },
    question, h('div', { class: 'button-row' }, yes, no)));
  question.focus();
}

async function doCancel(button) {
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  replace(button, 'Cancelling…');
  const message = byId('action-message');
  replace(message, '');
  try {
    show(await cancelOrder(orderId, token));
    if (FINAL_STATUSES.has(lastStatus)) poller.stop();
    replace(message, 'Your order has been cancelled.');
    byId('order-status').focus();
  } catch (err) {
    button.setAttribute('aria-disabled', 'false');
    replace(button, 'Yes, cancel order');
    // Outside the actions box, so it stays when a refresh redraws them.
    replace(message, err.message);
    if (err.status === 409) poller.refresh();
  }
}

// Renders the order if anything changed; 'changed' or 'same'.
function show(order) {
  const text = JSON.stringify(order);
  if (text === lastText) return 'same';
  lastText = text;
  const statusChanged = order.status !== lastStatus;
  lastStatus = order.status;
  byId('order-loading').hidden = true;
  byId('order-error').hidden = true;
  byId('order').hidden = false;
  renderHeader(order);
  renderStatus(order);
  renderProgress(order);
  renderPickup(order);
  renderItems(order);
  renderHistory(order);
  if (statusChanged) renderActions(order);
  renderLiveNote(order.status, '', 0);
  return 'changed';
}

function showFatal(message) {
  byId('order-loading').hidden = true;
  byId('order').hidden = true;
  const box = byId('order-error');
  replace(box, h('p', {}, message), h('p', {}, h('a', { href: '/orders.html' }, 'See my orders'), ' · ', h('a', { href: '/' }, 'Back to the shop')));
  box.hidden = false;
}

async function step() {
  try {
    const outcome = show(await getOrder(orderId, token));
    return FINAL_STATUSES.has(lastStatus) ? 'stop' : outcome;
  } catch (err) {
    if (err.status === 404) {
      showFatal(`We could not find order #${orderId}.`);
      return 'stop';
    }
    if (!lastText) {
      byId('order-loading').hidden = true;
      const box = byId('order-error');
      replace(box, h('p', {}, `We could not load order #${orderId}. ${err.message}`), h('p', {}, 'We will keep trying.'));
      box.hidden = false;
      return 'error';
    }
    return 'error';
  }
}

function renderShare() {
  const url = orderLink(orderId, token);
  const input = byId('share-link');
  input.value = url.href;
  const copy = byId('copy-link');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(url.href);
      replace(byId('copy-status'), 'Link copied.');
    } catch {
      input.select();
      replace(byId('copy-status'), 'Press Ctrl+C (or ⌘C) to copy the selected link.');
    }
  });
  // Keep the token in the address bar so a reload or bookmark works too,
  // in the fragment: an old link's ?token= leaves the address (and so the
  // history and any later Referer) here.
  if (window.location.href !== url.href) window.history.replaceState(null, '', url);
}

function main() {
  const { id: idText, token: linkToken } = orderLinkParams();
  orderId = /^[1-9][0-9]{0,15}$/.test(idText) ? Number(idText) : 0;
  if (!orderId) {
    showFatal('This link does not name an order.');
    return;
  }
  token = linkToken || savedOrders.tokenFor(orderId);
  renderShare();
  poller = poll(step, {
    first: 1000,
    max: 15000,
    factor: 1.6,
    scheduled(outcome, wait) {
      if (outcome === 'error' && lastText) renderLiveNote(lastStatus, 'We could not reach the bakery.', wait);
    },
  });
}

main();
