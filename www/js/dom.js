// dom.js - the only way the pages build DOM: every string goes in as text
// (a text node, textContent or an attribute value), never parsed as HTML.

// h('p', { class: 'price', id: 'x' }, 'text', childNode, ...): an element.
// Attribute values are set with setAttribute; `class` sets className;
// true sets an empty attribute, false/null/undefined leave it out.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

// Appends children (nodes, strings as text nodes, nested arrays; null and
// false are skipped).
export function append(node, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Replaces all children of node.
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

// Visually hidden text for screen readers (class in site.css).
export function srOnly(text) {
  return h('span', { class: 'sr-only' }, text);
}

// A radio button or checkbox drawn as a whole box (label.choice, styled in
// site.css): the input itself is the box, so the whole box is its touch
// target and carries its focus ring; body is what the box says.
export function choice(input, className, ...body) {
  input.classList.add('choice-input');
  return h('label', { class: `choice ${className}`, for: input.id }, input, h('span', { class: 'choice-body' }, body));
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page is missing #${id}`);
  return node;
}

// Says msg through the page's polite live region (#announcer), for changes
// a screen reader user would otherwise miss (an item added to the cart).
export function announce(msg) {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Clearing first makes the same sentence twice in a row heard twice.
  region.textContent = '';
  requestAnimationFrame(() => { region.textContent = msg; });
}
