// branch-lib.mjs - what the pickup and production browser tests share: the
// staff API with a bearer token, a branch of this run's own (its hours,
// slot capacity and stock set through the staff API, so nothing else
// books its slots), orders for a pickup slot, and the bakery's tomorrow.
import { BASE, createStaff, sql, until } from './lib.mjs';

async function call(method, path, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  return { status: res.status, data };
}

// Resolves to the JSON of a call that must answer `want`.
export async function api(method, path, { token, body, want = 200 } = {}) {
  const r = await call(method, path, { token, body });
  if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.data)} (wanted ${want})`);
  return r.data;
}

// A staff account and its bearer token.
export async function staffToken(name, password) {
  createStaff(name, password);
  return (await api('POST', '/api/staff/login', { body: { username: name, password } })).token;
}

const everyDay = (open, close) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
  .map((d) => [d, { open, close }]));

// A branch open every day (08:00-12:00 unless said) with `capacity` orders
// a slot and `stock` of each product in products; resolves to the branch.
export async function makeBranch(token, { name, address, capacity, products, stock, open = '08:00', close = '12:00' }) {
  const b = await api('POST', '/api/staff/branches', {
    token, want: 201, body: { name, address, opening_hours: everyDay(open, close), slot_capacity: capacity },
  });
  for (const id of products) await api('PUT', `/api/staff/branches/${b.id}/stock/${id}`, { token, body: { stock } });
  return b;
}

// YYYY-MM-DD of tomorrow in the time zone tz (the branch's).
export function tomorrow(tz) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(Date.now() + 24 * 3600 * 1000));
}

export function slotsOf(branchId, date) {
  return api('GET', `/api/pickup-slots?branch=${branchId}&date=${date}`);
}

// Places an order for a slot through the API; resolves to the 201 answer.
export function placeFor(branchId, pickupAt, items, email, name = 'Slot Test') {
  return api('POST', '/api/orders', {
    want: 201,
    body: { customer_name: name, customer_email: email, branch_id: branchId, pickup_at: pickupAt, items },
  });
}

export function statusOf(id) {
  return sql(`SELECT status FROM orders WHERE id = :'id'::bigint;`, { id })[0][0];
}

export function completed(id) {
  return until(() => statusOf(id) === 'completed', 20000, `order ${id} completed by the worker`);
}

// A regular expression's source for "9:00 AM" of an ISO time with an
// offset, on that offset's clock, as the pages show it (Intl may put a
// narrow no-break space before AM).
export function wallTime(iso) {
  const m = /T(\d{2}):(\d{2})/.exec(iso);
  const h = Number(m[1]);
  return `${h % 12 || 12}:${m[2]}\\s${h < 12 ? 'AM' : 'PM'}`;
}
