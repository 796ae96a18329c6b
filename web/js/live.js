// live.js -- live updates: one EventSource on GET /api/v1/events (docs/api.md,
// "Live updates") while someone is logged in. It keeps the header's live
// indicator (实时: green when connected, grey while reconnecting), shows toasts
// for new cases (dispatchers), sensor alarms and early warnings, and hands the
// events of interest to the current page (see app.js: a page may take them
// itself with ctx.onLive(fn), otherwise the shell refreshes the page).
import { getSession, onSessionChange } from './api.js';
import { t } from './i18n.js';
import { h, toast } from './ui.js';
import { categoryName, areaName } from './catalog.js';

let es = null;          // the EventSource
let key = null;         // the login it was opened for (its CSRF token)
let retryTimer = null;
let retryMs = 2000;
let hadError = false;
let state = 'off';      // off | connecting | on
const handlers = new Set();

// The indicator in the header; one element, re-inserted by every renderShell.
const dot = h('span', { class: 'live-dot', 'aria-hidden': 'true' });
const label = h('span', { class: 'live-text' });
export const indicator = h('span', { id: 'live', class: 'live', role: 'status', dataset: { live: 'off' } }, dot, label);

function setState(s) {
  state = s;
  indicator.dataset.live = s;
  indicator.className = 'live ' + s;
  label.textContent = t('live.label');
  indicator.title = t('live.' + s);
  indicator.setAttribute('aria-label', t('live.label') + ' · ' + t('live.' + s));
  indicator.hidden = s === 'off';
}
export function refreshIndicator() { setState(state); }
export const liveState = () => state;

// on(fn): fn(ev) for every event ({type: 'case'|'alarm'|'warning'|'notify'|'resync', ...data}).
export function on(fn) { handlers.add(fn); return () => handlers.delete(fn); }

function emit(ev) {
  for (const f of handlers) { try { f(ev); } catch (e) { console.warn('live handler', e); } }
}

const role = () => getSession()?.user?.role;
const ALARM_ROLES = ['dispatcher', 'admin', 'supervisor', 'community_staff'];

function notify(ev) {
  if (ev.type === 'case' && ev.action === 'report' && ['dispatcher', 'admin'].includes(role()))
    toast(t('live.new_case', { no: ev.no || '#' + ev.case_id }));
  else if (ev.type === 'alarm' && ALARM_ROLES.includes(role()))
    toast(t('live.new_alarm', { what: [ev.device, ev.kind].filter(Boolean).join(' · ') }), ev.severity === 'critical' || ev.severity === 'high' ? 'error' : 'ok');
  else if (ev.type === 'warning' && ALARM_ROLES.includes(role()))
    toast(t('live.new_warning', { what: [ev.category ? categoryName(ev.category) : null, ev.area ? areaName(ev.area) : null].filter(Boolean).join(' · ') }));
}

// The stream is authenticated by the session cookie (no token in the URL).
function open(k) {
  close();
  key = k;
  setState('connecting');
  try { es = new EventSource('/api/v1/events'); } catch (e) { console.warn('live', e); retry(); return; }
  es.onopen = () => {
    setState('on');
    retryMs = 2000;
    // Whatever happened while disconnected: let the page catch up.
    if (hadError) { hadError = false; emit({ type: 'resync' }); }
  };
  es.onerror = () => {
    hadError = true;
    if (!es) return;
    if (es.readyState === EventSource.CLOSED) retry(); // e.g. 401: the browser gives up; we try again later
    else setState('connecting');                       // the browser reconnects by itself
  };
  for (const type of ['case', 'alarm', 'warning', 'notify']) {
    es.addEventListener(type, (m) => {
      let data;
      try { data = JSON.parse(m.data); } catch { return; }
      const ev = { type, ...data };
      notify(ev);
      emit(ev);
    });
  }
}

function retry() {
  const k = key;
  if (es) { es.close(); es = null; }
  setState('connecting');
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => { if (k && getSession()?.csrf === k) open(k); }, retryMs);
  retryMs = Math.min(retryMs * 2, 60000);
}

export function close() {
  clearTimeout(retryTimer);
  if (es) { es.close(); es = null; }
  key = null;
  hadError = false;
  setState('off');
}

// Follows the session: open after login, close on logout, reopen on a new login.
export function start() {
  const sync = (s) => {
    if (!s?.csrf) close();
    else if (s.csrf !== key) open(s.csrf);
  };
  onSessionChange(sync);
  sync(getSession());
  window.addEventListener('pagehide', () => { if (es) es.close(); });
}
