// cart.js - the cart, kept in localStorage so it survives reloads and is
// shared by the tabs of this browser. No DOM here: views subscribe().
//
// A line is {product_id, quantity, name, price}; name and price are a
// snapshot for showing the cart before the catalogue has loaded. The
// order itself sends only ids and quantities: prices come from the server.
import { toCents } from './format.js';
import * as storage from './storage.js';

const KEY = 'bakery.cart.v1';

// The API's limits (SPEC §6.1).
export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;

const listeners = new Set();
let lines = read();

function validLine(l) {
  return l && Number.isSafeInteger(l.product_id) && l.product_id > 0 &&
    Number.isSafeInteger(l.quantity) && l.quantity >= 1 && l.quantity <= MAX_QUANTITY;
}

function read() {
  const data = storage.load(KEY, []);
  if (!Array.isArray(data)) return [];
  return data.filter(validLine).slice(0, MAX_LINES).map((l) => ({
    product_id: l.product_id,
    quantity: l.quantity,
    name: typeof l.name === 'string' ? l.name : `Product ${l.product_id}`,
    price: Number.isFinite(l.price) ? l.price : 0,
  }));
}

function commit(next) {
  lines = next;
  storage.save(KEY, lines);
  for (const fn of listeners) fn(lines);
}

storage.onChange(KEY, () => {
  lines = read();
  for (const fn of listeners) fn(lines);
});

// fn(lines) after every change, including changes made in another tab.
export function subscribe(fn) {
  listeners.add(fn);
}

export function items() {
  return lines;
}

export function line(productId) {
  return lines.find((l) => l.product_id === productId);
}

export function quantityOf(productId) {
  return line(productId)?.quantity ?? 0;
}

export function count() {
  return lines.reduce((n, l) => n + l.quantity, 0);
}

// The cart's total in cents, from the snapshot prices (the order's own
// total comes from the server).
export function totalCents() {
  return lines.reduce((sum, l) => sum + toCents(l.price) * l.quantity, 0);
}

// How many of product one order may hold: its stock, at most MAX_QUANTITY.
export function limitFor(product) {
  return Math.max(0, Math.min(MAX_QUANTITY, product.stock));
}

// Adds one of product (from the catalogue). Returns '' or why it could not.
export function add(product) {
  const current = line(product.id);
  if (!current && lines.length >= MAX_LINES) {
    return `An order can have at most ${MAX_LINES} different products.`;
  }
  if ((current?.quantity ?? 0) + 1 > limitFor(product)) {
    return product.stock > 0 ? `All ${product.stock} available are in your cart.` : 'Sold out.';
  }
  const snapshot = { product_id: product.id, name: product.name, price: product.price };
  commit(current
    ? lines.map((l) => (l === current ? { ...l, ...snapshot, quantity: l.quantity + 1 } : l))
    : [...lines, { ...snapshot, quantity: 1 }]);
  return '';
}

// Sets the quantity of a line (1..MAX_QUANTITY; the view bounds it by stock).
export function setQuantity(productId, quantity) {
  const q = Math.min(MAX_QUANTITY, Math.max(1, Math.trunc(quantity)));
  commit(lines.map((l) => (l.product_id === productId ? { ...l, quantity: q } : l)));
}

export function remove(productId) {
  commit(lines.filter((l) => l.product_id !== productId));
}

export function clear() {
  commit([]);
}

// Refreshes the name/price snapshots from the catalogue.
export function refresh(productsById) {
  let changed = false;
  const next = lines.map((l) => {
    const p = productsById.get(l.product_id);
    if (!p || (p.name === l.name && p.price === l.price)) return l;
    changed = true;
    return { ...l, name: p.name, price: p.price };
  });
  if (changed) commit(next);
}
