// session.js - what every staff page but the login shares: the signed-in
// name in the header, the log-out button, and the rule that a 401 from any
// call sends the browser to the login page (which comes back here after).
import { ApiError, logout, me } from './staff-api.js';
import { byId, replace } from '/js/dom.js';

export const LOGIN = '/staff/';

// The login page, told to come back to this page (path and query) after.
export function loginUrl() {
  const back = `${window.location.pathname}${window.location.search}`;
  return `${LOGIN}?next=${encodeURIComponent(back)}`;
}

// True (and the browser on its way to the login page) when err is a 401.
export function expired(err) {
  if (!(err instanceof ApiError) || err.status !== 401) return false;
  window.location.assign(loginUrl());
  return true;
}

async function showUser() {
  try {
    const who = await me();
    replace(byId('staff-user'), `Signed in as ${who.username}`);
  } catch (err) {
    if (!expired(err)) replace(byId('staff-user'), '');
  }
}

async function onLogout(event) {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    await logout();
  } catch (err) {
    // Gone already (401) is as good as logged out; anything else is said.
    if (!(err instanceof ApiError) || err.status !== 401) {
      button.disabled = false;
      replace(byId('staff-user'), `Could not log out: ${err.message}`);
      return;
    }
  }
  window.location.assign(LOGIN);
}

// Fills the header; call once per page before its own loading.
export function startPage() {
  byId('logout').addEventListener('click', onLogout);
  showUser();
}
