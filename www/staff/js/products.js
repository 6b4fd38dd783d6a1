// products.js - products and stock: every product, inactive ones too, each
// with its price, stock, allergens and dietary tags editable in place, a
// button taking it off sale or back on, and a form adding a new one. A 422
// marks the input to blame.
import { createProduct, listProducts, updateProduct } from './staff-api.js';
import { append, byId, choice, h, replace, srOnly } from '/js/dom.js';
import { ALLERGENS, DIETARY } from '/js/diet.js';
import { money } from '/js/format.js';
import { expired, startPage } from './session.js';
import { clearFields, errorText, markField, say } from './ui.js';

const products = new Map(); // id -> the product as the API last sent it

// The price typed in, as a number, or null when it is not one. The API
// judges the rest (more than two decimals, zero): its 422 names the field.
function priceValue(text) {
  const t = String(text).trim().replace(/^\$/, '');
  return /^\d+(\.\d+)?$|^\.\d+$/.test(t) ? Number(t) : null;
}

function stockValue(text) {
  const t = String(text).trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

function field(id, label, name, input) {
  return h('div', { class: 'field' }, h('label', { for: id }, label, srOnly(` of ${name}`)), input);
}

// Checkboxes for the tags of one kind ('allergens' or 'dietary'), named so
// that a 422 naming the field marks the first of them.
function tagBoxes(key, kind, names, of) {
  const legend = kind === 'allergens' ? 'Contains' : 'Suitable for';
  return h('fieldset', { class: 'tag-boxes' },
    h('legend', {}, legend, of ? srOnly(` (${of})`) : null),
    h('ul', { class: 'chips' }, names.map((t) => {
      const id = `${key}-${kind}-${t}`;
      return h('li', {}, choice(h('input', { type: 'checkbox', id, name: kind, value: t }), 'check-chip', t));
    })));
}

// "Contains gluten, milk · vegan" of a product.
function tagsText(p) {
  const contains = p.allergens?.length ? `Contains ${p.allergens.join(', ')}` : 'No listed allergens';
  return p.dietary?.length ? `${contains} · ${p.dietary.join(', ')}` : contains;
}

// The row's tags: a line saying them, and the checkboxes to change them,
// made when first asked for (a list of hundreds of products stays light).
function tagsArea(row, key, p) {
  const area = h('div', { class: 'row-tags' });
  if (!Array.isArray(p.allergens) && !Array.isArray(p.dietary)) return area;
  const edit = h('button', { class: 'link-button edit-tags', type: 'button', 'aria-expanded': 'false' },
    'Edit allergens and diet', srOnly(` of ${p.name}`));
  edit.addEventListener('click', () => {
    const open = edit.getAttribute('aria-expanded') !== 'true';
    edit.setAttribute('aria-expanded', String(open));
    let boxes = area.querySelector('.tag-editor');
    if (!boxes) {
      const cur = products.get(Number(row.dataset.productId));
      boxes = h('div', { class: 'tag-editor' },
        tagBoxes(key, 'allergens', ALLERGENS, cur.name), tagBoxes(key, 'dietary', DIETARY, cur.name));
      area.append(boxes);
      setTicked(boxes, 'allergens', cur.allergens);
      setTicked(boxes, 'dietary', cur.dietary);
    }
    boxes.hidden = !open;
    if (open) boxes.querySelector('input')?.focus();
  });
  return append(area, h('p', { class: 'tags-line' }, h('span', { class: 'tags-text' }), ' ', edit));
}

// The ticked tags of one kind inside container, in the API's order.
function ticked(container, kind) {
  return [...container.querySelectorAll(`input[name="${kind}"]:checked`)].map((i) => i.value);
}

function setTicked(container, kind, list) {
  const on = new Set(Array.isArray(list) ? list : []);
  for (const i of container.querySelectorAll(`input[name="${kind}"]`)) i.checked = on.has(i.value);
}

const sameTags = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...(b ?? [])].sort());

function productRow(p) {
  const key = `p${p.id}`;
  const form = h('form', { class: 'row-form', novalidate: true },
    field(`${key}-price`, 'Price ($)', p.name, h('input', {
      id: `${key}-price`, name: 'price', type: 'text', inputmode: 'decimal', autocomplete: 'off', 'aria-describedby': `${key}-msg`,
    })),
    field(`${key}-stock`, 'Stock', p.name, h('input', {
      id: `${key}-stock`, name: 'stock', type: 'number', inputmode: 'numeric', min: 0, max: 1000000, step: 1, 'aria-describedby': `${key}-msg`,
    })),
    h('div', { class: 'row-buttons' },
      h('button', { class: 'button save', type: 'submit' }, 'Save', srOnly(` ${p.name}`)),
      h('button', { class: 'button button-secondary toggle', type: 'button', name: 'active' })));
  const row = h('li', { class: 'staff-item product-row', 'data-product-id': p.id },
    h('div', { class: 'item-head' },
      h('h3', { class: 'item-title' }, p.name),
      h('span', { class: 'badge state' }),
      h('span', { class: 'muted item-meta' }, `#${p.id} · `, h('span', { class: 'category' }, p.category))),
    p.description ? h('p', { class: 'muted item-description' }, p.description) : null,
    form,
    h('p', { id: `${key}-msg`, class: 'form-message', role: 'status' }));
  form.querySelector('.row-buttons').before(tagsArea(row, key, p));
  form.addEventListener('submit', (e) => { e.preventDefault(); save(row); });
  form.querySelector('.toggle').addEventListener('click', () => toggle(row));
  return row;
}

// Puts the product's current values into its row (the row stays, so focus
// stays where it was).
function fillRow(row, p) {
  products.set(p.id, p);
  row.querySelector('[name=price]').value = String(p.price);
  row.querySelector('[name=stock]').value = String(p.stock);
  setTicked(row, 'allergens', p.allergens);
  setTicked(row, 'dietary', p.dietary);
  const line = row.querySelector('.tags-text');
  if (line) replace(line, tagsText(p));
  row.classList.toggle('is-inactive', !p.active);
  const state = row.querySelector('.state');
  state.className = `badge state ${p.active ? 'status-completed' : 'status-cancelled'}`;
  replace(state, p.active ? 'On sale' : 'Not on sale');
  replace(row.querySelector('.toggle'), p.active ? 'Take off sale' : 'Put on sale', srOnly(` ${p.name}`));
}

function rowOf(id) {
  return byId('product-list').querySelector(`li[data-product-id="${CSS.escape(String(id))}"]`);
}

// Sends changes; on success refills the row and says what happened.
async function send(row, changes, done) {
  const id = Number(row.dataset.productId);
  const msg = row.querySelector('.form-message');
  const buttons = [...row.querySelectorAll('button')];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const p = await updateProduct(id, changes);
    fillRow(row, p);
    say(msg, done(p));
  } catch (err) {
    if (expired(err)) return;
    markField(row, err.field);
    say(msg, errorText(err), true);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function save(row) {
  const p = products.get(Number(row.dataset.productId));
  const msg = row.querySelector('.form-message');
  clearFields(row);
  const price = priceValue(row.querySelector('[name=price]').value);
  const stock = stockValue(row.querySelector('[name=stock]').value);
  if (price === null || stock === null) {
    markField(row, price === null ? 'price' : 'stock');
    say(msg, price === null ? 'Enter the price as a number, like 3.50.' : 'Enter the stock as a whole number.', true);
    return;
  }
  const changes = {};
  if (price !== Number(p.price)) changes.price = price;
  if (stock !== Number(p.stock)) changes.stock = stock;
  // The tags only when their checkboxes were opened.
  for (const kind of ['allergens', 'dietary']) {
    if (row.querySelector('.tag-editor') && !sameTags(ticked(row, kind), p[kind])) changes[kind] = ticked(row, kind);
  }
  if (Object.keys(changes).length === 0) {
    say(msg, 'Nothing to save: nothing was changed.');
    return;
  }
  send(row, changes, (q) => `Saved: ${q.name} now ${money(q.price)}, ${q.stock} in stock${changes.allergens || changes.dietary ? `; ${tagsText(q)}` : ''}.`);
}

function toggle(row) {
  const p = products.get(Number(row.dataset.productId));
  clearFields(row);
  send(row, { active: !p.active }, (q) => (q.active ? `${q.name} is on sale again.` : `${q.name} is off sale: customers no longer see it.`));
}

function renderList(list) {
  const rows = list.map((p) => {
    const row = productRow(p);
    fillRow(row, p);
    return row;
  });
  replace(byId('product-list'), rows);
  const off = list.filter((p) => !p.active).length;
  say(byId('products-status'), list.length ? `${list.length} products, ${off} not on sale.` : 'No products yet.');
}

async function load() {
  try {
    renderList(await listProducts());
  } catch (err) {
    if (!expired(err)) say(byId('products-status'), `Could not load the products: ${errorText(err)}`, true);
  }
}

function newProduct(form) {
  return {
    name: form.name.value.trim(),
    category: form.category.value.trim(),
    description: form.description.value.trim(),
    price: priceValue(form.price.value),
    stock: stockValue(form.stock.value),
    active: form.active.checked,
    allergens: ticked(form, 'allergens'),
    dietary: ticked(form, 'dietary'),
  };
}

async function onCreate(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const msg = byId('create-message');
  clearFields(form);
  const product = newProduct(form);
  const bad = product.price === null ? 'price' : product.stock === null ? 'stock' : null;
  if (bad) {
    markField(form, bad);
    say(msg, bad === 'price' ? 'Enter the price as a number, like 3.50.' : 'Enter the stock as a whole number.', true);
    return;
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const p = await createProduct(product);
    form.reset();
    say(msg, `Added ${p.name} (#${p.id}).`);
    await load();
    rowOf(p.id)?.classList.add('is-new');
  } catch (err) {
    if (expired(err)) return;
    if (!markField(form, err.field)) msg.focus();
    say(msg, errorText(err), true);
  } finally {
    button.disabled = false;
  }
}

startPage();
byId('create-tags').append(tagBoxes('new', 'allergens', ALLERGENS, ''), tagBoxes('new', 'dietary', DIETARY, ''));
byId('create-form').addEventListener('submit', onCreate);
load();
