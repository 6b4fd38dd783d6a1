// login.js - the staff login page, /staff/. Logs in (the session is the
// cookie the answer sets) and goes on to the page that sent us here, or
// the dashboard. Already signed in: straight on.
import { ApiError, login, me } from './staff-api.js';
import { byId, replace } from '/js/dom.js';
import { errorText } from './ui.js';

const HOME = '/staff/dashboard.html';

// Where to go after login: ?next= when it is a staff page of this site
// (never another origin: "//evil.example" and "/\evil" are refused).
function nextPage() {
  const next = new URLSearchParams(window.location.search).get('next') ?? '';
  return /^\/staff\/[^/\\]/.test(next) && !next.includes('//') ? next : HOME;
}

function showError(msg) {
  const box = byId('login-error');
  replace(box, msg);
  box.hidden = false;
  box.focus();
}

function problem(username, password) {
  if (!username) return ['username', 'Enter your username.'];
  if (!password) return ['password', 'Enter your password.'];
  return null;
}

async function onSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const username = form.username.value.trim();
  const password = form.password.value;
  form.username.removeAttribute('aria-invalid');
  form.password.removeAttribute('aria-invalid');
  const bad = problem(username, password);
  if (bad) {
    form[bad[0]].setAttribute('aria-invalid', 'true');
    showError(bad[1]);
    form[bad[0]].focus();
    return;
  }
  const button = byId('login-submit');
  button.disabled = true;
  replace(button, 'Logging in…');
  try {
    await login(username, password);
    window.location.assign(nextPage());
  } catch (err) {
    button.disabled = false;
    replace(button, 'Log in');
    if (err instanceof ApiError && err.status === 401) {
      form.password.value = '';
      showError('That username and password do not match. Please try again.');
      form.password.focus();
    } else {
      showError(errorText(err));
    }
  }
}

async function init() {
  byId('login-form').addEventListener('submit', onSubmit);
  try {
    await me();
    window.location.replace(nextPage());
  } catch {
    byId('username').focus();
  }
}

init();
