// app.js -- boots the single-page app: the shell (header, navigation,
// language switch, user menu), the hash router and the page lifecycle.
import { getUser, onSessionChange, logout, restoreSession } from './js/api.js';
import { t, getLang, setLang, LANGS } from './js/i18n.js';
import { h, toast, syncServerClock } from './js/ui.js';
import { routes, HOME, match, allowed } from './js/routes.js';
import { loadCatalog } from './js/catalog.js';
import * as live from './js/live.js';
import * as notify from './js/notify.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const nav2 = document.getElementById('nav2');
const userBox = document.getElementById('user-box');
let cleanup = null;
let renderSeq = 0;
let current = null;   // {page, params, query, user, onLive} of the page on screen

export function navigate(path) {
  if (location.hash === '#' + path) render();
  else location.hash = '#' + path;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path, query: new URLSearchParams(qs || '') };
}

function renderShell(activePath) {
  const user = getUser();
  nav.replaceChildren();
  if (user) {
    const ul = h('ul', null);
    for (const r of routes) {
      if (!r.nav || !allowed(r, user)) continue;
      const current = activePath === r.path || (r.path === '/queue' && activePath.startsWith('/case/'));
      ul.append(h('li', null, h('a', { href: '#' + r.path, 'aria-current': current ? 'page' : null, dataset: { nav: r.path.slice(1) } }, t(r.nav))));
    }
    nav.append(ul);
  }
  // The second row: the work tools (whistles, designer, alarms, ...) of this role.
  nav2.replaceChildren();
  const tools = user ? routes.filter((r) => r.nav2 && allowed(r, user)) : [];
  nav2.hidden = !tools.length;
  if (tools.length) {
    nav2.append(h('ul', null, tools.map((r) => h('li', null, h('a', { href: '#' + r.path, 'aria-current': activePath === r.path ? 'page' : null, dataset: { nav2: r.path.slice(1) } }, t(r.nav2))))));
    nav2.setAttribute('aria-label', t('app.nav2'));
  }
  const langSel = h('select', { id: 'lang', 'aria-label': t('app.language') },
    LANGS.map(([code, label]) => h('option', { value: code, selected: code === getLang() }, label)));
  langSel.addEventListener('change', () => { setLang(langSel.value); render(); });
  userBox.replaceChildren(...[
    langSel,
    user ? live.indicator : null,
    user ? notify.link : null,
    user ? h('span', { class: 'who', title: user.name }, user.display || user.name, (user.display || user.name) === t('role.' + user.role) ? null : h('small', null, ' · ' + t('role.' + user.role))) : null,
    user ? h('a', { href: '#/password', class: 'linkish' }, t('nav.password')) : null,
    user ? h('button', { type: 'button', id: 'logout', class: 'btn small ghost', onclick: doLogout }, t('nav.logout')) : null,
  ].filter(Boolean));
  nav.setAttribute('aria-label', t('app.nav'));
  document.getElementById('brand-name').textContent = t('app.name');
  document.getElementById('skip').textContent = t('app.skip');
  live.refreshIndicator();
  notify.refreshLink();
}

// The skip link focuses the main region (not a hash change: the router owns
// the hash); no inline handler, which the Content-Security-Policy forbids.
document.getElementById('skip').addEventListener('click', (e) => { e.preventDefault(); document.getElementById('main').focus(); });

async function doLogout() {
  live.close(); // before the session goes, so the stream does not retry with it
  await logout();
  toast(t('login.bye'));
  navigate('/login');
}

// soft: a live refresh of the same page -- no loading line, keep the scroll
// position and the focus where it is.
async function render({ soft = false } = {}) {
  const seq = ++renderSeq;
  const scrollY = window.scrollY;
  renderedAt = Date.now();
  current = null;
  clearStale();
  if (cleanup) { try { cleanup(); } catch (e) { console.warn(e); } cleanup = null; }
  const { path, query } = parseHash();
  const user = getUser();
  if (path === '/' || path === '') return navigate(user ? HOME[user.role] || '/track' : '/login');
  const m = match(path);
  renderShell(path);
  if (!m) { main.replaceChildren(h('h1', { id: 'page-title', tabindex: '-1' }, t('err.page_not_found'))); return; }
  if (!m.route.public && !user) return navigate('/login?next=' + encodeURIComponent(path + (query.toString() ? '?' + query : '')));
  if (m.route.public && user && path === '/login') return navigate(HOME[user.role] || '/track');
  if (!allowed(m.route, user)) {
    main.replaceChildren(
      h('h1', { id: 'page-title', tabindex: '-1' }, t('err.no_access')),
      h('p', { class: 'alert error', role: 'alert', dataset: { forbidden: '1' } }, t('err.no_access_text')),
      h('p', null, h('a', { href: '#' + (HOME[user.role] || '/track') }, t('common.back_home'))));
    return;
  }
  if (!soft) main.replaceChildren(h('p', { class: 'muted', role: 'status' }, t('common.loading')));
  try {
    await loadCatalog();
    const mod = await m.route.load();
    if (seq !== renderSeq) return;
    const page = m.route.path.split('/')[1];
    const root = h('div', { class: 'page', dataset: { page } });
    if (soft) root.style.minHeight = main.offsetHeight + 'px'; // no jump while it fills
    main.replaceChildren(root);
    const cur = { page, params: m.params, query, user, onLive: null };
    const ctx = { root, params: m.params, query, user, navigate, rerender: () => render(), props: m.route.props || {},
      // A page that refreshes itself in place on live events: ctx.onLive(async (events) => ...).
      onLive: (fn) => { cur.onLive = fn; } };
    current = cur;
    const c = await mod.render(ctx);
    if (seq !== renderSeq) { if (typeof c === 'function') c(); return; }
    cleanup = typeof c === 'function' ? c : null;
    root.style.minHeight = '';
    if (soft) window.scrollTo(0, scrollY);
    else document.getElementById('page-title')?.focus({ preventScroll: true });
  } catch (e) {
    if (seq !== renderSeq) return;
    console.warn('page failed', e);
    main.replaceChildren(h('h1', { id: 'page-title' }, t('err.page_failed')), h('p', { class: 'alert error', role: 'alert' }, e.message || String(e)));
  }
}

// ---- Live updates: which events concern which page ------------------------
const isCase = (ev) => ev.type === 'case';
const LIVE = {
  queue: isCase, inbox: isCase, tasks: isCase, mine: isCase, whistles: isCase,
  case: (ev, cur) => ev.type === 'case' && (String(ev.case_id) === cur.params.id || ev.no === cur.params.id),
  track: (ev, cur) => ev.type === 'case' && !!cur.query.get('no') && (ev.no === cur.query.get('no') || String(ev.case_id) === cur.query.get('no')),
  dashboard: () => true,
  alarms: (ev) => ev.type === 'alarm',
  warnings: (ev) => ev.type === 'warning',
  messages: (ev) => ev.type === 'notify',
};
// The dashboard is heavy (charts, map): at most every 5 s; the others every second.
const GAP = { dashboard: 5000 };
let pending = [];
let liveTimer = null;
let lastRun = 0;

// An action of this user that has just re-rendered its page (another tab's still counts).
let renderedAt = 0;
const mine = (ev, user) => ev.type === 'case' && ev.actor != null && Date.now() - renderedAt < 2000 &&
  (String(ev.actor) === String(user.id) || ev.actor === user.name);

live.on((ev) => {
  const cur = current;
  if (!cur || !LIVE[cur.page]) return;
  if (ev.type !== 'resync' && (!LIVE[cur.page](ev, cur) || mine(ev, cur.user))) return;
  pending.push(ev);
  if (liveTimer) return;
  const gap = GAP[cur.page] || 1000;
  liveTimer = setTimeout(runLive, Math.max(50, lastRun + gap - Date.now()));
});

// Runs for the page shown when the timer fires: the user may have moved on
// since the first event was queued, so the queue is filtered again for it.
async function runLive() {
  liveTimer = null;
  const cur = current;
  const events = pending.filter((ev) => cur && LIVE[cur.page] && (ev.type === 'resync' || LIVE[cur.page](ev, cur)));
  pending = [];
  if (!events.length) return;
  lastRun = Date.now();
  if (cur.onLive) {
    try { await cur.onLive(events); } catch (e) { console.warn('live refresh', e); }
  } else if (busy()) showStale();
  else render({ soft: true });
}

// The user is in the middle of something on this page: a form opened, text typed.
function busy() {
  const a = document.activeElement;
  const ctl = 'input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit]), textarea, select';
  if (a && main.contains(a) && a.matches(ctl) && !a.closest('[role=search]')) return true;
  if (main.querySelector('[aria-expanded="true"], dialog[open]')) return true;
  for (const el of main.querySelectorAll('input, textarea, select')) {
    if (el.closest('[role=search]')) continue;
    if (el.tagName === 'SELECT') { if ([...el.options].some((o) => o.selected !== o.defaultSelected)) return true; }
    else if (el.type === 'checkbox' || el.type === 'radio') { if (el.checked !== el.defaultChecked) return true; }
    else if (el.type !== 'hidden' && el.type !== 'file' && el.value !== el.defaultValue) return true;
  }
  return false;
}

let staleEl = null;
function showStale() {
  if (staleEl?.isConnected) return;
  staleEl = h('div', { class: 'alert info live-stale', role: 'status', id: 'live-stale' }, t('live.stale'), ' ',
    h('button', { type: 'button', class: 'btn small', onclick: () => render({ soft: true }) }, t('live.reload')));
  main.prepend(staleEl);
}
function clearStale() { staleEl?.remove(); staleEl = null; }

// Who is logged in on this browser (the HttpOnly session cookie), then the first page.
Promise.all([restoreSession(), syncServerClock()]).finally(() => {
  setInterval(syncServerClock, 15000); // the server's clock may be simulated, sped up or set back
  live.start();
  notify.start();
  onSessionChange((s) => { if (!s && !location.hash.startsWith('#/login')) navigate('/login'); });
  window.addEventListener('hashchange', render);
  render();
});
