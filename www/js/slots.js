// slots.js - "When to collect" in the checkout: a day within the booking
// horizon and a pickup slot of the chosen branch, each slot with the places
// left and full ones disabled; "Earliest available" (no slot sent: the API
// books the next free one) is the default. Hidden when the API has no
// pickup slots, so the checkout then works as before.
import { pickupSlots } from './api.js';
import * as branch from './branch.js';
import { byId, choice, h, replace, srOnly } from './dom.js';
import { bakeryDay, clockTime, plural, shortDay } from './format.js';

// BAKERY_BOOK_DAYS (14): today and the 14 days after it. A day the API
// will not book answers [] and says so.
const BOOK_DAYS = 15;
const FEW_LEFT = 3;

let slots = []; // the shown day's slots, as the API sent them
let loads = 0; // the newest load wins

// The days on the bakery's calendar, today first.
function renderDays() {
  const zone = branch.current()?.timezone;
  const options = [];
  for (let i = 0; i < BOOK_DAYS; i += 1) {
    const day = bakeryDay(i, zone);
    const prefix = i === 0 ? 'Today, ' : i === 1 ? 'Tomorrow, ' : '';
    options.push(h('option', { value: day }, `${prefix}${shortDay(day)}`));
  }
  replace(byId('pickup-day'), options);
}

const bookable = (s) => s.remaining > 0 && s.available !== false;

function slotOption(s, index) {
  const id = `slot-${index}`;
  const open = bookable(s);
  const left = open ? `${plural(s.remaining, 'place', 'places')} left` : 'Full';
  const input = h('input', { type: 'radio', name: 'pickup_at', id, value: s.start, disabled: !open });
  return h('li', {}, choice(input, `slot${open ? '' : ' slot-full'}${open && s.remaining <= FEW_LEFT ? ' slot-few' : ''}`,
    h('span', { class: 'slot-time' }, clockTime(s.start), s.end ? srOnly(` to ${clockTime(s.end)}`) : null),
    h('span', { class: 'slot-left' }, left)));
}

function renderSlots(state) {
  const earliest = h('li', {}, choice(h('input', { type: 'radio', name: 'pickup_at', id: 'slot-earliest', value: '', checked: true }),
    'slot slot-earliest', h('span', { class: 'slot-time' }, 'Earliest available'), ' ', h('span', { class: 'slot-left' }, 'the next free time')));
  replace(byId('pickup-slots'), earliest, slots.map(slotOption));
  let note = state;
  if (!note && slots.length === 0) note = 'No pickup times on this day: the branch is closed, or it is too late to order for it.';
  else if (!note && !slots.some(bookable)) note = 'Every pickup time on this day is taken. Please choose another day.';
  replace(byId('pickup-note'), note ?? '');
}

function renderWhere() {
  const b = branch.current();
  replace(byId('pickup-where'), b ? ['At ', h('strong', {}, b.name), b.address ? `, ${b.address}` : ''] : '');
}

// Loads the slots of the chosen day at the current branch; a failure to
// load the very first day hides the picker (no slots in this API).
async function load() {
  const b = branch.current();
  const mine = ++loads;
  renderWhere();
  if (!b) {
    byId('pickup').hidden = true;
    return;
  }
  replace(byId('pickup-note'), 'Loading pickup times…');
  try {
    const list = await pickupSlots(b.id, byId('pickup-day').value);
    if (mine !== loads) return;
    slots = Array.isArray(list) ? list.filter((s) => s && typeof s.start === 'string') : [];
    byId('pickup').hidden = false;
    renderSlots(null);
  } catch (err) {
    if (mine !== loads) return;
    slots = [];
    if (err.status === 404 || err.status === 405) {
      byId('pickup').hidden = true;
      return;
    }
    renderSlots(`We could not load the pickup times. ${err.message}`);
  }
}

function setError(message) {
  const box = byId('pickup-error');
  replace(box, message);
  box.hidden = !message;
}

// What the order adds to its body: {branch_id, pickup_at} as chosen. A
// branch never chosen and no slot leave both out (the API's defaults).
export function selection() {
  const picked = byId('pickup').hidden ? null : byId('pickup-slots').querySelector('input:checked');
  const at = picked?.value ?? '';
  const out = {};
  const id = at ? branch.current()?.id : branch.chosenId();
  if (id) out.branch_id = id;
  if (at) out.pickup_at = at;
  return out;
}

// A 422 slot_full or slot_unavailable from placing the order: says so at
// the picker, shows the slots as they are now and moves focus there.
// Returns false for any other error.
export async function showError(err) {
  const MESSAGES = {
    slot_full: 'Sorry, that pickup time has just filled up. Please choose another time.',
    slot_unavailable: 'Sorry, that pickup time can no longer be booked. Please choose another time.',
  };
  if (!MESSAGES[err.code] && err.field !== 'pickup_at' && err.field !== 'branch_id') return false;
  setError(MESSAGES[err.code] ?? err.message);
  await load();
  byId('pickup-slots').querySelector('input:checked')?.focus();
  return true;
}

export function initSlots() {
  renderDays();
  byId('pickup-day').addEventListener('change', () => { setError(''); load(); });
  byId('pickup-slots').addEventListener('change', () => setError(''));
  branch.subscribe(() => { setError(''); load(); });
  return load();
}
