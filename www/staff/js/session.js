// session.js - what every staff page but the login shares: the header (the
// navigation, the signed-in name and the log-out button), and the rule that
// a 401 from any call sends the browser to the login page (which comes back
// here after).
import { ApiError, logout, me } from './staff-api.js';
import { byId, h, replace } from '/js/dom.js';

export const LOGIN = '/staff/';

// The staff pages, in the order the navigation lists them.
const PAGES = [
  ['/staff/dashboard.html', 'Dashboard'],
  ['/staff/products.html', 'Products'],
  ['/staff/orders.html', 'Orders'],
  ['/staff/pickups.html', 'Pickups'],
  ['/staff/production.html', 'Production'],
  ['/staff/branches.html', 'Branches'],
  ['/staff/audit.html', 'Audit log'],
];

// The inside of the page's <header id="staff-header">: the brand, the
// navigation with this page marked, and who is signed in.
function header() {
  const here = window.location.pathname;
  const links = PAGES.map(([href, label]) =>
    h('li', {}, h('a', { href, 'aria-current': href === here ? 'page' : null }, label)));
  const logo = h('img', { src: '/img/logo.svg', alt: '', width: 40, height: 40 });
  return h('div', { class: 'wrap header-inner' },
    h('a', { class: 'brand', href: PAGES[0][0] }, logo, h('span', {}, 'Bakery staff')),
    h('nav', { class: 'site-nav', 'aria-label': 'Staff' }, h('ul', {}, links)),
    h('p', { class: 'staff-user' }, h('span', { id: 'staff-user' }), ' ',
      h('button', { id: 'logout', class: 'link-button', type: 'button' }, 'Log out')));
}

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
  replace(byId('staff-header'), header());
  byId('logout').addEventListener('click', onLogout);
  showUser();
}
