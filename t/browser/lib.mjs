// lib.mjs - what the browser tests share: TAP output, headless Chromium
// through playwright-core, screenshots of failures under t/out/, SQL on the
// test database through psql, the product cache, the stack script, and
// waiting for a condition with a deadline.
//
// Environment (set by scripts/test.sh, or by hand for an own stack):
//   BAKERY_URL         base URL of the stack, e.g. http://127.0.0.1:18080
//   DATABASE_URL       its PostgreSQL
//   BAKERY_REDIS_PORT  its Redis (to drop the cached product listing)
//   BAKERY_CHROMIUM    the browser (default /usr/bin/chromium)
//   BAKERY_TEST_TIMEOUT_S  whole-file deadline (default 240)
//   BAKERY_STACK_SH    the stack script (default scripts/stack.sh)
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '..', '..');
export const OUT = join(REPO, 't', 'out');

export const BASE = (process.env.BAKERY_URL ?? '').replace(/\/+$/, '');
// A run id keeps this run's test data apart from earlier runs'.
export const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// ------------------------------------------------------------------ TAP --
let count = 0;
let failed = 0;
let bailed = false;

function diag(text) {
  for (const line of String(text).split('\n')) process.stdout.write(`# ${line}\n`);
}
export { diag };

function bail(reason) {
  bailed = true;
  process.stdout.write(`Bail out! ${String(reason).split('\n')[0]}\n`);
  process.exitCode = 255;
}

function report(ok, name, error) {
  count += 1;
  if (!ok) failed += 1;
  process.stdout.write(`${ok ? 'ok' : 'not ok'} ${count} - ${name.replace(/#/g, '\\#')}\n`);
  if (error) diag(error.stack ?? error.message ?? String(error));
}

// A failed check: its message says what was expected and what was seen.
export class CheckFailed extends Error {}

export function check(cond, message) {
  if (!cond) throw new CheckFailed(message);
}

export function same(got, want, what) {
  if (got !== want) throw new CheckFailed(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// Polls fn() until it returns something truthy; fails after timeoutMs.
export async function until(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new CheckFailed(`timed out after ${timeoutMs} ms waiting for ${what} (last seen: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Waits until the locator's text matches re; returns the text.
export async function textMatches(locator, re, timeoutMs, what) {
  let seen = '(no element)';
  try {
    return await until(async () => {
      const text = await locator.textContent({ timeout: 1000 });
      seen = JSON.stringify(text);
      return re.test(text ?? '') ? text : null;
    }, timeoutMs, what ?? `text matching ${re}`);
  } catch (err) {
    throw new CheckFailed(`timed out after ${timeoutMs} ms waiting for ${what ?? 'text'} to match ${re}; last text: ${seen}`);
  }
}

// --------------------------------------------------------------- browser --
let browser = null;

export async function launch() {
  browser = await chromium.launch({
    executablePath: process.env.BAKERY_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: 60000,
  });
  return browser;
}

// A fresh context (own localStorage) with a page that records script
// errors, CSP violations and dialogs (an alert() would be injected script).
export async function freshPage({ width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: BASE });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) page.problems.push(`CSP: ${msg.text()}`);
  });
  page.on('dialog', async (d) => {
    page.problems.push(`unexpected ${d.type()} dialog: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  return page;
}

// Runs one test: fn(page) in a fresh page unless one is given; a throw or a
// recorded page problem fails it, with a screenshot in t/out/.
export async function test(name, fn, { page: given, width, height } = {}) {
  if (bailed) return;
  let page = given;
  try {
    page ??= await freshPage({ width, height });
    await fn(page);
    check(page.problems.length === 0, page.problems.join('\n'));
    report(true, name);
  } catch (err) {
    report(false, name, err);
    if (page) await screenshot(page, `${name}`).catch((e) => diag(`no screenshot: ${e.message}`));
  } finally {
    if (page) page.problems = [];
    if (page && !given) await page.context().close().catch(() => {});
  }
}

const script = basename(process.argv[1] ?? 'browser', '.mjs');

export async function screenshot(page, name) {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${script}-${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80)}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: 10000 });
  diag(`screenshot: ${file}`);
  return file;
}

// Runs main() as a TAP test file: checks the environment, launches the
// browser, enforces a deadline, always closes the browser and cleans up.
// A missing environment bails out of the whole run (like BakeryTest.pm);
// anything else that goes wrong fails this file only.
export async function run(main, cleanup = async () => {}) {
  if (!BASE || !process.env.DATABASE_URL) {
    bail('BAKERY_URL and DATABASE_URL must be set: run the tests with make test');
    return;
  }
  const limit = Number(process.env.BAKERY_TEST_TIMEOUT_S ?? 240) * 1000;
  const watchdog = setTimeout(() => {
    report(false, `${script} finishes within ${limit / 1000} s`);
    process.stdout.write(`1..${count}\n`);
    Promise.resolve().then(cleanup).catch(() => {}).finally(() => browser?.close().catch(() => {}))
      .finally(() => process.exit(1));
  }, limit);
  try {
    await launch();
    await main();
  } catch (err) {
    report(false, `${script} runs to the end`, err);
  } finally {
    try {
      await cleanup();
    } catch (err) {
      diag(`cleanup: ${err.message}`);
    }
    await browser?.close().catch(() => {});
    clearTimeout(watchdog);
  }
  process.stdout.write(`1..${count}\n`);
  if (failed) diag(`${failed} of ${count} browser tests failed`);
  process.exitCode = failed ? 1 : 0;
}

// ------------------------------------------------------------ the stack --
// sql(query, {name: value}) on DATABASE_URL; the query refers to values as
// :'name' (psql quotes them), never spliced in. Returns rows of strings.
export function sql(query, vars = {}) {
  const args = [process.env.DATABASE_URL, '-X', '-qAt', '-F', '\t', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  const r = spawnSync('psql', args, { input: query, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr || r.error}\n${query}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

function redisDel(key) {
  const port = process.env.BAKERY_REDIS_PORT;
  if (!port) throw new Error('BAKERY_REDIS_PORT is not set');
  const r = spawnSync('redis-cli', ['-p', port, 'DEL', key], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) throw new Error(`redis-cli failed: ${r.stderr || r.error}`);
}

// Drops the cached product listing after products were changed by SQL.
export function invalidateProducts() {
  redisDel('bakery:products:v1');
}

// Drops what is kept of an order after it was changed by SQL, as every
// writer of orders does after its commit.
export function invalidateOrder(id) {
  redisDel(`bakery:order:v1:${id}`);
}

// Adds a product for this run; returns its id.
export function addProduct({ name, description = 'Made for the browser tests, not for eating.', category, price_cents, stock }) {
  const [[id]] = sql(
    `INSERT INTO products (name, description, category, price_cents, stock)
     VALUES (:'name', :'description', :'category', :'price'::integer, :'stock'::integer) RETURNING id;`,
    { name, description, category, price: price_cents, stock },
  );
  return Number(id);
}

// Takes this run's products off sale again (orders keep referring to them).
export function retireProducts(ids) {
  if (ids.length === 0) return;
  sql(`UPDATE products SET active = false WHERE id = ANY (string_to_array(:'ids', ',')::bigint[]);`, { ids: ids.join(',') });
  invalidateProducts();
}

// scripts/stack.sh ARGS... with this environment; returns {status, output}.
export function stack(...args) {
  const script = process.env.BAKERY_STACK_SH || join(REPO, 'scripts', 'stack.sh');
  const r = spawnSync(script, args, { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

// ---------------------------------------------------------- page checks --
// Text on the page with a contrast under 4.5:1 against its background
// (elements over gradients are skipped): ["ratio TAG.class: text", ...].
export function lowContrast(page) {
  return page.evaluate(() => {
    const rgb = (s) => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        const img = getComputedStyle(e).backgroundImage;
        if (img !== 'none' && !e.classList.contains('has-problem')) return null; // gradients: skip
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad = [];
    for (const el of document.querySelectorAll('body *')) {
      if (!el.getClientRects().length || el.closest('.sr-only, [aria-hidden="true"]')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const bg = background(el);
      if (!bg) continue;
      const fg = rgb(getComputedStyle(el).color).slice(0, 3);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < 4.5) bad.push(`${ratio.toFixed(2)} ${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 30)}`);
    }
    return bad;
  });
}

// Controls (buttons, inputs, links, selects) that stick out past the right
// edge of the viewport, and whether the page scrolls sideways at all.
export function sidewaysProblems(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const bad = [];
    if (document.documentElement.scrollWidth > width) bad.push(`page is ${document.documentElement.scrollWidth} px wide in ${width} px`);
    for (const e of document.querySelectorAll('button, input, a, select, textarea, table')) {
      if (!e.getClientRects().length || e.closest('.sr-only, .table-scroll')) continue;
      if (e.getBoundingClientRect().right > width + 1) bad.push(e.outerHTML.slice(0, 80));
    }
    return bad;
  });
}

// Visible controls without an accessible name (a label, aria-label or text).
export function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('button, input, a, select, textarea')]
    .filter((e) => e.getClientRects().length && e.type !== 'hidden'
      && !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim()))
    .map((e) => e.outerHTML.slice(0, 80)));
}

// ------------------------------------------------------------- staff --
// Creates (or re-creates) a staff account with bakery-api create-staff, the
// password given through BAKERY_STAFF_PASSWORD (stdin is not a terminal).
export function createStaff(name, password) {
  const bin = join(process.env.BAKERY_BIN || join(REPO, 'build-test'), 'bakery-api');
  const r = spawnSync(bin, ['create-staff', name], {
    input: '', encoding: 'utf8', timeout: 30000, env: { ...process.env, BAKERY_STAFF_PASSWORD: password },
  });
  if (r.status !== 0) throw new Error(`bakery-api create-staff ${name} failed (${r.status}): ${r.stderr || r.error}`);
}

// Logs in through the staff login page; resolves once the dashboard is open.
export async function staffLogin(page, name, password, { from = '/staff/' } = {}) {
  await page.goto(from);
  await page.waitForURL(/\/staff\/(\?next=.*)?$/);
  await page.getByLabel('Username', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

// Places an order through the API, as a customer's browser would;
// resolves to {order_id, token, ...}.
export async function apiPlaceOrder(items, email, name = 'Browser Test') {
  const res = await fetch(`${BASE}/api/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ customer_name: name, customer_email: email, items }),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`POST /api/orders: ${res.status} ${JSON.stringify(body)}`);
  return body;
}
