// checkout.js - the checkout form: name and email checked inline with the
// API's rules, the cart checked against stock, and one order placed per
// Idempotency-Key, so a double click, a retry after a lost answer or a
// reload never places a second order. API errors go next to their field.
import { placeOrder } from './api.js';
import * as cart from './cart.js';
import * as cartView from './cart-view.js';
import { announce, byId, replace } from './dom.js';
import { moneyCents } from './format.js';
import { orderLink } from './order-link.js';
import * as savedOrders from './saved-orders.js';
import * as slots from './slots.js';
import * as storage from './storage.js';
import { emailProblem, nameProblem } from './validate.js';

// {key, body}: the key of the last attempt and the exact body it was for.
const ATTEMPT_KEY = 'bakery.checkout.v1';
// {name, email} of the last order, to fill the form in next time.
const CUSTOMER_KEY = 'bakery.customer.v1';

let submitting = false;
let attempted = false; // after the first submit, fields are checked as typed
let refreshStock = async () => {};

const fields = {
  customer_name: { input: 'customer-name', error: 'customer-name-error', problem: nameProblem },
  customer_email: { input: 'customer-email', error: 'customer-email-error', problem: emailProblem },
};

function setFieldError(name, message) {
  const f = fields[name];
  const input = byId(f.input);
  const error = byId(f.error);
  replace(error, message);
  error.hidden = !message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

// Checks one field; returns true when it is fine.
function checkField(name) {
  const f = fields[name];
  const message = f.problem(byId(f.input).value);
  setFieldError(name, message);
  return !message;
}

function setFormError(message) {
  const box = byId('checkout-error');
  replace(box, message);
  box.hidden = !message;
}

function randomKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes); // unlike randomUUID, also on plain http
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

// The same body always goes out with the same key until an order is made.
function keyFor(bodyText) {
  const last = storage.load(ATTEMPT_KEY, null);
  if (last && last.body === bodyText && typeof last.key === 'string') return last.key;
  const key = randomKey();
  storage.save(ATTEMPT_KEY, { key, body: bodyText });
  return key;
}

function orderBody() {
  return {
    customer_name: byId('customer-name').value.trim(),
    customer_email: byId('customer-email').value.trim(),
    items: cart.items().map((l) => ({ product_id: l.product_id, quantity: l.quantity })),
    ...slots.selection(),
  };
}

function setBusy(busy) {
  const button = byId('place-order');
  submitting = busy;
  button.setAttribute('aria-disabled', String(busy));
  button.classList.toggle('is-busy', busy);
  updateButton();
}

function updateButton() {
  const button = byId('place-order');
  replace(button, submitting ? 'Placing your order…' : `Place order · ${moneyCents(cart.totalCents())}`);
}

// Shows an API error where it belongs: a field, a cart line, the pickup
// time, or the form.
async function showApiError(err, body) {
  if (await slots.showError(err)) {
    setFormError('Please choose another pickup time above.');
    return;
  }
  if (fields[err.field]) {
    setFieldError(err.field, err.message);
    byId(fields[err.field].input).focus();
    setFormError('Please check the field marked below.');
    return;
  }
  const item = /^items\[(\d+)\]/.exec(err.field ?? '');
  const line = item ? body.items[Number(item[1])] : undefined;
  if (line) {
    cartView.showLineError(line.product_id, err.message);
    setFormError('Please check the item marked in your cart.');
    cartView.focusLine(line.product_id);
    // Show the stock as it is now; the message stays at the line.
    if (err.code === 'insufficient_stock' || err.code === 'unknown_product') refreshStock();
    return;
  }
  let message = err.message;
  if (err.retryable) message += ' If your order did go through, trying again will not place it twice.';
  setFormError(message);
  byId('checkout-error').focus();
}

async function submit(event) {
  event.preventDefault();
  if (submitting) return; // a second click while the first is on its way
  attempted = true;
  setFormError('');
  cartView.clearLineErrors();
  const nameOk = checkField('customer_name');
  const emailOk = checkField('customer_email');
  if (!nameOk || !emailOk) {
    byId(nameOk ? 'customer-email' : 'customer-name').focus();
    return;
  }
  if (cart.items().length === 0) {
    setFormError('Your cart is empty.');
    return;
  }
  if (!cartView.checkLines()) {
    setFormError('Please check the items marked in your cart.');
    return;
  }
  const body = orderBody();
  const key = keyFor(JSON.stringify(body));
  setBusy(true);
  let placed;
  try {
    placed = await placeOrder(body, key);
  } catch (err) {
    setBusy(false);
    showApiError(err, body);
    return;
  }
  savedOrders.remember({
    id: placed.order_id,
    token: placed.token,
    total_amount: placed.total_amount,
    placed_at: new Date().toISOString(),
  });
  storage.save(CUSTOMER_KEY, { name: body.customer_name, email: body.customer_email });
  storage.remove(ATTEMPT_KEY);
  announce(`Order ${placed.order_id} placed.`);
  const url = orderLink(placed.order_id, placed.token);
  cart.clear();
  window.location.assign(url);
}

// Keeps the form in step with the cart: button total, and leaving it once
// the user changes something (a stale "fix this" message helps nobody).
function onCartChange() {
  if (!submitting) {
    updateButton();
    setFormError('');
  }
}

export function initCheckout(options = {}) {
  if (options.refreshStock) refreshStock = options.refreshStock;
  const form = byId('checkout-form');
  const last = storage.load(CUSTOMER_KEY, null);
  if (last && typeof last.name === 'string' && typeof last.email === 'string') {
    byId('customer-name').value = last.name;
    byId('customer-email').value = last.email;
  }
  for (const [name, f] of Object.entries(fields)) {
    const input = byId(f.input);
    // Checked when leaving a field the user typed in, and as they type
    // once an error is showing or a submit was tried.
    input.addEventListener('blur', () => { if (input.value !== '' || attempted) checkField(name); });
    input.addEventListener('input', () => {
      if (attempted || input.getAttribute('aria-invalid') === 'true') checkField(name);
    });
  }
  form.addEventListener('submit', submit);
  cart.subscribe(onCartChange);
  updateButton();
}
