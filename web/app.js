// app.js -- boots the single-page app: the shell (header, navigation,
// language switch, user menu), the hash router and the page lifecycle.
import { getUser, onSessionChange, logout } from './js/api.js';
import { t, getLang, setLang, LANGS } from './js/i18n.js';
import { h, toast } from './js/ui.js';
import { routes, HOME, match, allowed } from './js/routes.js';
import { loadCatalog } from './js/catalog.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const nav2 = document.getElementById('nav2');
const userBox = document.getElementById('user-box');
let cleanup = null;
let renderSeq = 0;

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
    user ? h('span', { class: 'who', title: user.name }, user.display || user.name, (user.display || user.name) === t('role.' + user.role) ? null : h('small', null, ' · ' + t('role.' + user.role))) : null,
    user ? h('a', { href: '#/password', class: 'linkish' }, t('nav.password')) : null,
    user ? h('button', { type: 'button', id: 'logout', class: 'btn small ghost', onclick: doLogout }, t('nav.logout')) : null,
  ].filter(Boolean));
  nav.setAttribute('aria-label', t('app.nav'));
  document.getElementById('brand-name').textContent = t('app.name');
  document.getElementById('skip').textContent = t('app.skip');
}

async function doLogout() {
  await logout();
  toast(t('login.bye'));
  navigate('/login');
}

async function render() {
  const seq = ++renderSeq;
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
  main.replaceChildren(h('p', { class: 'muted', role: 'status' }, t('common.loading')));
  try {
    await loadCatalog();
    const mod = await m.route.load();
    if (seq !== renderSeq) return;
    const root = h('div', { class: 'page', dataset: { page: m.route.path.split('/')[1] } });
    main.replaceChildren(root);
    const ctx = { root, params: m.params, query, user, navigate, rerender: render, props: m.route.props || {} };
    const c = await mod.render(ctx);
    if (seq !== renderSeq) { if (typeof c === 'function') c(); return; }
    cleanup = typeof c === 'function' ? c : null;
    document.getElementById('page-title')?.focus({ preventScroll: true });
  } catch (e) {
    if (seq !== renderSeq) return;
    console.warn('page failed', e);
    main.replaceChildren(h('h1', { id: 'page-title' }, t('err.page_failed')), h('p', { class: 'alert error', role: 'alert' }, e.message || String(e)));
  }
}

onSessionChange((s) => { if (!s && !location.hash.startsWith('#/login')) navigate('/login'); });
window.addEventListener('hashchange', render);
render();
