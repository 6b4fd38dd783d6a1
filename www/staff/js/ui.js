// ui.js - small pieces the staff pages share: status badges, dates as the
// API wants them, readable API errors, and marking the input an API error
// blames. Everything goes in as text (dom.js).
import { h, replace } from '/js/dom.js';
import { statusClass } from '/js/format.js';

export function badge(status) {
  return h('span', { class: `badge ${statusClass(status)}` }, String(status));
}

// YYYY-MM-DD of d in the browser's time zone (the bakery's day).
export function isoDate(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function daysAgo(n) {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return isoDate(d);
}

// The sentence to show for a failed call: the API's own, plus when to try
// again if it said.
export function errorText(err) {
  const msg = err?.message || 'Something went wrong.';
  if (err?.retryAfter) return `${msg} Try again in ${err.retryAfter} s.`;
  return msg;
}

// Shows msg in the message element node (class "is-error" when an error).
export function say(node, msg, isError = false) {
  node.classList.toggle('is-error', isError);
  replace(node, msg);
}

// Clears what markField set inside container.
export function clearFields(container) {
  for (const input of container.querySelectorAll('[aria-invalid="true"]')) {
    input.removeAttribute('aria-invalid');
  }
}

// Marks the input named field inside container as the one to blame and
// focuses it; false when there is no such input.
export function markField(container, field) {
  const input = field ? container.querySelector(`[name="${CSS.escape(field)}"]`) : null;
  if (!input) return false;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
  return true;
}
