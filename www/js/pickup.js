// pickup.js - where and when an order is collected, as the order page and
// "My orders" say it: the branch (name and address) and the pickup time on
// the bakery's clock. The order's "branch" may be the branch itself or its
// id; an id is looked up in GET /api/branches (asked once per page).
import { listBranches } from './api.js';
import { pickupTime } from './format.js';

let branches = null; // Promise of the list, once asked

function lookup(id) {
  branches ??= listBranches().catch(() => []);
  return branches.then((list) => (Array.isArray(list) ? list.find((b) => b.id === id) : null) ?? null);
}

// Resolves to {name, address} of the order's branch, or null when the order
// names none (an API without branches).
export async function branchOf(order) {
  const b = order.branch;
  if (b && typeof b === 'object') {
    if (typeof b.name === 'string') return b;
    if (Number.isSafeInteger(b.id)) return lookup(b.id);
  }
  if (Number.isSafeInteger(b)) return lookup(b);
  if (Number.isSafeInteger(order.branch_id)) return lookup(order.branch_id);
  return null;
}

// "Riverside, 12 Mill Lane" (or just the name).
export function whereText(b) {
  if (!b) return '';
  return b.address ? `${b.name}, ${b.address}` : String(b.name);
}

// "Wed, Dec 2, 10:30 AM", or '' when the order has no pickup time.
export function whenText(order) {
  return order.pickup_at ? pickupTime(order.pickup_at) : '';
}

// When it was collected: the history's move to collected, or ''.
export function collectedAt(order) {
  return (order.history ?? []).find((ev) => ev.to === 'collected')?.at ?? '';
}
