// diet.js - allergens and dietary tags: the badges on a product card and
// the "Dietary needs" filter (vegan, vegetarian, free from an allergen),
// kept in the address (?diet=vegan&free=nuts) so it can be linked and
// survives a reload. The catalogue asks matches(product) for each card.
import { byId, choice, h, replace } from './dom.js';

export const ALLERGENS = ['gluten', 'milk', 'eggs', 'nuts', 'sesame', 'soy'];
export const DIETARY = ['vegan', 'vegetarian'];

const LABEL = { vegan: 'Vegan', vegetarian: 'Vegetarian' };

const wanted = { diet: new Set(), free: new Set() };
let onChange = () => {};

function tags(list, known) {
  return Array.isArray(list) ? list.filter((t) => known.includes(t)) : [];
}

function dietaryOf(p) {
  const d = tags(p.dietary, DIETARY);
  // Vegan food is vegetarian too, whether or not both tags were set.
  return d.includes('vegan') && !d.includes('vegetarian') ? [...d, 'vegetarian'] : d;
}

// The card's line of badges: dietary tags, then "Contains …" allergens.
export function productTags(p) {
  const diet = tags(p.dietary, DIETARY);
  const allergens = tags(p.allergens, ALLERGENS);
  if (diet.length === 0 && allergens.length === 0 && !Array.isArray(p.allergens)) return null;
  return h('div', { class: 'product-tags' },
    diet.length ? h('ul', { class: 'diet-tags', 'aria-label': 'Dietary' },
      diet.map((t) => h('li', { class: `diet-tag diet-${t}` }, LABEL[t]))) : null,
    h('p', { class: 'allergens' }, allergens.length
      ? ['Contains: ', allergens.join(', ')]
      : 'No listed allergens'));
}

// True when the product fits every need ticked in the filter.
export function matches(p) {
  const diet = dietaryOf(p);
  const allergens = tags(p.allergens, ALLERGENS);
  for (const d of wanted.diet) if (!diet.includes(d)) return false;
  for (const a of wanted.free) if (allergens.includes(a)) return false;
  return true;
}

export function active() {
  return wanted.diet.size + wanted.free.size > 0;
}

// "vegan, free from nuts" for the status line.
export function describe() {
  const parts = [...wanted.diet];
  if (wanted.free.size) parts.push(`free from ${[...wanted.free].join(', ')}`);
  return parts.join(', ');
}

function readUrl() {
  const q = new URL(window.location.href).searchParams;
  wanted.diet = new Set(q.getAll('diet').filter((t) => DIETARY.includes(t)));
  wanted.free = new Set(q.getAll('free').filter((t) => ALLERGENS.includes(t)));
}

function writeUrl() {
  const url = new URL(window.location.href);
  url.searchParams.delete('diet');
  url.searchParams.delete('free');
  for (const d of wanted.diet) url.searchParams.append('diet', d);
  for (const a of wanted.free) url.searchParams.append('free', a);
  window.history.replaceState(window.history.state, '', url);
}

function checkbox(group, value, label) {
  const id = `${group}-${value}`;
  const input = h('input', { type: 'checkbox', id, name: group, value, checked: wanted[group].has(value) });
  input.addEventListener('change', () => {
    if (input.checked) wanted[group].add(value);
    else wanted[group].delete(value);
    writeUrl();
    renderSummary();
    onChange();
  });
  return h('li', {}, choice(input, 'check-chip', label));
}

function renderSummary() {
  const n = wanted.diet.size + wanted.free.size;
  replace(byId('diet-summary'), 'Dietary needs and allergens', n ? ` · ${n} chosen` : '');
}

// Shows the filter (once the catalogue has tags to filter by; folded away
// unless the address asks for some); changed() after every tick.
export function initDietFilter(products, { changed }) {
  onChange = changed;
  readUrl();
  const box = byId('diet-filter');
  const tagged = products.some((p) => Array.isArray(p.allergens) || Array.isArray(p.dietary));
  box.hidden = !tagged;
  if (!tagged) return;
  if (active()) box.open = true;
  renderSummary();
  const group = (id, label, items) => h('div', { class: 'diet-group' },
    h('span', { class: 'diet-group-label', id }, label), h('ul', { class: 'chips', 'aria-labelledby': id }, items));
  replace(byId('diet-options'),
    group('diet-suitable', 'Suitable for', DIETARY.map((d) => checkbox('diet', d, LABEL[d]))),
    group('diet-free', 'Free from', ALLERGENS.map((a) => checkbox('free', a, a))));
}
