// branch-view.js - the "Collect from" picker above the catalogue: one radio
// per branch with its address and today's opening hours. Hidden when the
// API lists no branches (a one-shop bakery needs no choice).
import * as branch from './branch.js';
import { announce, byId, choice, h, replace } from './dom.js';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

// One day's hours as the API may write them: "07:00-18:00", ["07:00",
// "18:00"], {open, close}, or null/[] for closed. '' when unreadable.
function dayHours(v) {
  if (v === null || v === false || (Array.isArray(v) && v.length === 0)) return 'Closed today';
  if (typeof v === 'string') return `Open today ${v}`;
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string')) return `Open today ${v[0]}–${v[1]}`;
  if (Array.isArray(v)) return v.map(dayHours).filter(Boolean).join(', ');
  if (v && typeof v.open === 'string' && typeof v.close === 'string') return `Open today ${v.open}–${v.close}`;
  return '';
}

// Today's weekday, 0 = Sunday, in the bakery's time zone.
function weekday(timeZone, now) {
  try {
    const name = new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone }).format(now).toLowerCase();
    return DAYS.indexOf(name);
  } catch {
    return now.getDay();
  }
}

// Today's line from opening_hours keyed by weekday ("mon", "monday", 0-6
// or 1-7 with 7 = Sunday) or listed as [{weekday|day, open, close}].
function hoursToday(hours, timeZone, now = new Date()) {
  if (!hours || typeof hours !== 'object') return '';
  const d = weekday(timeZone, now);
  if (Array.isArray(hours)) {
    const today = hours.filter((x) => x && [d, d || 7, DAYS[d], DAYS[d].slice(0, 3)].includes(x.weekday ?? x.day));
    return today.length ? dayHours(today.length === 1 ? today[0] : today) : '';
  }
  for (const k of [DAYS[d].slice(0, 3), DAYS[d], String(d), String(d || 7)]) {
    if (k in hours) return dayHours(hours[k]);
  }
  return '';
}

function option(b, checkedId) {
  const id = `branch-${b.id}`;
  const input = h('input', { type: 'radio', name: 'branch', id, value: b.id, checked: b.id === checkedId });
  input.addEventListener('change', () => {
    if (!input.checked) return;
    branch.choose(b.id);
    announce(`Showing stock and pickup times at ${b.name}.`);
  });
  const today = hoursToday(b.opening_hours, b.timezone);
  return h('li', {}, choice(input, 'branch-option',
    h('span', { class: 'branch-text' },
      h('span', { class: 'branch-name' }, b.name),
      b.address ? h('span', { class: 'branch-address' }, b.address) : null,
      today ? h('span', { class: 'branch-hours' }, today) : null)));
}

function render() {
  const list = branch.all();
  byId('branch-picker').hidden = list.length === 0;
  replace(byId('branch-options'), list.map((b) => option(b, branch.current()?.id)));
}

// A change made in another tab: the radios follow, nothing is rebuilt (so
// a keyboard user arrowing through them keeps the focus).
function sync() {
  const id = branch.current()?.id;
  for (const input of byId('branch-options').querySelectorAll('input[name=branch]')) {
    input.checked = Number(input.value) === id;
  }
}

// Loads the branches and shows the picker; resolves when it is shown.
export async function initBranchView() {
  branch.subscribe(sync);
  await branch.load();
  render();
}
