// notify.js -- the message centre's presence in the shell: the 消息 link in
// the header with the unread count (GET /api/v1/notifications/count, again on
// every "notify" event of the live stream), a toast for each new message, and
// read marks for a case's messages when its page is opened (POST
// /api/v1/notifications/read {case_id}). The page itself is pages/messages.js.
import { get, post, getSession, onSessionChange } from './api.js';
import { t } from './i18n.js';
import { h, toast } from './ui.js';
import * as live from './live.js';

let unread = 0;
const count = h('span', { class: 'msg-count', id: 'msg-count', hidden: true });
const label = h('span', { class: 'msg-label' });
// One element, re-inserted into the header by every renderShell.
export const link = h('a', { href: '#/messages', id: 'msg-link', class: 'msg-link', dataset: { nav: 'messages' } }, label, count);
const listeners = new Set();

export function refreshLink() {
  label.textContent = t('nav.messages');
  count.textContent = unread >= 1000 ? '999+' : String(unread);
  count.hidden = unread === 0;
  link.dataset.unread = String(unread);
  link.setAttribute('aria-label', unread ? t('msg.link_unread', { n: count.textContent }) : t('nav.messages'));
  link.setAttribute('aria-current', location.hash.startsWith('#/messages') ? 'page' : 'false');
}

export const unreadCount = () => unread;
// onChange(fn): fn(unread) whenever the count changes (the messages page).
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function setUnread(n) {
  const changed = n !== unread;
  unread = n;
  refreshLink();
  if (changed) for (const f of listeners) f(n);
}

let timer = null;
export function refresh() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (!getSession()) return;
    try { setUnread((await get('/api/v1/notifications/count')).unread); } catch { /* next event retries */ }
  }, 200);
}

// The messages of the case whose page is open are read by opening it.
async function markCaseOpened() {
  const m = /^#\/case\/([^/?]+)/.exec(location.hash);
  if (!m || !getSession() || unread === 0) return;
  try { setUnread((await post('/api/v1/notifications/read', { case_id: decodeURIComponent(m[1]) })).unread); } catch { /* not a case of this user */ }
}

export function start() {
  onSessionChange((s) => { if (s) refresh(); else setUnread(0); });
  if (getSession()) refresh();
  live.on((ev) => {
    if (ev.type === 'resync') refresh();
    if (ev.type !== 'notify') return;
    refresh();
    // a new report already has its own toast (live.js)
    if (ev.kind !== 'new_report') toast(t('msg.toast', { what: t('msg.kind.' + ev.kind) }));
  });
  window.addEventListener('hashchange', () => { refreshLink(); markCaseOpened(); });
  onChange(() => markCaseOpened());
}
