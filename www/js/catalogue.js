// catalogue.js - the product listing: loading and error states, products
// grouped by category, the category filter (kept in ?category= so it can be
// linked and survives reload) and the dietary one (diet.js), availability
// at the chosen branch (branch.js), and "Add to cart".
import { listProducts } from './api.js';
import * as branch from './branch.js';
import * as cart from './cart.js';
import * as diet from './diet.js';
import { announce, byId, h, replace } from './dom.js';
import { money, moneyCents, plural } from './format.js';

const LOW_STOCK = 5;

let products = [];
let productsById = new Map();
let selected = ''; // category shown; '' = all
const cards = new Map(); // product id -> { button, inCart, product }
const sections = new Map(); // category -> section element
let onLoaded = () => {};

function availabilityText(p) {
  if (p.stock <= 0) return 'Sold out';
  if (p.stock <= LOW_STOCK) return `Only ${p.stock} left`;
  return 'In stock';
}

function availabilityClass(p) {
  if (p.stock <= 0) return 'stock stock-out';
  if (p.stock <= LOW_STOCK) return 'stock stock-low';
  return 'stock';
}

function addToCart(p, button) {
  const problem = button.getAttribute('aria-disabled') === 'true'
    ? `You already have ${cart.quantityOf(p.id)} ${p.name} in your cart, as many as we can sell.`
    : cart.add(p);
  if (problem) {
    announce(problem);
    return;
  }
  announce(`${p.name} added to your cart. ${plural(cart.count(), 'item', 'items')}, ${moneyCents(cart.totalCents())}.`);
}

// One product card.
function renderProduct(p) {
  const nameId = `product-${p.id}-name`;
  const button = h('button', { type: 'button', class: 'button add-button' });
  button.addEventListener('click', () => addToCart(p, button));
  const note = h('p', { class: availabilityClass(p) }, availabilityText(p));
  const inCart = h('p', { class: 'in-cart', hidden: true });
  const card = h('article', { class: 'product', 'aria-labelledby': nameId, 'data-product-id': p.id },
    h('h3', { id: nameId, class: 'product-name' }, p.name),
    p.description ? h('p', { class: 'product-description' }, p.description) : null,
    diet.productTags(p),
    h('div', { class: 'product-meta' }, h('p', { class: 'price' }, money(p.price)), note),
    h('div', { class: 'product-actions' }, inCart, button));
  cards.set(p.id, { button, inCart, product: p, card });
  updateProduct(p.id);
  return card;
}

// Brings a card's "in your cart" note and button in line with the cart.
function updateProduct(id) {
  const refs = cards.get(id);
  if (!refs) return;
  const p = refs.product;
  const q = cart.quantityOf(id);
  const limit = cart.limitFor(p);
  refs.inCart.hidden = q === 0;
  replace(refs.inCart, q >= limit && q > 0 ? `${q} in your cart (all we have)` : `${q} in your cart`);
  // Sold out: really disabled. All in the cart: aria-disabled, so a
  // keyboard user who just added the last one keeps focus on the button.
  refs.button.disabled = p.stock <= 0;
  refs.button.setAttribute('aria-disabled', String(p.stock <= 0 || q >= limit));
  const label = p.stock <= 0 ? 'Sold out' : 'Add to cart';
  replace(refs.button, label);
  // The visible words first, then which product (WCAG "label in name").
  refs.button.setAttribute('aria-label', `${label}: ${p.name}`);
}

function renderSection(category, items) {
  const headingId = `category-${sections.size}`;
  const section = h('section', { class: 'category', 'aria-labelledby': headingId, 'data-category': category },
    h('h2', { id: headingId, class: 'category-title' }, category),
    h('div', { class: 'product-grid' }, items.map(renderProduct)));
  sections.set(category, section);
  return section;
}

function categories() {
  return [...new Set(products.map((p) => p.category))];
}

function renderFilter() {
  const nav = byId('category-filter');
  const button = (value, label) => {
    const b = h('button', { type: 'button', class: 'chip', 'aria-pressed': String(value === selected), 'data-category': value }, label);
    b.addEventListener('click', () => choose(value, true));
    return h('li', {}, b);
  };
  replace(nav, h('ul', { class: 'chips' }, button('', 'All'), categories().map((c) => button(c, c))));
  nav.hidden = products.length === 0;
}

// Hides the cards the dietary filter rules out, and the sections left
// empty; returns how many cards of the shown category remain.
function applyDiet() {
  let shown = 0;
  const visible = new Map();
  for (const { product: p, card } of cards.values()) {
    card.hidden = !diet.matches(p);
    if (!card.hidden) visible.set(p.category, (visible.get(p.category) ?? 0) + 1);
  }
  for (const [c, section] of sections) {
    section.hidden = (selected !== '' && c !== selected) || !visible.get(c);
    if (!section.hidden) shown += visible.get(c);
  }
  return shown;
}

function statusText(shown) {
  const what = plural(shown, 'product', 'products');
  const where = selected ? ` in ${selected}` : '';
  if (diet.active()) {
    return shown ? `Showing ${what}${where} that are ${diet.describe()}.` : `Nothing${where} is ${diet.describe()} today.`;
  }
  return selected ? `Showing ${what}${where}.` : '';
}

// Shows one category (or all), updating the filter, the URL and the status.
function choose(category, fromClick) {
  selected = sections.has(category) ? category : '';
  for (const b of byId('category-filter').querySelectorAll('button')) {
    b.setAttribute('aria-pressed', String(b.dataset.category === selected));
  }
  replace(byId('catalogue-status'), statusText(applyDiet()));
  if (fromClick) {
    const url = new URL(window.location.href);
    if (selected) url.searchParams.set('category', selected);
    else url.searchParams.delete('category');
    window.history.pushState({ category: selected }, '', url);
  }
}

function categoryFromUrl() {
  return new URL(window.location.href).searchParams.get('category') ?? '';
}

function renderCatalogue() {
  const root = byId('catalogue');
  cards.clear();
  sections.clear();
  const grouped = new Map();
  for (const p of products) {
    if (!grouped.has(p.category)) grouped.set(p.category, []);
    grouped.get(p.category).push(p);
  }
  replace(root, [...grouped].map(([c, items]) => renderSection(c, items)));
  root.setAttribute('aria-busy', 'false');
  renderFilter();
  diet.initDietFilter(products, { changed: () => choose(selected, false) });
  if (products.length === 0) {
    replace(byId('catalogue-status'), 'Nothing is on sale right now. Please come back later.');
  } else {
    choose(categoryFromUrl(), false);
  }
}

function renderError(err) {
  const root = byId('catalogue');
  root.setAttribute('aria-busy', 'false');
  const retry = h('button', { type: 'button', class: 'button' }, 'Try again');
  retry.addEventListener('click', () => load());
  replace(root, h('div', { class: 'notice notice-error', role: 'alert' },
    h('p', {}, 'We could not load the catalogue. ', err.message), retry));
  replace(byId('catalogue-status'), '');
}

let loads = 0; // the newest load wins (the branch may change mid-way)

async function load() {
  const root = byId('catalogue');
  const mine = ++loads;
  root.setAttribute('aria-busy', 'true');
  replace(byId('catalogue-status'), 'Loading the catalogue…');
  let list;
  try {
    list = await listProducts(branch.chosenId());
  } catch (err) {
    if (mine === loads) renderError(err);
    return;
  }
  if (mine !== loads) return;
  products = Array.isArray(list) ? list : [];
  productsById = new Map(products.map((p) => [p.id, p]));
  renderCatalogue();
  onLoaded(productsById);
}

// Reloads the listing (e.g. after the API said stock ran out), keeping the
// filter. Resolves when done.
export function reload() {
  return load();
}

export function productMap() {
  return productsById;
}

// Loads and shows the catalogue; loaded(productsById) after every load.
export function initCatalogue({ loaded } = {}) {
  if (loaded) onLoaded = loaded;
  cart.subscribe(() => { for (const id of cards.keys()) updateProduct(id); });
  branch.subscribe(() => load());
  window.addEventListener('popstate', () => { if (products.length) choose(categoryFromUrl(), false); });
  return load();
}
