// ui.js -- small DOM helpers. Text always goes in as text nodes (no innerHTML
// with data), so case titles and notes cannot inject markup.
import { t, getLang } from './i18n.js';
import { detailText } from './reasons.js';

// h('div', {class: 'x', onclick: f}, child, 'text', [more]) -> Element
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
export const nextId = (p = 'f') => `${p}-${++uid}`;

// A labelled form field: field(t('x'), h('input', {...})) -> .field with <label for>.
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const hintEl = hint ? h('small', { class: 'hint', id: control.id + '-hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, label)));
}

// Status line for the whole app (aria-live), e.g. after an action.
export function toast(msg, kind = 'ok') {
  const box = document.getElementById('toast');
  if (!box) return;
  box.textContent = msg;
  box.className = 'toast show ' + kind;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.className = 'toast'; }, 4000);
}

// An error as a sentence in the reader's language: the server's detail code
// worded (reasons.js), else the generic sentence for its kind, with the
// server's own message only when it is written in the reader's language
// (English messages are not shown in Chinese).
export function errorText(e) {
  if (!e) return '';
  const d = detailText(e.detail);
  if (d) return d;
  const base = t('err.' + (e.code || 'http'));
  const msg = e.message && e.message !== e.code ? e.message : '';
  if (!msg) return base;
  if (getLang() === 'en' || !/[A-Za-z]{4,}/.test(msg)) return `${msg}${t('err.then')}${base}`;
  return base;
}

export function errorBox(e) {
  return h('div', { class: 'alert error', role: 'alert' }, errorText(e));
}

const fmtCache = {};
function fmt(opts) {
  const k = getLang() + JSON.stringify(opts);
  return (fmtCache[k] ||= new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, ...opts }));
}
// Shows a UTC ISO time in Asia/Shanghai.
export function fmtTime(iso) {
  if (!iso) return '—';
  return fmt({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}
// YYYY-MM-DD of an ISO time in Asia/Shanghai.
export function shanghaiDay(iso) {
  const d = new Date(new Date(iso).getTime() + 8 * 3600e3);
  return d.toISOString().slice(0, 10);
}

// The server's clock (GET /api/v1/clock, synced by app.js): deadlines are
// the server's, and during a replay its clock is simulated, so every
// countdown and "is it overdue" counts on it, never on this device's clock.
let clk = { base: null, at: 0, speed: 1, real: null };
// c: GET /api/v1/clock. A replay catching up with real time (until_real)
// never passes the server's real time.
export function setServerClock(c) {
  clk = { base: c.now_ms, at: Date.now(), speed: c.speed > 0 ? c.speed : 1, real: c.until_real ? c.real_ms : null };
}
export function serverNow() {
  if (clk.base == null) return Date.now();
  const dt = Date.now() - clk.at, v = clk.base + dt * clk.speed;
  return clk.real == null ? v : Math.min(v, clk.real + dt);
}
// Asks the server for its time; keeps the last one on failure.
export async function syncServerClock() {
  try {
    const r = await fetch('/api/v1/clock', { cache: 'no-store' });
    if (r.ok) setServerClock(await r.json());
  } catch { /* keep the last */ }
}

// Remaining time until a deadline: {text, overdue, soon}.
export function countdown(iso, now = serverNow()) {
  if (!iso) return { text: t('deadline.none'), overdue: false, soon: false };
  let ms = new Date(iso).getTime() - now;
  const overdue = ms < 0;
  ms = Math.abs(ms);
  const d = Math.floor(ms / 86400e3), hh = Math.floor((ms % 86400e3) / 3600e3), mm = Math.floor((ms % 3600e3) / 60e3);
  const span = d > 0 ? t('time.dh', { d, h: hh }) : hh > 0 ? t('time.hm', { h: hh, m: mm }) : t('time.m', { m: mm });
  return { text: overdue ? t('deadline.overdue', { span }) : t('deadline.left', { span }), overdue, soon: !overdue && ms < 2 * 3600e3 };
}

export function loading() { return h('p', { class: 'muted', role: 'status' }, t('common.loading')); }

export function stateBadge(state) {
  return h('span', { class: 'badge st-' + state, dataset: { state } }, t('state.' + state));
}

// Sets the page heading and document title.
export function pageTitle(text) {
  document.title = `${text} · ${t('app.name')}`;
  return h('h1', { id: 'page-title', tabindex: '-1' }, text);
}
