// 61-admin.test.mjs -- administration over the API (docs/admin.md): change a
// user's role and scope, disable and enable, reset a password; the audit-log
// viewer's filters, keyset pages and scope; Open311 client keys over HTTP.
// Every refusal changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, filler } from './lib.mjs';

let srv;
const T = {};
before(async () => {
  srv = await startServer();
  for (const n of ['admin', 'dispatcher', 'supervisor', 'resident1']) T[n] = await srv.login(n);
});
after(async () => { await srv?.cleanup(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const users = async () => (await srv.api('GET', '/api/v1/users', { token: T.admin })).json.users;
const byName = async (n) => (await users()).find((u) => u.name === n);
const put = (id, body, token = T.admin) => srv.api('PUT', '/api/v1/users/' + id, { token, body });

test('users: role and scope, disable and enable, password reset; refusals change nothing', async () => {
  const add = await srv.api('POST', '/api/v1/users', { token: T.admin, body: { name: 'gw_test', role: 'grid_worker', area: '110101001001001', password: 'first-password-1', display: '测试网格员' } });
  assert.equal(add.status, 201, add.text);
  const id = add.json.id;
  const tok = await srv.login('gw_test', 'first-password-1');

  // refused: not admin, unknown user, bad values, nothing to change
  assert.equal((await put(id, { area: '110101001001002' }, T.dispatcher)).status, 403);
  assert.equal((await put(999999, { display: 'x' })).status, 404);
  for (const body of [{}, { role: 'king' }, { area: '999' }, { role: 'dept_staff' }, { disabled: 'yes' }, { phone: 'call me' }, { colour: 'red' }, { role: 'dispatcher', area: null }]) {
    const r = await put(id, body);
    assert.equal(r.status, 400, JSON.stringify(body) + ' ' + r.text);
  }
  let u = await byName('gw_test');
  assert.equal(u.area, '110101001001001');
  assert.equal(u.role, 'grid_worker');
  assert.equal(u.disabled, false);
  // the admin cannot lock themselves out
  const me = await byName('admin');
  assert.equal((await put(me.id, { disabled: true })).status, 409);
  assert.equal((await put(me.id, { role: 'dispatcher', area: '110101001' })).status, 409);

  // a new scope: saved, audited, and the user's sessions end
  let r = await put(id, { area: '110101001002001', display: '二社区网格员' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.area, '110101001002001');
  assert.equal(r.json.display, '二社区网格员');
  await sleep(2200); // a serving thread may honour a checked session for 2 s
  assert.equal((await srv.api('GET', '/api/v1/me', { token: tok })).status, 401, 'the old session ended');
  // department staff need a department; other roles lose theirs
  r = await put(id, { role: 'dept_staff', dept_id: 1 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.dept_id, 1);
  r = await put(id, { role: 'grid_worker', area: '110101001001001' });
  assert.equal(r.json.dept_id, null);

  // disabled: cannot log in, a live session stops; enabled again: can
  const tok2 = await srv.login('gw_test', 'first-password-1');
  r = await put(id, { disabled: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.disabled, true);
  assert.equal((await srv.api('POST', '/api/v1/session', { body: { name: 'gw_test', password: 'first-password-1' } })).status, 401);
  await sleep(2200);
  assert.equal((await srv.api('GET', '/api/v1/me', { token: tok2 })).status, 401);
  assert.equal((await byName('gw_test')).disabled, true);
  assert.equal((await put(id, { disabled: false })).status, 200);
  await srv.login('gw_test', 'first-password-1');

  // password reset by the admin
  assert.equal((await srv.api('POST', `/api/v1/users/${id}/password`, { token: T.admin, body: { password: 'short' } })).status, 400);
  assert.equal((await srv.api('POST', `/api/v1/users/${id}/password`, { token: T.dispatcher, body: { password: 'another-password-2' } })).status, 403);
  r = await srv.api('POST', `/api/v1/users/${id}/password`, { token: T.admin, body: { password: 'another-password-2' } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await srv.api('POST', '/api/v1/session', { body: { name: 'gw_test', password: 'first-password-1' } })).status, 401);
  await srv.login('gw_test', 'another-password-2');

  // every change is in the audit log, by the admin
  const log = (await srv.api('GET', '/api/v1/audit?actor=admin&limit=50', { token: T.admin })).json.entries;
  const acts = log.map((e) => e.action);
  assert.ok(acts.filter((a) => a === 'user_update').length >= 5, acts.join(','));
  assert.ok(acts.includes('user_passwd_reset'));
  assert.ok(log.every((e) => e.actor === 'admin'));
});

test('the audit log: filters, keyset pages, time range, scope', async () => {
  const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '审计测试 ' + filler(), category: '0104', area: '110101001002002' } })).json;
  await srv.api('POST', `/api/v1/cases/${k.id}/register`, { token: T.dispatcher });
  const byCase = (await srv.api('GET', '/api/v1/audit?case=' + k.no, { token: T.admin })).json;
  assert.deepEqual(byCase.entries.map((e) => e.action).reverse().slice(0, 2), ['report', 'register']);
  assert.ok(byCase.entries.every((e) => e.case_id === k.id && e.no === k.no));
  assert.equal(byCase.next_before, null);
  const reg = (await srv.api('GET', '/api/v1/audit?action=register&limit=500', { token: T.admin })).json.entries;
  assert.ok(reg.length >= 1 && reg.every((e) => e.action === 'register'));
  assert.ok(reg.some((e) => e.case_id === k.id));
  // keyset pages: newest first, no overlap, the same entries as one big page
  const all = (await srv.api('GET', '/api/v1/audit?limit=500', { token: T.admin })).json.entries;
  const seen = [];
  let before = null;
  for (let i = 0; i < 4; i++) {
    const p = (await srv.api('GET', '/api/v1/audit?limit=3' + (before ? '&before=' + before : ''), { token: T.admin })).json;
    seen.push(...p.entries.map((e) => e.seq));
    before = p.next_before;
  }
  assert.deepEqual(seen, all.slice(0, 12).map((e) => e.seq));
  for (let i = 1; i < all.length; i++) assert.ok(all[i].seq < all[i - 1].seq);
  // a time range: nothing in the future, everything of the last hour
  const future = new Date(Date.now() + 3600e3).toISOString();
  assert.equal((await srv.api('GET', '/api/v1/audit?from=' + future, { token: T.admin })).json.entries.length, 0);
  const hour = (await srv.api('GET', `/api/v1/audit?limit=500&from=${new Date(Date.now() - 3600e3).toISOString()}&to=${future}`, { token: T.admin })).json.entries;
  assert.ok(hour.some((e) => e.case_id === k.id));
  const past = (await srv.api('GET', `/api/v1/audit?limit=500&to=${new Date(Date.now() - 3600e3).toISOString()}`, { token: T.admin })).json.entries;
  assert.ok(past.every((e) => Date.parse(e.at) < Date.now() - 3600e3));
  // refused
  for (const q of ['limit=0', 'limit=501', 'before=x', 'from=yesterday', `from=${future}&to=${new Date().toISOString()}`, 'case=nonsense'])
    assert.equal((await srv.api('GET', '/api/v1/audit?' + q, { token: T.admin })).status, 400, q);
  assert.equal((await srv.api('GET', '/api/v1/audit', { token: T.dispatcher })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/audit', { token: T.resident1 })).status, 403);
  // a supervisor sees the entries of cases in the area only: no user changes
  const sup = (await srv.api('GET', '/api/v1/audit?limit=500', { token: T.supervisor })).json.entries;
  assert.ok(sup.length > 0);
  assert.ok(sup.every((e) => e.case_id && e.area.startsWith('110101001')), 'case entries of the area only');
  assert.ok(sup.some((e) => e.case_id === k.id));
});

test('Open311 client keys over HTTP: the key shown once works, disabled it is refused', async () => {
  assert.equal((await srv.api('POST', '/api/v1/open311/keys', { token: T.dispatcher, body: { name: 'app1' } })).status, 403);
  for (const body of [{}, { name: 'bad name' }, { name: 'x'.repeat(41) }, { name: 'ok', area: '999' }, { name: 'ok', other: 1 }])
    assert.equal((await srv.api('POST', '/api/v1/open311/keys', { token: T.admin, body })).status, 400, JSON.stringify(body));
  assert.equal((await srv.api('GET', '/api/v1/open311/keys', { token: T.admin })).json.keys.length, 0, 'nothing stored');
  const r = await srv.api('POST', '/api/v1/open311/keys', { token: T.admin, body: { name: 'hotline-app', area: '110101001001' } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.api_key, /^[0-9a-f]{64}$/);
  assert.equal(r.json.user, 'open311_hotline-app');
  assert.equal((await srv.api('POST', '/api/v1/open311/keys', { token: T.admin, body: { name: 'hotline-app' } })).status, 409);
  const list = (await srv.api('GET', '/api/v1/open311/keys', { token: T.admin })).json.keys;
  assert.deepEqual(list.map((k) => [k.name, k.active]), [['hotline-app', true]]);
  assert.ok(!JSON.stringify(list).includes(r.json.api_key), 'the list never shows a key');
  const report = () => srv.api('POST', '/open311/v2/requests.json', {
    body: new URLSearchParams({ api_key: r.json.api_key, service_code: '0104', description: '垃圾 ' + filler(), address_string: '东华门大街' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const ok = await report();
  assert.equal(ok.status, 201, ok.text);
  const off = await srv.api('POST', '/api/v1/open311/keys/hotline-app/disable', { token: T.admin });
  assert.equal(off.status, 200, off.text);
  assert.equal((await report()).status, 403);
  assert.equal((await srv.api('POST', '/api/v1/open311/keys/nobody/disable', { token: T.admin })).status, 404);
  const audit = (await srv.api('GET', '/api/v1/audit?action=open311_key_add', { token: T.admin })).json.entries;
  assert.equal(audit[0].actor, 'admin', 'audited as the administrator who did it');
});
