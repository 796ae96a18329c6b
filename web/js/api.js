// api.js -- the JSON API client. The session token lives in memory and in
// sessionStorage (so a reload keeps the login, closing the tab ends it).
const KEY = 'jiceng.session';

let session = null;
try { session = JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch { session = null; }

const listeners = new Set();

export function getSession() { return session; }
export function getUser() { return session?.user || null; }

export function setSession(s) {
  session = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
  for (const f of listeners) f(session);
}

export function onSessionChange(f) { listeners.add(f); return () => listeners.delete(f); }

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

// api(method, path, body?) -> parsed JSON; throws ApiError on 4xx/5xx.
export async function api(method, path, body) {
  const headers = {};
  if (session?.token) headers.authorization = 'Bearer ' + session.token;
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
    const err = new ApiError(res.status, json?.error?.code || 'http', json?.error?.message || text);
    // A token the server no longer accepts: forget it (the router shows the login page).
    if (res.status === 401 && session && path !== '/api/v1/session') setSession(null);
    throw err;
  }
  return json;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b);

export async function login(name, password) {
  const r = await api('POST', '/api/v1/session', { name, password });
  setSession({ token: r.token, expires_at: r.expires_at, user: r.user });
  return r.user;
}

export async function logout() {
  try { await api('DELETE', '/api/v1/session'); } catch { /* already gone */ }
  setSession(null);
}

// Fetches every case matching the filters, following next_before (limit 500 a page).
export async function allCases(filters = {}, max = 20000) {
  const out = [];
  let before = null;
  for (;;) {
    const q = new URLSearchParams({ ...filters, limit: '500' });
    if (before) q.set('before', before);
    const r = await get('/api/v1/cases?' + q);
    out.push(...r.cases);
    if (!r.next_before || r.cases.length === 0 || out.length >= max) break;
    before = r.next_before;
  }
  return out;
}
