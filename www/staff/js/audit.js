// audit.js - the audit log, newest first, a page at a time: who changed
// what and when, and each changed value before and after.
import { audit } from './staff-api.js';
import { byId, h, replace } from '/js/dom.js';
import { dateTime } from '/js/format.js';
import { expired, startPage } from './session.js';
import { errorText, say } from './ui.js';

const PAGE = 50;
let next = null;

function show(v) {
  if (v === undefined) return '—';
  if (v === null) return 'none';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// The fields whose value differs between before and after (all of them for
// a creation, where before is null).
function changes(before, after) {
  const b = before && typeof before === 'object' ? before : {};
  const a = after && typeof after === 'object' ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => ({ key: k, before: b[k], after: a[k] }));
}

function diffTable(e) {
  const rows = changes(e.before, e.after);
  if (rows.length === 0) return null;
  return h('div', { class: 'table-scroll' }, h('table', { class: 'items-table diff' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
    h('tbody', {}, rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.key),
      h('td', { class: 'before wrap-anywhere' }, show(r.before)), h('td', { class: 'after wrap-anywhere' }, show(r.after)))))));
}

function entry(e) {
  const when = e.at;
  const who = e.username;
  const what = e.entity ?? '';
  const id = e.entity_id;
  return h('li', { class: 'staff-item audit-entry', 'data-audit-id': e.id },
    h('p', { class: 'item-head' },
      h('strong', { class: 'audit-action' }, String(e.action ?? 'change')),
      h('span', { class: 'audit-target' }, `${what}${id !== undefined && id !== null ? ` #${id}` : ''}`),
      h('span', { class: 'muted' }, 'by ', h('span', { class: 'audit-who' }, String(who)), ' · ',
        h('time', { datetime: when }, dateTime(when)))),
    diffTable(e));
}

function showError(err) {
  const box = byId('audit-error');
  box.hidden = !err;
  if (err) {
    replace(box, `Could not load the audit log: ${errorText(err)}`);
    replace(byId('audit-status'));
  }
}

async function load(append) {
  const more = byId('audit-more');
  more.disabled = true;
  try {
    const data = await audit({ limit: PAGE, after: append ? next : undefined });
    showError(null);
    next = data.next ?? null;
    const list = data.entries ?? [];
    const rows = list.map(entry);
    if (append) byId('audit-list').append(...rows);
    else replace(byId('audit-list'), rows);
    const n = byId('audit-list').children.length;
    say(byId('audit-status'), n ? `${n} entries shown${next ? ', older ones below' : ''}.` : 'No staff changes yet.');
    more.hidden = !next;
  } catch (err) {
    if (!expired(err)) showError(err);
  } finally {
    more.disabled = false;
  }
}

startPage();
byId('audit-more').addEventListener('click', () => load(true));
load(false);
