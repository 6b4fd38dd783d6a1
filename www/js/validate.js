// validate.js - the checkout's rules, the same as the API's (SPEC §6.1 and
// cgi-bin/order_input.c), so most mistakes are caught before sending.
// Each function returns '' when the value is fine, else what to fix.

export const NAME_MAX = 100;
export const EMAIL_MAX = 254;
const LOCAL_MAX = 64;

const utf8Length = (s) => new TextEncoder().encode(s).length;

// Name: 1-100 characters, not only spaces, no control characters.
export function nameProblem(value) {
  const name = value.trim();
  if (name === '') return 'Please enter your name.';
  const length = [...name].length;
  if (length > NAME_MAX) return `Please shorten your name to ${NAME_MAX} characters (it has ${length}).`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'Please remove the control characters from your name.';
  return '';
}

// The API's "plausible address": local@domain.tld, at most 254 bytes, a
// local part of at most 64 bytes without spaces or ()<>,;:\"[]@, a domain
// of letters, digits, hyphens and non-empty dot-separated labels, and a
// top-level part of at least two characters.
function plausibleEmail(s) {
  const bytes = utf8Length(s);
  if (bytes < 3 || bytes > EMAIL_MAX) return false;
  const at = s.lastIndexOf('@');
  if (at <= 0) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  // eslint-disable-next-line no-control-regex
  if (utf8Length(local) > LOCAL_MAX || /[\u0000-\u0020\u007f()<>,;:\\"[\]@]/.test(local)) return false;
  if (!/^[A-Za-z0-9.\-\u0080-\u{10FFFF}]+$/u.test(domain)) return false;
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) return false;
  const dot = domain.lastIndexOf('.');
  return dot > 0 && [...domain.slice(dot + 1)].length >= 2;
}

export function emailProblem(value) {
  const email = value.trim();
  if (email === '') return 'Please enter your email address.';
  if (utf8Length(email) > EMAIL_MAX) return `Please use an email address of at most ${EMAIL_MAX} characters.`;
  if (!plausibleEmail(email)) return 'Please enter a valid email address, like name@example.com.';
  return '';
}
