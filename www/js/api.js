// api.js - the only module that knows the customer endpoints (the staff
// ones are in staff/js/staff-api.js; both go through http.js, which knows
// the error shape). Every call resolves to the decoded JSON or rejects with
// an ApiError.

import { request } from './http.js';

export { ApiError } from './http.js';

function orderPath(id) {
  return `/api/orders/${encodeURIComponent(id)}`;
}

// The token travels in a header, not the URL, so it stays out of logs.
function tokenHeader(token) {
  return token ? { 'X-Order-Token': token } : {};
}

// [{id, name, description, category, price, stock, allergens, dietary}],
// by category then name; stock at branchId, or at the default branch when
// none is given (the plain /api/products of the seed shapes).
export function listProducts(branchId) {
  return request('GET', branchId ? `/api/products?${new URLSearchParams({ branch: branchId })}` : '/api/products');
}

// [{id, name, address, opening_hours}]: where orders can be collected.
export function listBranches() {
  return request('GET', '/api/branches');
}

// [{start, end, remaining}] of one day (YYYY-MM-DD, the bakery's day) at a
// branch; start and end are ISO 8601 with the bakery's offset.
export function pickupSlots(branchId, date) {
  return request('GET', `/api/pickup-slots?${new URLSearchParams({ branch: branchId, date })}`);
}

// order: {customer_name, customer_email, items: [{product_id, quantity}],
// branch_id?, pickup_at?}; 422 slot_full / slot_unavailable for the slot.
// The same idempotencyKey always yields the same order, never a second one.
// Resolves to {order_id, status, total_amount, token}.
export function placeOrder(order, idempotencyKey) {
  return request('POST', '/api/orders', {
    body: order,
    headers: { 'Idempotency-Key': idempotencyKey },
  });
}

// {order_id, status, total_amount, created_at, updated_at, items, history,
// failure_reason?, customer_name?, customer_email?} (customer fields only
// with the token).
export function getOrder(id, token) {
  return request('GET', orderPath(id), { headers: tokenHeader(token) });
}

// Resolves to the cancelled order; 409 invalid_state once processing began.
export function cancelOrder(id, token) {
  return request('POST', `${orderPath(id)}/cancel`, { headers: tokenHeader(token) });
}
