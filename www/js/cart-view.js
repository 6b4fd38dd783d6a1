// cart-view.js - the cart panel: one row per line with quantity controls
// bounded by stock, the running total, the header's cart count, the phone's
// "View cart" bar, and messages next to a line (stock problems found here,
// or an error the API reported for that item at checkout).
import * as cart from './cart.js';
import { byId, h, replace } from './dom.js';
import { moneyCents, plural, toCents } from './format.js';

let products = null; // Map id -> product once the catalogue has loaded
const rows = new Map(); // product id -> refs of its <li>
const apiErrors = new Map(); // product id -> message from the last checkout
const notes = new Map(); // product id -> why a quantity typed was lowered

// What stops this line from being ordered as it is, or ''.
function problemOf(l) {
  if (!products) return '';
  const p = products.get(l.product_id);
  if (!p) return 'This product is no longer available. Please remove it.';
  if (p.stock <= 0) return 'Sold out. Please remove it to continue.';
  if (l.quantity > cart.limitFor(p)) return `Only ${cart.limitFor(p)} available. Please lower the quantity.`;
  return '';
}

function limitOf(l) {
  const p = products?.get(l.product_id);
  return p ? cart.limitFor(p) : cart.MAX_QUANTITY;
}

function commitQuantity(l, input) {
  const wanted = Number.parseInt(input.value, 10);
  const limit = limitOf(l);
  apiErrors.delete(l.product_id);
  notes.delete(l.product_id);
  if (!Number.isFinite(wanted) || wanted < 1) {
    input.value = String(l.quantity);
    update();
    return;
  }
  if (wanted > limit) notes.set(l.product_id, `Only ${limit} available, so your quantity is ${limit}.`);
  cart.setQuantity(l.product_id, Math.min(wanted, Math.max(limit, 1)));
  update();
}

// One cart row; the refs let update() change it in place so focus stays put.
function renderLine(l) {
  const id = l.product_id;
  const inputId = `qty-${id}`;
  const errorId = `line-error-${id}`;
  const name = h('span', { class: 'line-name' });
  const unit = h('span', { class: 'line-unit' });
  const label = h('label', { class: 'sr-only', for: inputId });
  const input = h('input', {
    id: inputId, class: 'qty-input', type: 'number', inputmode: 'numeric', min: 1, step: 1, 'aria-describedby': errorId,
  });
  const minus = h('button', { type: 'button', class: 'qty-step' }, '−');
  const plus = h('button', { type: 'button', class: 'qty-step' }, '+');
  const lineTotal = h('span', { class: 'line-total' });
  const removeButton = h('button', { type: 'button', class: 'link-button remove' });
  const message = h('p', { class: 'line-message', id: errorId, hidden: true });
  // Steppers at a bound get aria-disabled, not disabled: a disabled button
  // would drop the keyboard focus it has.
  const step = (delta, button) => {
    if (button.getAttribute('aria-disabled') === 'true') return;
    apiErrors.delete(id);
    notes.delete(id);
    cart.setQuantity(id, cart.quantityOf(id) + delta);
  };
  minus.addEventListener('click', () => step(-1, minus));
  plus.addEventListener('click', () => step(1, plus));
  input.addEventListener('change', () => commitQuantity(cart.line(id), input));
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); commitQuantity(cart.line(id), input); } });
  removeButton.addEventListener('click', () => removeLine(id));
  const li = h('li', { class: 'cart-line', 'data-product-id': id },
    h('div', { class: 'line-info' }, name, unit),
    h('div', { class: 'qty' }, minus, label, input, plus),
    lineTotal, removeButton, message);
  const refs = { li, name, unit, label, input, minus, plus, lineTotal, removeButton, message };
  rows.set(id, refs);
  return li;
}

function updateLine(l) {
  const r = rows.get(l.product_id);
  const p = products?.get(l.product_id);
  const limit = limitOf(l);
  replace(r.name, l.name);
  replace(r.unit, `${moneyCents(toCents(l.price))} each`);
  replace(r.label, `Quantity of ${l.name}`);
  if (r.input.value !== String(l.quantity)) r.input.value = String(l.quantity);
  r.input.max = String(Math.max(1, limit));
  r.minus.setAttribute('aria-disabled', String(l.quantity <= 1));
  r.plus.setAttribute('aria-disabled', String(l.quantity >= limit || (p !== undefined && p.stock <= 0)));
  r.minus.setAttribute('aria-label', `One fewer ${l.name}`);
  r.plus.setAttribute('aria-label', `One more ${l.name}`);
  replace(r.lineTotal, moneyCents(toCents(l.price) * l.quantity));
  replace(r.removeButton, 'Remove');
  r.removeButton.setAttribute('aria-label', `Remove: ${l.name}`);
  const error = apiErrors.get(l.product_id) || problemOf(l);
  const text = error || notes.get(l.product_id) || '';
  r.message.hidden = !text;
  replace(r.message, text);
  r.li.classList.toggle('has-problem', Boolean(error));
  if (error) r.input.setAttribute('aria-invalid', 'true');
  else r.input.removeAttribute('aria-invalid');
}

function removeLine(id) {
  const next = rows.get(id)?.li.nextElementSibling?.querySelector('.qty-input');
  apiErrors.delete(id);
  notes.delete(id);
  cart.remove(id);
  // Keep the keyboard user in the cart rather than at the top of the page.
  (next ?? byId('cart-title')).focus();
}

function renderSummary(items, cents) {
  const count = items.reduce((n, l) => n + l.quantity, 0);
  replace(byId('cart-count'), String(count));
  replace(byId('cart-total'), moneyCents(cents));
  const bar = byId('cart-bar');
  bar.hidden = count === 0;
  replace(bar, h('span', {}, `View cart · ${plural(count, 'item', 'items')}`), h('strong', {}, moneyCents(cents)));
}

// Brings the whole panel in line with the cart.
function update() {
  const items = cart.items();
  const list = byId('cart-lines');
  const ids = new Set(items.map((l) => l.product_id));
  for (const [id, r] of rows) {
    if (!ids.has(id)) {
      r.li.remove();
      rows.delete(id);
    }
  }
  for (const l of items) {
    if (!rows.has(l.product_id)) list.append(renderLine(l));
    updateLine(l);
  }
  const cents = cart.totalCents();
  byId('cart-empty').hidden = items.length > 0;
  byId('cart-filled').hidden = items.length === 0;
  renderSummary(items, cents);
}

// Called when the catalogue (re)loads: stock and availability for the lines.
export function setProducts(map) {
  products = map;
  cart.refresh(map);
  update();
}

// Shows an API error next to the line of productId (cleared when it changes).
export function showLineError(productId, message) {
  apiErrors.set(productId, message);
  update();
}

export function clearLineErrors() {
  apiErrors.clear();
  update();
}

// True when every line can be ordered as it is; otherwise marks the lines
// and moves focus to the first one in trouble.
export function checkLines() {
  update();
  const bad = cart.items().find((l) => apiErrors.get(l.product_id) || problemOf(l));
  if (bad) rows.get(bad.product_id).input.focus();
  return !bad;
}

export function focusLine(productId) {
  rows.get(productId)?.input.focus();
}

export function initCartView() {
  cart.subscribe(update);
  update();
  // The phone's "View cart" bar steps aside while the cart is on screen.
  if ('IntersectionObserver' in window) {
    new IntersectionObserver((entries) => {
      byId('cart-bar').classList.toggle('cart-in-view', entries.some((e) => e.isIntersecting));
    }).observe(byId('cart'));
  }
}
