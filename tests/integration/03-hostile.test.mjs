// Hostile input: every kind gets a clear 4xx JSON error and changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng } from './lib.mjs';

let srv, tok, admin;
const GRID = '110101001001001';
const good = { title: '井盖松动', body: '人行道井盖松动', category: '0201', area: GRID };

async function countCases() {
  const r = await srv.api('GET', '/api/v1/cases?limit=500', { token: admin });
  return r.json.cases.length;
}
async function post(body, path = '/api/v1/cases', headers = {}) {
  return srv.api('POST', path, { token: tok, body, headers });
}
function isError(r, status, code) {
  assert.equal(r.status, status, r.text.slice(0, 300));
  assert.equal(typeof r.json?.error?.message, 'string', 'error body has a message');
  if (code) assert.equal(r.json.error.code, code);
}

before(async () => {
  srv = await startServer();
  tok = await srv.login('dispatcher');
  admin = await srv.login('admin');
});
after(async () => { await srv.cleanup(); });

test('malformed JSON, wrong shapes and invalid UTF-8 are 400', async () => {
  const n0 = await countCases();
  isError(await post('{"title": "x", '), 400, 'invalid');
  isError(await post('not json at all'), 400, 'invalid');
  isError(await post('[1,2,3]'), 400, 'invalid');
  isError(await post('"just a string"'), 400, 'invalid');
  isError(await post('{"title":"a","title":"b","category":"0201"}'), 400, 'invalid'); // duplicate key
  isError(await post('{"title": NaN, "category":"0201"}'), 400, 'invalid');
  const bad = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","category":"0201","area":"' + GRID + '"}')]);
  isError(await post(bad), 400, 'invalid');
  const overlong = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('","category":"0201"}')]);
  isError(await post(overlong), 400, 'invalid');
  isError(await post({ ...good, title: 'a\u0000b' }), 400, 'invalid');
  assert.equal(await countCases(), n0);
});

test('missing fields, wrong types, unknown fields and bad values are 400', async () => {
  const n0 = await countCases();
  const cases = [
    {}, { category: '0201' }, { title: '' , category: '0201'}, { title: 'x' },
    { ...good, title: 123 }, { ...good, title: ['x'] }, { ...good, category: 201 }, { ...good, body: {} },
    { ...good, lon: 'abc', lat: 39.9 }, { ...good, lon: 116.4 }, { ...good, lon: 181, lat: 39 },
    { ...good, lon: 116, lat: -91 }, { ...good, category: '9999' }, { ...good, area: '000000000000000' },
    { ...good, colour: 'red' }, { ...good, phone: 'call me maybe' }, { ...good, source: 'sensor' },
    { ...good, title: '长'.repeat(201) }, { ...good, source: 'carrier-pigeon' },
  ];
  for (const b of cases) {
    const r = await post(b);
    assert.ok(r.status === 400 || r.status === 403, `${JSON.stringify(b).slice(0, 80)} -> ${r.status}`);
    assert.ok(r.json.error.message.length > 3);
  }
  assert.equal(await countCases(), n0);
});

test('oversized bodies are 413', async () => {
  const n0 = await countCases();
  isError(await post({ ...good, body: 'x'.repeat(300 * 1024) }), 413, 'too_large');
  const huge = await fetch(srv.url + '/api/v1/cases', {
    method: 'POST', headers: { authorization: 'Bearer ' + tok }, body: Buffer.alloc(17 * 1024 * 1024, 0x61),
  }).catch(e => ({ status: 'closed', e }));
  assert.ok(huge.status === 413 || huge.status === 'closed', `huge body: ${huge.status}`);
  assert.equal(await countCases(), n0);
  assert.equal((await srv.api('GET', '/healthz')).status, 200);
});

test('unknown ids, unknown paths and wrong methods', async () => {
  isError(await srv.api('GET', '/api/v1/cases/999999', { token: tok }), 404, 'not_found');
  isError(await srv.api('GET', '/api/v1/cases/abc', { token: tok }), 404);
  isError(await srv.api('GET', '/api/v1/cases/-1', { token: tok }), 404);
  isError(await srv.api('GET', '/api/v1/cases/JC2026-1', { token: tok }), 404);
  isError(await srv.api('POST', '/api/v1/cases/999999/register', { token: tok }), 404);
  isError(await srv.api('GET', '/api/v1/nothing-here', { token: tok }), 404);
  const m = await srv.api('PUT', '/api/v1/cases', { token: tok, body: {} });
  assert.equal(m.status, 405);
  isError(await srv.api('GET', '/api/v1/cases?limit=0', { token: tok }), 400);
  isError(await srv.api('GET', '/api/v1/cases?limit=abc', { token: tok }), 400);
  isError(await srv.api('GET', '/api/v1/cases?state=sleeping', { token: tok }), 400);
});

test('after all that the trace is intact', async () => {
  const r = await srv.api('GET', '/api/v1/audit/verify', { token: tok });
  assert.equal(r.status, 200);
  assert.equal(r.json.ok, true, r.json.message);
  await srv.stop();
  const v = jiceng(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});
