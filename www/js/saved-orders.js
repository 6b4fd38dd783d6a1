// saved-orders.js - the orders placed from this browser: id, token and a
// little to show before the API answers. Kept in localStorage.
import * as storage from './storage.js';

const KEY = 'bakery.orders.v1';
const MAX_KEPT = 100;

function read() {
  const data = storage.load(KEY, []);
  if (!Array.isArray(data)) return [];
  return data.filter((o) => o && Number.isSafeInteger(o.id) && typeof o.token === 'string');
}

// Newest first.
export function list() {
  return read().sort((a, b) => String(b.placed_at).localeCompare(String(a.placed_at)) || b.id - a.id);
}

export function tokenFor(id) {
  return read().find((o) => o.id === id)?.token ?? '';
}

// order: {id, token, total_amount, placed_at}
export function remember(order) {
  const rest = read().filter((o) => o.id !== order.id);
  storage.save(KEY, [order, ...rest].slice(0, MAX_KEPT));
}

export function forget(id) {
  storage.save(KEY, read().filter((o) => o.id !== id));
}
