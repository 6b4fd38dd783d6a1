// branch.js - which branch the customer collects from: the list from the
// API, the choice kept in localStorage (so it survives reloads and is the
// same in every tab), and listeners told when it changes. No choice yet
// means the default branch: the catalogue then asks for plain
// /api/products, as the seed shapes do. No DOM here: branch-view.js shows it.
import { listBranches } from './api.js';
import * as storage from './storage.js';

const KEY = 'bakery.branch.v1';

let branches = []; // as the API sent them, [] until loaded or when unavailable
const listeners = new Set();

function stored() {
  const id = storage.load(KEY, null);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

function tell() {
  for (const fn of listeners) fn();
}

storage.onChange(KEY, tell);

// fn() after every change of the choice (here or in another tab).
export function subscribe(fn) {
  listeners.add(fn);
}

export function all() {
  return branches;
}

// The id the customer chose, or null (the default branch).
export function chosenId() {
  return stored();
}

// The branch orders go to: the one chosen, else the default one (marked
// "default" by the API, else its first), or null before the list loaded.
export function current() {
  const id = stored();
  return branches.find((b) => b.id === id)
    ?? branches.find((b) => b.default === true || b.is_default === true)
    ?? branches[0] ?? null;
}

export function byId(id) {
  return branches.find((b) => b.id === id) ?? null;
}

export function choose(id) {
  if (id === stored()) return;
  storage.save(KEY, id);
  tell();
}

// Loads the list. Resolves to it ([] when the API has no branches or could
// not be asked: the storefront then works as a one-shop store). A stored
// choice the list no longer has is dropped.
export async function load() {
  try {
    const list = await listBranches();
    branches = Array.isArray(list) ? list.filter((b) => b && Number.isSafeInteger(b.id)) : [];
  } catch {
    branches = [];
  }
  const id = stored();
  if (id !== null && branches.length && !branches.some((b) => b.id === id)) {
    storage.remove(KEY);
    tell();
  }
  return branches;
}
