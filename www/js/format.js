// format.js - money, dates and order statuses as customers read them.

const CURRENCY = 'USD';
const LOCALE = 'en-US';

const moneyFormat = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: CURRENCY });
const dateFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' });

// Prices from the API are JSON numbers with at most two decimals; the
// pages add them up in whole cents so totals are exact.
export function toCents(price) {
  return Math.round(Number(price) * 100);
}

export function money(amount) {
  return moneyFormat.format(Number(amount));
}

export function moneyCents(cents) {
  return moneyFormat.format(cents / 100);
}

// "Nov 22, 2026, 4:50 AM" in the browser's time zone; the raw text if the
// API sent something unparseable.
export function dateTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso ?? '') : dateFormat.format(d);
}

// The bakery's wall clock for an ISO 8601 time with an offset
// ("2026-12-02T10:30:00+01:00" is 10:30 wherever the customer is): a Date
// whose UTC fields are those wall-clock fields, or null. A time in UTC
// ("Z") or without an offset is read in the browser's zone instead.
function wallClock(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?([+-]\d{2}:?\d{2})$/.exec(String(iso ?? ''));
  if (!m) return null;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])));
}

function zoned(iso, options) {
  const wall = wallClock(iso);
  if (wall) return new Intl.DateTimeFormat(LOCALE, { ...options, timeZone: 'UTC' }).format(wall);
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso ?? '') : new Intl.DateTimeFormat(LOCALE, options).format(d);
}

// "10:30 AM": the time of day of a pickup slot, on the bakery's clock.
export function clockTime(iso) {
  return zoned(iso, { hour: 'numeric', minute: '2-digit' });
}

// "09:30": a slot's start as a short 24-hour column heading.
export function hhmm(iso) {
  return zoned(iso, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

// "Wed, Dec 2, 10:30 AM": when to collect, on the bakery's clock.
export function pickupTime(iso) {
  return zoned(iso, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

// "10:30 AM – 11:00 AM" for a slot {start, end}.
export function slotRange(slot) {
  return slot.end ? `${clockTime(slot.start)} – ${clockTime(slot.end)}` : clockTime(slot.start);
}

function formatDay(ymd, style) {
  const [y, m, d] = String(ymd).split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (Number.isNaN(date.getTime())) return String(ymd);
  return new Intl.DateTimeFormat(LOCALE, { weekday: style, month: style, day: 'numeric', timeZone: 'UTC' }).format(date);
}

// "Wednesday, December 2" of a YYYY-MM-DD day.
export function dayName(ymd) {
  return formatDay(ymd, 'long');
}

// "Wed, Dec 2" of a YYYY-MM-DD day.
export function shortDay(ymd) {
  return formatDay(ymd, 'short');
}

// YYYY-MM-DD of today plus `offset` days on the bakery's calendar (its
// IANA time zone, e.g. "Europe/London"; the browser's when not given).
export function bakeryDay(offset = 0, timeZone = undefined, now = new Date()) {
  let today;
  try {
    today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    today = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  }
  const [y, m, d] = today.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + offset)).toISOString().slice(0, 10);
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// Statuses after which the order page stops polling. completed is one of
// them although the counter can still mark it collected (hours later, when
// the customer is there to see it).
export const FINAL_STATUSES = new Set(['completed', 'failed', 'cancelled', 'refunded', 'collected']);

const STATUS = {
  pending: ['Received', 'We have your order and will start on it in a moment.'],
  processing: ['Being prepared', 'We are checking stock and taking payment.'],
  completed: ['Completed', 'Paid and confirmed. Thank you! Your order is ready for collection.'],
  failed: ['Failed', 'We could not complete this order. You have not been charged.'],
  cancelled: ['Cancelled', 'This order was cancelled. You have not been charged.'],
  refunded: ['Refunded', 'This order was refunded.'],
  collected: ['Collected', 'You collected this order at the counter. Enjoy!'],
};

// Label shown on the status badge, e.g. "Being prepared".
export function statusLabel(status) {
  return STATUS[status]?.[0] ?? String(status);
}

export function statusDescription(status) {
  return STATUS[status]?.[1] ?? '';
}

// The badge's CSS class: one per known status, "status-unknown" otherwise.
export function statusClass(status) {
  return STATUS[status] ? `status-${status}` : 'status-unknown';
}
