// staff-api.js - the only module that knows the staff endpoints (SPEC
// §6.2). The session is the HttpOnly cookie set at login, sent by the
// browser to this origin only; the token in the login answer is not kept.
// Every write carries X-Requested-With (and the browser adds a same-origin
// Origin), which is what the API asks of cookie-authenticated writes.
// Calls resolve to the decoded JSON or reject with an ApiError (http.js);
// a 401 means "log in again" (session.js handles it).
import { request } from '/js/http.js';

export { ApiError } from '/js/http.js';

const WRITE = { 'X-Requested-With': 'XMLHttpRequest' };

function write(method, path, body) {
  return request(method, path, { body, headers: WRITE });
}

// "?a=1&b=2" of the parameters that are set (empty strings left out).
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const id = (n) => encodeURIComponent(n);

// {token, username, expires_at}; 401 invalid_credentials, 429 when slowed.
export function login(username, password) {
  return write('POST', '/api/staff/login', { username, password });
}

// Ends the session (204).
export function logout() {
  return write('POST', '/api/staff/logout');
}

// {username, expires_at}; 401 without a session.
export function me() {
  return request('GET', '/api/staff/me');
}

// Every product, inactive ones too: [{id, name, description, category,
// price, stock, active}].
export function listProducts() {
  return request('GET', '/api/staff/products');
}

// product: {name, description, category, price, stock, active?} → 201 the product.
export function createProduct(product) {
  return write('POST', '/api/staff/products', product);
}

// changes: any of the product's fields → the product.
export function updateProduct(productId, changes) {
  return write('PATCH', `/api/staff/products/${id(productId)}`, changes);
}

// filters: {status, from, to, email, limit, after} → {orders: [...], next}.
export function listOrders(filters = {}) {
  return request('GET', `/api/staff/orders${query(filters)}`);
}

// The full order: customer, items, total, history, failure reason.
export function getOrder(orderId) {
  return request('GET', `/api/staff/orders/${id(orderId)}`);
}

// pending → cancelled; 409 otherwise. Resolves to the order.
export function cancelOrder(orderId) {
  return write('POST', `/api/staff/orders/${id(orderId)}/cancel`);
}

// completed → refunded, stock restored; 409 otherwise. Resolves to the order.
export function refundOrder(orderId) {
  return write('POST', `/api/staff/orders/${id(orderId)}/refund`);
}

// {from, to} (YYYY-MM-DD) → {days: [{date, orders, revenue}],
// top_products: [{product_id, name, quantity, revenue}]}.
export function summary(range = {}) {
  return request('GET', `/api/staff/summary${query(range)}`);
}

// {limit, after} → the audit log, newest first, with a cursor to the next page.
export function audit(page = {}) {
  return request('GET', `/api/staff/audit${query(page)}`);
}

// Every branch: [{id, name, address, opening_hours, slot_capacity, default,
// timezone}].
export function listBranches() {
  return request('GET', '/api/staff/branches');
}

// branch: {name, address, opening_hours?, slot_capacity?} → 201 the branch.
export function createBranch(branch) {
  return write('POST', '/api/staff/branches', branch);
}

// changes: any of name, address, opening_hours (the days named), slot_capacity.
export function updateBranch(branchId, changes) {
  return write('PATCH', `/api/staff/branches/${id(branchId)}`, changes);
}

// [{product_id, name, stock}] at the branch, every product.
export function branchStock(branchId) {
  return request('GET', `/api/staff/branches/${id(branchId)}/stock`);
}

// → {branch_id, product_id, stock}; 422 invalid_stock.
export function setBranchStock(branchId, productId, stock) {
  return write('PUT', `/api/staff/branches/${id(branchId)}/stock/${id(productId)}`, { stock });
}

// completed → collected; 409 otherwise. Resolves to the order.
export function collectOrder(orderId) {
  return write('POST', `/api/staff/orders/${id(orderId)}/collect`);
}

// {branch, date} → {branch_id, date, slots: [start], products: [{product_id,
// name, total, slots: [{start, quantity}]}]}: what to have ready.
export function production(day = {}) {
  return request('GET', `/api/staff/production${query(day)}`);
}

// {branch, date} → {branch_id, date, slots: [{start, end, orders:
// [{order_id, status, customer_name, total_amount, items}]}]}.
export function pickups(day = {}) {
  return request('GET', `/api/staff/pickups${query(day)}`);
}
