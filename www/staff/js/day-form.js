// day-form.js - the branch and day a staff page shows (production list,
// pickups): a branch select and a date, kept in the address (?branch=&date=)
// so a reload, a bookmark or a printout's link shows the same; by default
// the default branch and today on the bakery's calendar.
import { listBranches } from './staff-api.js';
import { byId, h, replace } from '/js/dom.js';
import { bakeryDay } from '/js/format.js';
import { expired } from './session.js';
import { errorText, say } from './ui.js';

let branches = [];

export function branchById(id) {
  return branches.find((b) => b.id === id) ?? null;
}

// {branch, date, branchObj} as the form shows them now.
export function chosen() {
  const form = byId('day-form');
  const id = Number(form.branch.value);
  return { branch: id || undefined, date: form.date.value, branchObj: branchById(id) };
}

function fromUrl(form) {
  const q = new URLSearchParams(window.location.search);
  const wanted = Number(q.get('branch'));
  const b = branchById(wanted) ?? branches.find((x) => x.default) ?? branches[0];
  if (b) form.branch.value = String(b.id);
  const date = q.get('date') ?? '';
  form.date.value = /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : bakeryDay(0, b?.timezone);
}

function toUrl() {
  const { branch, date } = chosen();
  const q = new URLSearchParams();
  if (branch) q.set('branch', String(branch));
  if (date) q.set('date', date);
  window.history.replaceState(null, '', `${window.location.pathname}?${q}`);
}

// Loads the branches into the form, then show(chosen()) now and after every
// submit. Problems loading the branches go to the element #day-status.
export async function initDayForm(show) {
  const form = byId('day-form');
  try {
    const list = await listBranches();
    branches = Array.isArray(list) ? list : [];
  } catch (err) {
    if (expired(err)) return;
    say(byId('day-status'), `Could not load the branches: ${errorText(err)}`, true);
  }
  replace(form.branch, branches.map((b) => h('option', { value: b.id }, b.name)));
  form.branch.closest('.field').hidden = branches.length === 0;
  fromUrl(form);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    toUrl();
    show(chosen());
  });
  show(chosen());
}
