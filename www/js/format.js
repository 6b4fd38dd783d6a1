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

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

export const FINAL_STATUSES = new Set(['completed', 'failed', 'cancelled', 'refunded']);

const STATUS = {
  pending: ['Received', 'We have your order and will start on it in a moment.'],
  processing: ['Being prepared', 'We are checking stock and taking payment.'],
  completed: ['Completed', 'Paid and confirmed. Thank you! Your order is ready for collection.'],
  failed: ['Failed', 'We could not complete this order. You have not been charged.'],
  cancelled: ['Cancelled', 'This order was cancelled. You have not been charged.'],
  refunded: ['Refunded', 'This order was refunded.'],
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
