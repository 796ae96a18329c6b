// Browser sessions: the HttpOnly cookie from POST /api/v1/session {"cookie":true},
// X-CSRF-Token on every cookie write, GET /api/v1/session, logout clearing the
// cookie, and Bearer tokens working exactly as before (docs/api.md "Browser sessions").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, DEMO_PASSWORD } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.cleanup(); });

async function cookieLogin(name, headers = {}) {
  const r = await srv.api('POST', '/api/v1/session', { body: { name, password: DEMO_PASSWORD, cookie: true }, headers });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const set = r.headers.get('set-cookie');
  assert.ok(set, 'a Set-Cookie header');
  const m = /^jiceng_session=([0-9a-f]{64});/.exec(set);
  assert.ok(m, set);
  return { set, token: m[1], cookie: 'jiceng_session=' + m[1], csrf: r.json.csrf, body: r.json };
}

const withCookie = (cookie, extra = {}) => ({ headers: { cookie, ...extra } });
// A fresh case in state reported, filed by resident1 with a Bearer token.
let residentToken;
async function reportedCase() {
  residentToken ??= await srv.login('resident1');
  const r = await srv.api('POST', '/api/v1/cases', { token: residentToken,
    body: { title: '路灯不亮', category: '0201', area: '110101001001001' } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.equal(r.json.state, 'reported');
  return r.json;
}

test('cookie login: HttpOnly SameSite=Strict cookie and a CSRF token; GETs work with the cookie alone', async () => {
  const s = await cookieLogin('dispatcher');
  assert.match(s.set, /; HttpOnly/);
  assert.match(s.set, /; SameSite=Strict/);
  assert.match(s.set, /; Path=\//);
  assert.doesNotMatch(s.set, /Secure/, 'plain http: no Secure flag');
  assert.match(s.csrf, /^[0-9a-f]{64}$/);
  assert.notEqual(s.csrf, s.token, 'the CSRF token is not the session token');
  assert.equal(s.body.token, s.token, 'the body still carries the token (API clients)');
  const me = await srv.api('GET', '/api/v1/me', withCookie(s.cookie));
  assert.equal(me.status, 200);
  assert.equal(me.json.name, 'dispatcher');
  assert.equal((await srv.api('GET', '/api/v1/cases?limit=5', withCookie(s.cookie))).status, 200);
  // Who am I, for a reloaded page: the user and the same CSRF token.
  const who = await srv.api('GET', '/api/v1/session', withCookie(s.cookie));
  assert.equal(who.status, 200);
  assert.equal(who.json.user.name, 'dispatcher');
  assert.equal(who.json.csrf, s.csrf);
  assert.equal(who.json.via, 'cookie');
  // Without any session: a plain answer, not a 401.
  const none = await srv.api('GET', '/api/v1/session');
  assert.equal(none.status, 200);
  assert.equal(none.json.user, null);
  assert.equal(none.json.csrf, null);
  // The cookie is sent among others, in any position.
  const mixed = await srv.api('GET', '/api/v1/me', withCookie('a=1; ' + s.cookie + '; b=2'));
  assert.equal(mixed.status, 200);
});

test('the live stream opens with the cookie, without ?token=', async () => {
  const s = await cookieLogin('dispatcher');
  const ac = new AbortController();
  const res = await fetch(srv.url + '/api/v1/events', { headers: { cookie: s.cookie }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
  ac.abort();
  await res.body?.cancel().catch(() => {});
  const forged = await fetch(srv.url + '/api/v1/events', { headers: { cookie: 'jiceng_session=' + 'a'.repeat(64) } });
  assert.equal(forged.status, 401);
  await forged.body?.cancel().catch(() => {});
});

test('a write with the cookie needs the right X-CSRF-Token: 403 and nothing written otherwise', async () => {
  const bearer = await srv.login('dispatcher');
  const s = await cookieLogin('dispatcher');
  const c = await reportedCase(bearer);
  assert.ok(c, 'the demo has a reported case');
  const countBefore = (await srv.api('GET', '/api/v1/stats', { token: bearer })).text;
  for (const extra of [{}, { 'x-csrf-token': 'f'.repeat(64) }, { 'x-csrf-token': s.token }, { 'x-csrf-token': s.csrf.slice(0, 63) }]) {
    const r = await srv.api('POST', `/api/v1/cases/${c.id}/register`, withCookie(s.cookie, extra));
    assert.equal(r.status, 403, JSON.stringify(extra));
    assert.equal(r.json.error.code, 'forbidden');
    assert.match(r.json.error.message, /X-CSRF-Token/);
  }
  const created = await srv.api('POST', '/api/v1/cases', {
    ...withCookie(s.cookie), body: { title: 'CSRF 试探', category: '0201', area: '110101001001001' } });
  assert.equal(created.status, 403);
  const after403 = await srv.api('GET', `/api/v1/cases/${c.id}`, { token: bearer });
  assert.equal(after403.json.state, 'reported', 'the refused register changed nothing');
  assert.ok(!after403.json.timeline.some((e) => e.action === 'register'));
  assert.equal((await srv.api('GET', '/api/v1/stats', { token: bearer })).text, countBefore, 'no case created');
  // With the right token it goes through.
  const ok = await srv.api('POST', `/api/v1/cases/${c.id}/register`, withCookie(s.cookie, { 'x-csrf-token': s.csrf }));
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.notEqual((await srv.api('GET', `/api/v1/cases/${c.id}`, { token: bearer })).json.state, 'reported');
  // The CSRF token of one login does not fit another login's cookie.
  const other = await cookieLogin('dispatcher');
  const c2 = await reportedCase(bearer);
  const cross = await srv.api('POST', `/api/v1/cases/${c2.id}/register`, withCookie(other.cookie, { 'x-csrf-token': s.csrf }));
  assert.equal(cross.status, 403);
});

test('a forged or malformed cookie is 401, for reads and writes', async () => {
  const s = await cookieLogin('resident1');
  for (const cookie of ['jiceng_session=' + 'f'.repeat(64), 'jiceng_session=' + s.token.slice(0, 63) + (s.token[63] === '0' ? '1' : '0'), 'jiceng_session=xyz', 'jiceng_session=']) {
    assert.equal((await srv.api('GET', '/api/v1/me', withCookie(cookie))).status, 401, cookie);
    assert.equal((await srv.api('POST', '/api/v1/cases', { ...withCookie(cookie, { 'x-csrf-token': s.csrf }), body: { title: 'x', category: '0201' } })).status, 401, cookie);
  }
  assert.equal((await srv.api('GET', '/api/v1/session', withCookie('jiceng_session=' + 'f'.repeat(64)))).json.user, null);
});

test('logout with the cookie: needs CSRF, clears the cookie (Max-Age=0) and ends the session', async () => {
  const s = await cookieLogin('worker1');
  const refused = await srv.api('DELETE', '/api/v1/session', withCookie(s.cookie));
  assert.equal(refused.status, 403, 'a cross-site page cannot log you out either');
  assert.equal((await srv.api('GET', '/api/v1/me', withCookie(s.cookie))).status, 200);
  const out = await srv.api('DELETE', '/api/v1/session', withCookie(s.cookie, { 'x-csrf-token': s.csrf }));
  assert.equal(out.status, 200);
  const set = out.headers.get('set-cookie');
  assert.match(set, /^jiceng_session=;/);
  assert.match(set, /Max-Age=0/);
  assert.equal((await srv.api('GET', '/api/v1/me', withCookie(s.cookie))).status, 401, 'the session is over');
  assert.equal((await srv.api('GET', '/api/v1/me', { token: s.token })).status, 401, 'also as a Bearer token');
  assert.equal((await srv.api('GET', '/api/v1/session', withCookie(s.cookie))).json.user, null);
});

test('Bearer tokens work unchanged: no CSRF needed, no cookie set, Authorization wins over a cookie', async () => {
  const plain = await srv.api('POST', '/api/v1/session', { body: { name: 'dispatcher', password: DEMO_PASSWORD } });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get('set-cookie'), null, 'no cookie unless asked for');
  assert.equal(plain.json.csrf, undefined);
  const bearer = plain.json.token;
  const c = await reportedCase(bearer);
  assert.equal((await srv.api('POST', `/api/v1/cases/${c.id}/register`, { token: bearer })).status, 200);
  // A stale cookie next to a valid Bearer token: the Bearer token decides, no CSRF asked.
  const c2 = await reportedCase(bearer);
  const r = await srv.api('POST', `/api/v1/cases/${c2.id}/register`, { token: bearer, headers: { cookie: 'jiceng_session=' + 'f'.repeat(64) } });
  assert.equal(r.status, 200);
  const who = await srv.api('GET', '/api/v1/session', { token: bearer });
  assert.equal(who.json.via, 'bearer');
  assert.equal(who.json.user.name, 'dispatcher');
  assert.equal((await srv.api('DELETE', '/api/v1/session', { token: bearer })).status, 200);
  assert.equal((await srv.api('GET', '/api/v1/me', { token: bearer })).status, 401);
});

test('login options: "cookie" must be a boolean; a wrong password sets no cookie; https behind a proxy gets Secure', async () => {
  const bad = await srv.api('POST', '/api/v1/session', { body: { name: 'dispatcher', password: DEMO_PASSWORD, cookie: 'yes' } });
  assert.equal(bad.status, 400);
  const wrong = await srv.api('POST', '/api/v1/session', { body: { name: 'dispatcher', password: 'wrong-password', cookie: true } });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('set-cookie'), null);
  const off = await srv.api('POST', '/api/v1/session', { body: { name: 'dispatcher', password: DEMO_PASSWORD, cookie: false } });
  assert.equal(off.status, 200);
  assert.equal(off.headers.get('set-cookie'), null);
  const s = await cookieLogin('dispatcher', { 'x-forwarded-proto': 'https' });
  assert.match(s.set, /; Secure/);
});
