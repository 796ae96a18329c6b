// The authorization matrix (issue 18): generated from the compiled route table
// (`jiceng routes --json`) and the expectations written once in authz-table.mjs.
//   1. every route has a row, every row a route, and the route's access in the
//      code equals the row's `who`;
//   2. every route x anonymous and every role: 401 without a login where one is
//      needed; the route gate's 403 exactly for the roles not in `who`;
//   3. every route with a scoped object x the logins in and out of its scope:
//      a read answers 200 in scope and 404 out of it; a write out of scope is
//      refused (403/404) and changes nothing;
//   4. the roles table of docs/api.md lists what the state machine allows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, jiceng, ROOT } from './lib.mjs';
import { ROUTES, ALL_ROLES, PARAMS, SCOPE } from './authz-table.mjs';

let srv, table;
const T = {};
const LOGINS = { resident: 'resident1', grid_worker: 'worker1', community_staff: 'community1', dispatcher: 'dispatcher',
  dept_staff: 'dept_chengguan', supervisor: 'supervisor', admin: 'admin' };
const OBJ = {};
const G1 = '110101001001001';

before(async () => {
  const r = jiceng(['routes', '--json']);
  assert.equal(r.status, 0, r.stderr);
  table = JSON.parse(r.stdout);
  srv = await startServer();
  const names = new Set([...Object.values(LOGINS), ...Object.values(SCOPE).flatMap(s => [...s.in, ...s.out])]);
  for (const n of names) T[n] = await srv.login(n);
  const api = (m, p, body, who = 'admin') => srv.api(m, p, { token: T[who], body });
  // the objects: a case led by chengguan and co-handled by zhujian, a device, its alarm, a silence
  const c = await api('POST', '/api/v1/cases', { title: '违法搭建', body: '楼顶搭建彩钢房', category: '0103', area: G1 }, 'resident1');
  assert.equal(c.status, 201, c.text);
  OBJ.case = String(c.json.id);
  assert.equal((await api('POST', `/api/v1/cases/${OBJ.case}/register`, {}, 'dispatcher')).json.state, 'dispatched');
  OBJ['case-lead'] = OBJ.case;
  // a photo (a 1x1 PNG) any login could link
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d4944415478da63f8ffff3f0005fe02fe' + 'a7d6a4a10000000049454e44ae426082', 'hex');
  const ph = await srv.api('POST', '/api/v1/photos', { token: T.resident1, body: png, headers: { 'content-type': 'image/png' } });
  assert.equal(ph.status, 201, ph.text);
  OBJ.photo = ph.json.id;
  assert.equal((await api('POST', '/api/v1/devices', { id: 'authz-wl-1', type: 'water_level', grid: G1, lon: 116.39, lat: 39.91 })).status, 201);
  OBJ.device = 'authz-wl-1';
  await api('POST', '/api/v1/readings', { readings: [{ device: 'authz-wl-1', values: { level: 45 } }] });
  for (let i = 0; i < 50 && !OBJ.alarm; i++) {
    const a = (await api('GET', '/api/v1/alarms?device=authz-wl-1')).json.alarms[0];
    if (a) OBJ.alarm = String(a.id); else await new Promise(res => setTimeout(res, 100));
  }
  assert.ok(OBJ.alarm, 'an alarm');
  const s = await api('POST', '/api/v1/silences', { device: 'authz-wl-1', reason: '检修', until: new Date(Date.now() + 3600e3).toISOString() }, 'community1');
  assert.equal(s.status, 201, s.text);
  OBJ.silence = String(s.json.id);
});
after(async () => { await srv?.cleanup(); });

const key = (r) => `${r.method} ${r.pattern}`;
const whoOf = (access) => (typeof access === 'string' ? access : access.join(' '));
function pathOf(pattern, row, obj) {
  let first = true;
  return pattern.replace(/:(\w+)/g, (_, p) => {
    const v = first && obj !== undefined ? obj : row.as?.[p] ?? PARAMS[p] ?? 'x';
    first = false;
    return encodeURIComponent(v);
  });
}
async function call(method, path, token, body = {}) {
  const ctl = new AbortController();
  const res = await fetch(srv.url + path, {
    method, signal: ctl.signal,
    headers: { ...(token ? { authorization: 'Bearer ' + token } : {}), ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
    body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(body),
  });
  let text = '';
  if ((res.headers.get('content-type') || '').startsWith('text/event-stream')) ctl.abort();
  else text = await res.text();
  return { status: res.status, text };
}

test('every route has a row, every row a route, and the code grants what the row says', () => {
  const seen = new Set();
  const problems = [];
  for (const r of table.routes) {
    const k = key(r);
    seen.add(k);
    if (!ROUTES[k]) { problems.push(`${k}: no row in authz-table.mjs (who may call it?)`); continue; }
    if (whoOf(r.access) !== ROUTES[k].who) problems.push(`${k}: the code grants "${whoOf(r.access)}", the table "${ROUTES[k].who}"`);
  }
  for (const k of Object.keys(ROUTES)) if (!seen.has(k)) problems.push(`${k}: a row without a route`);
  assert.deepEqual(problems, []);
});

test('every route x every role: 401 without a login, the gate 403 exactly outside `who`', async () => {
  const problems = [];
  for (const r of table.routes) {
    const row = ROUTES[key(r)];
    if (!row) continue;
    const path = pathOf(r.pattern, row);
    const anon = await call(r.method, path);
    if (row.who === 'public' ? anon.status === 401 && r.pattern !== '/api/v1/readings' && !/sensor\/(metrics|stats)/.test(r.pattern) : anon.status !== 401)
      problems.push(`${key(r)} anonymous: ${anon.status}`);
    if (row.who === 'public') continue;
    for (const role of ALL_ROLES) {
      let token = T[LOGINS[role]];
      if (key(r) === 'DELETE /api/v1/session') token = await srv.login(LOGINS[role]); // a session of its own
      const res = await call(r.method, path, token);
      const gated = res.status === 403 && /may not use/.test(res.text);
      const allowed = row.who === 'user' || row.who.split(' ').includes(role);
      if (res.status === 401) problems.push(`${key(r)} as ${role}: 401 with a valid session`);
      else if (allowed && gated) problems.push(`${key(r)} as ${role}: refused by the gate, the table allows it`);
      else if (!allowed && !gated) problems.push(`${key(r)} as ${role}: ${res.status}, the gate should refuse it`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every scoped route x logins in and out of scope: 200 in, 404 out; writes out of scope refused', async () => {
  const problems = [];
  // (reading the contact in scope is audited: read_contact entries are expected)
  const auditLen = async () => (await srv.api('GET', `/api/v1/cases/${OBJ.case}/audit`, { token: T.admin })).json.entries
    .filter(e => e.action !== 'read_contact').length;
  const before = await auditLen();
  for (const r of table.routes) {
    const row = ROUTES[key(r)];
    if (!row?.scope) continue;
    const allowedRole = (login) => row.who === 'user' || row.who.split(' ').some(role => LOGINS[role] === login || login.startsWith(role === 'dept_staff' ? 'dept_' : '\0'))
      || row.who.split(' ').includes(roleOf(login));
    const path = pathOf(r.pattern, row, OBJ[row.scope]);
    for (const who of SCOPE[row.scope].out) {
      if (!allowedRole(who)) continue;
      const res = await call(r.method, path, T[who], row.body?.(OBJ));
      if (r.method === 'GET' ? res.status !== 404 : ![403, 404].includes(res.status))
        problems.push(`${key(r)} as ${who} (out of scope): ${res.status}`);
    }
    if (r.method !== 'GET') continue;
    for (const who of SCOPE[row.scope].in) {
      if (!allowedRole(who)) continue;
      const res = await call(r.method, path, T[who]);
      if (res.status !== 200) problems.push(`${key(r)} as ${who} (in scope): ${res.status}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.equal(await auditLen(), before, 'writes out of scope changed the case');
});

function roleOf(login) {
  if (login.startsWith('resident')) return 'resident';
  if (login.startsWith('worker')) return 'grid_worker';
  if (login.startsWith('community')) return 'community_staff';
  if (login.startsWith('dept_')) return 'dept_staff';
  return login;
}

test('the roles table of docs/api.md lists what the state machine allows', () => {
  const doc = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  const rows = Object.fromEntries([...doc.matchAll(/^\| `(\w+)` \| [^|]+\| (.+) \|$/gm)].filter(m => ALL_ROLES.includes(m[1])).map(m => [m[1], m[2]]));
  const problems = [];
  for (const [action, roles] of Object.entries(table.actions)) {
    if (['remind'].includes(action)) continue; // the platform's own
    for (const role of ALL_ROLES) {
      const line = rows[role] ?? '';
      const says = role === 'admin' && /the dispatcher's actions/.test(line)
        ? table.actions[action].includes('dispatcher') && !new RegExp(`except \`${action}\``).test(line)
        : new RegExp(`\\b${action}\\b`).test(line);
      if (says !== roles.includes(role)) problems.push(`${role} ${action}: the code ${roles.includes(role) ? 'allows' : 'refuses'} it, docs/api.md ${says ? 'lists' : 'omits'} it`);
    }
  }
  assert.deepEqual(problems, []);
});
