// Accounts and sessions: login, wrong password, forged tokens, logout, password change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.cleanup(); });

test('login returns a token that authenticates; a wrong password is 401', async () => {
  const ok = await srv.api('POST', '/api/v1/session', { body: { name: 'dispatcher', password: 'jiceng-demo' } });
  assert.equal(ok.status, 200);
  assert.match(ok.json.token, /^[0-9a-f]{64}$/);
  assert.equal(ok.json.user.role, 'dispatcher');
  const me = await srv.api('GET', '/api/v1/me', { token: ok.json.token });
  assert.equal(me.status, 200);
  assert.equal(me.json.name, 'dispatcher');
  const bad = await srv.api('POST', '/api/v1/session', { body: { name: 'dispatcher', password: 'wrong-password' } });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.error.code, 'unauthenticated');
  const nobody = await srv.api('POST', '/api/v1/session', { body: { name: 'nobody', password: 'jiceng-demo' } });
  assert.equal(nobody.status, 401);
});

test('missing, malformed and forged tokens are refused', async () => {
  assert.equal((await srv.api('GET', '/api/v1/me')).status, 401);
  assert.equal((await srv.api('GET', '/api/v1/me', { token: 'abc' })).status, 401);
  assert.equal((await srv.api('GET', '/api/v1/me', { token: 'f'.repeat(64) })).status, 401);
  assert.equal((await srv.api('GET', '/api/v1/me', { headers: { authorization: 'Basic eDp5' } })).status, 401);
  assert.equal((await srv.api('GET', '/api/v1/cases', { token: 'Z'.repeat(64) })).status, 401);
});

test('logout ends the session', async () => {
  const t = await srv.login('worker1');
  assert.equal((await srv.api('GET', '/api/v1/me', { token: t })).status, 200);
  assert.equal((await srv.api('DELETE', '/api/v1/session', { token: t })).status, 200);
  assert.equal((await srv.api('GET', '/api/v1/me', { token: t })).status, 401);
});

test('changing the password ends old sessions and the new one works', async () => {
  const t = await srv.login('resident2');
  const wrongOld = await srv.api('POST', '/api/v1/me/password', { token: t, body: { old_password: 'nope-nope', new_password: 'new-secret-1' } });
  assert.equal(wrongOld.status, 403);
  const short = await srv.api('POST', '/api/v1/me/password', { token: t, body: { old_password: 'jiceng-demo', new_password: 'short' } });
  assert.equal(short.status, 400);
  const ok = await srv.api('POST', '/api/v1/me/password', { token: t, body: { old_password: 'jiceng-demo', new_password: 'new-secret-1' } });
  assert.equal(ok.status, 200);
  assert.equal((await srv.api('GET', '/api/v1/me', { token: t })).status, 401);
  await srv.login('resident2', 'new-secret-1');
  const old = await srv.api('POST', '/api/v1/session', { body: { name: 'resident2', password: 'jiceng-demo' } });
  assert.equal(old.status, 401);
});

test('only admins manage users', async () => {
  const d = await srv.login('dispatcher');
  assert.equal((await srv.api('GET', '/api/v1/users', { token: d })).status, 403);
  const a = await srv.login('admin');
  const list = await srv.api('GET', '/api/v1/users', { token: a });
  assert.equal(list.status, 200);
  assert.ok(list.json.users.length > 10);
  const add = await srv.api('POST', '/api/v1/users', { token: a, body: { name: 'worker9', role: 'grid_worker', area: '110101001001002', password: 'pine-river-42x' } });
  assert.equal(add.status, 201, JSON.stringify(add.json));
  const dup = await srv.api('POST', '/api/v1/users', { token: a, body: { name: 'worker9', role: 'grid_worker', area: '110101001001002', password: 'pine-river-42x' } });
  assert.equal(dup.status, 409);
  const noArea = await srv.api('POST', '/api/v1/users', { token: a, body: { name: 'worker10', role: 'grid_worker', password: 'pine-river-42x' } });
  assert.equal(noArea.status, 400);
  const badArea = await srv.api('POST', '/api/v1/users', { token: a, body: { name: 'worker11', role: 'grid_worker', area: '999', password: 'pine-river-42x' } });
  assert.equal(badArea.status, 400);
  await srv.login('worker9', 'pine-river-42x');
});
