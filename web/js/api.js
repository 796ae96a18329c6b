// api.js -- the JSON API client.  The browser's login is an HttpOnly cookie
// (jiceng_session, set by POST /api/v1/session with "cookie": true; scripts
// cannot read it).  This module keeps only the user and the CSRF token, in
// memory: every write sends X-CSRF-Token, and a page load asks
// GET /api/v1/session who is logged in (docs/api.md "Browser sessions").

let session = null; // {user, csrf}

const listeners = new Set();

export function getSession() { return session; }
export function getUser() { return session?.user || null; }

export function setSession(s) {
  session = s;
  for (const f of listeners) f(session);
}

export function onSessionChange(f) { listeners.add(f); return () => listeners.delete(f); }

// Headers a raw fetch() needs for a write made with the cookie.
export function csrfHeaders(method = 'POST') {
  return method === 'GET' || method === 'HEAD' || !session?.csrf ? {} : { 'x-csrf-token': session.csrf };
}

// Asks the server who is logged in on this browser (the cookie); sets the
// session (or none) and returns the user.
export async function restoreSession() {
  let r = null;
  try {
    const res = await fetch('/api/v1/session', { cache: 'no-store' });
    if (res.ok) r = await res.json();
  } catch { r = null; }
  const s = r?.user ? { user: r.user, csrf: r.csrf } : null;
  if ((s?.csrf || null) !== (session?.csrf || null) || (s && !session)) setSession(s);
  return s?.user || null;
}

export class ApiError extends Error {
  // detail: the server's {code, params} for the UI to word (reasons.js)
  constructor(status, code, message, detail) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail || null;
  }
}

// api(method, path, body?) -> parsed JSON; throws ApiError on 4xx/5xx.
export async function api(method, path, body, retried = false) {
  const headers = { ...csrfHeaders(method) };
  let payload;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const err = new ApiError(res.status, json?.error?.code || 'http', json?.error?.message || text, json?.error?.detail);
    // The CSRF token of an older login (another tab logged in again): fetch
    // the current one and try once more.
    if (res.status === 403 && !retried && /X-CSRF-Token/.test(err.message) && await restoreSession())
      return api(method, path, body, true);
    // A session the server no longer accepts: forget it (the router shows the login page).
    if (res.status === 401 && session && path !== '/api/v1/session') setSession(null);
    throw err;
  }
  return json;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b);

export async function login(name, password) {
  // The session token stays in the HttpOnly cookie; only the CSRF token is kept.
  const r = await api('POST', '/api/v1/session', { name, password, cookie: true });
  setSession({ user: r.user, csrf: r.csrf });
  return r.user;
}

export async function logout() {
  try { await api('DELETE', '/api/v1/session'); } catch { /* already gone */ }
  setSession(null);
}

// Fetches every case matching the filters, following next (limit 500 a page;
// a page may be short, even empty, while next goes on).
export async function allCases(filters = {}, max = 20000) {
  const out = [];
  let cursor = null;
  for (let pages = 0; pages < 1000; pages++) {
    const q = new URLSearchParams({ ...filters, limit: '500' });
    if (cursor) q.set('cursor', cursor);
    const r = await get('/api/v1/cases?' + q);
    out.push(...r.cases);
    if (!r.next || out.length >= max) break;
    cursor = r.next;
  }
  return out;
}
