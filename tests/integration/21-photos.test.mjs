// Photos: upload (type checked by magic bytes, size cap), fetch with caching
// headers, durable content-addressed storage, linking to a visible case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { startServer } from './lib.mjs';

let srv, T = {}, photos;
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('0000000d49484452000000010000000108060000001f15c489', 'hex'), Buffer.from('jiceng-png')]);
const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.from('jiceng-jpeg')]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([20, 0, 0, 0]), Buffer.from('WEBPVP8 jiceng')]);

before(async () => {
  photos = join(mkdtempSync(join(tmpdir(), 'jiceng-photos-')), 'store');
  srv = await startServer({ extraArgs: ['--photos', photos] });
  for (const n of ['resident1', 'resident2', 'dispatcher', 'admin']) T[n] = await srv.login(n);
});
after(async () => { await srv.cleanup(); rmSync(dirname(photos), { recursive: true, force: true }); });

const upload = (body, type, token = T.resident1) =>
  srv.api('POST', '/api/v1/photos', { token, body, headers: { 'content-type': type } });

test('upload JPEG, PNG and WebP: content-addressed, durable, served with caching headers', async () => {
  for (const [buf, type, ext] of [[JPEG, 'image/jpeg', 'jpg'], [PNG, 'image/png', 'png'], [WEBP, 'image/webp', 'webp']]) {
    const r = await upload(buf, type);
    assert.equal(r.status, 201, r.text);
    const sha = createHash('sha256').update(buf).digest('hex');
    assert.equal(r.json.id, sha);
    assert.equal(r.json.url, `/api/v1/photos/${sha}`);
    const file = join(photos, sha.slice(0, 2), `${sha}.${ext}`);
    assert.ok(existsSync(file), file);
    assert.deepEqual(readFileSync(file), buf);
    const g = await fetch(srv.url + r.json.url);
    assert.equal(g.status, 200);
    assert.equal(g.headers.get('content-type'), type);
    assert.match(g.headers.get('cache-control'), /max-age=31536000/);
    assert.equal(g.headers.get('etag'), `"${sha}"`);
    assert.equal(g.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await g.arrayBuffer()), buf);
    const again = await fetch(srv.url + r.json.url, { headers: { 'if-none-match': `"${sha}"` } });
    assert.equal(again.status, 304);
  }
  const dup = await upload(PNG, 'image/png', T.resident2);
  assert.equal(dup.status, 201, 'the same bytes again are accepted (same id)');
});

test('wrong type, lying type, empty, too big, not logged in', async () => {
  assert.equal((await upload(Buffer.from('GIF89a....'), 'image/gif')).status, 415);
  assert.equal((await upload(PNG, 'image/jpeg')).status, 415, 'magic bytes must match the declared type');
  assert.equal((await upload(Buffer.from('<svg></svg>'), 'image/png')).status, 415);
  assert.equal((await upload(Buffer.from('{}'), 'application/json')).status, 415);
  assert.equal((await upload(Buffer.alloc(0), 'image/png')).status, 400);
  const big = Buffer.concat([JPEG, Buffer.alloc(8 * 1024 * 1024)]);
  assert.equal((await upload(big, 'image/jpeg')).status, 413);
  const anon = await srv.api('POST', '/api/v1/photos', { body: PNG, headers: { 'content-type': 'image/png' } });
  assert.equal(anon.status, 401);
  assert.equal((await fetch(srv.url + '/api/v1/photos/' + 'a'.repeat(64))).status, 404);
  assert.equal((await fetch(srv.url + '/api/v1/photos/../../etc/passwd')).status, 404);
  assert.equal((await fetch(srv.url + '/api/v1/photos/xyz')).status, 404);
});

test('link to a case: audited, listed; a resident cannot link to someone else\'s case', async () => {
  const c = await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '井盖缺失', body: '人行道井盖丢了', category: '0201', area: '110101001001001' } });
  assert.equal(c.status, 201, c.text);
  const p = (await upload(JPEG, 'image/jpeg')).json.id;
  const other = await srv.api('POST', `/api/v1/cases/${c.json.id}/photos`, { token: T.resident2, body: { photo_id: p } });
  assert.equal(other.status, 404, 'someone else\'s case is invisible');
  const bad = await srv.api('POST', `/api/v1/cases/${c.json.id}/photos`, { token: T.resident1, body: { photo_id: 'b'.repeat(64) } });
  assert.equal(bad.status, 400, 'unknown photo');
  const junk = await srv.api('POST', `/api/v1/cases/${c.json.id}/photos`, { token: T.resident1, body: { photo_id: '../x' } });
  assert.equal(junk.status, 400);
  const ok = await srv.api('POST', `/api/v1/cases/${c.json.id}/photos`, { token: T.resident1, body: { photo_id: p } });
  assert.equal(ok.status, 201, ok.text);
  const twice = await srv.api('POST', `/api/v1/cases/${c.json.id}/photos`, { token: T.resident1, body: { photo_id: p } });
  assert.equal(twice.status, 409);
  const list = await srv.api('GET', `/api/v1/cases/${c.json.id}/photos`, { token: T.dispatcher });
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.photos.map(x => x.id), [p]);
  assert.equal((await srv.api('GET', `/api/v1/cases/${c.json.id}/photos`, { token: T.resident2 })).status, 404);
  const audit = await srv.api('GET', `/api/v1/cases/${c.json.id}/audit`, { token: T.resident1 });
  assert.ok(audit.json.verified, audit.text);
  // the reason is a code (docs/audit.md, "Reason codes") naming the photo for the trace
  assert.ok(audit.json.entries.some(e => e.action === 'photo_add' && JSON.parse(e.reason).code === 'photo_add' && JSON.parse(e.reason).photo === p));
  // the case's core actions still work (the photo route did not shadow them)
  const reg = await srv.api('POST', `/api/v1/cases/${c.json.id}/register`, { token: T.dispatcher });
  assert.equal(reg.status, 200, reg.text);
  // Open311 shows the linked photo as media_url
  const no = c.json.no;
  const o = await srv.api('GET', `/open311/v2/requests/${no}.json`);
  assert.equal(o.json[0].media_url, `${srv.url}/api/v1/photos/${p}`);
});
