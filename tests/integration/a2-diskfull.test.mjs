// A full disk, on a small tmpfs of the test's own: writes answer 507 with a
// clear message and leave nothing half-written; reads, logins and the UI go
// on; /healthz says degraded; when space comes back writes resume without a
// restart. Twice: refused below --min-free-mb (the usual way), and with no
// margin asked (--min-free-mb 0) and a little room left, where the WAL's own
// reserve must turn the full disk into refused writes, not a dead server (it
// used to abort on the first failed WAL write; test_ops.c's
// full_disk_mid_transaction covers a transaction larger than the reserve).
// Mounting needs root: not root is a failure. A file size limit (ulimit -f,
// LimitFSIZE=) is a full disk too: refused writes, not a dead server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, writeFileSync, readFileSync, closeSync, unlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, DEMO_PASSWORD, ROOT, BIN, freePort, waitHealthy } from './lib.mjs';

const mounts = [], servers = [];
after(async () => {
  for (const s of servers) await s.stop();
  for (const m of mounts) {
    try { execFileSync('umount', [m]); } catch { /* already */ }
    rmSync(m, { recursive: true, force: true });
  }
});

// A tmpfs of size MiB in a directory of its own.
function smallDisk(mib) {
  assert.equal(process.getuid?.(), 0, 'this test mounts a tmpfs: run the suite as root (make test does on the CI machine)');
  const dir = mkdtempSync(join(tmpdir(), 'jiceng-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

// Fills the file system of dir to the last byte, then frees spare bytes;
// returns the filler's path.
function fill(dir, spare = 0) {
  const path = join(dir, 'filler'), sparePath = join(dir, 'spare');
  if (spare) writeFileSync(sparePath, Buffer.alloc(spare, 0x33));
  const fd = openSync(path, 'w');
  for (const size of [1 << 20, 4096, 512]) {
    const buf = Buffer.alloc(size, 0x55);
    try { for (;;) writeSync(fd, buf); } catch (e) { if (e.code !== 'ENOSPC') throw e; }
  }
  closeSync(fd);
  if (spare) unlinkSync(sparePath);
  return path;
}

const sqlite = (db, sql) => execFileSync('sqlite3', [db, sql], { encoding: 'utf8' }).trim();
const newCase = (srv, token) => srv.api('POST', '/api/v1/cases', { token, body: { title: '磁盘满测试', category: '0104', area: '110101001001001' } });

async function health(srv, want, ms = 5000) {
  const until = Date.now() + ms;
  let j;
  while (Date.now() < until) {
    const r = await srv.api('GET', '/healthz');
    assert.equal(r.status, 200);
    j = r.json;
    if (j.status === want) return j;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`/healthz stayed ${JSON.stringify(j)}, not ${want}`);
}

// What a full disk must leave working, and what it must refuse.
async function checkDegraded(srv, tok) {
  const r = await newCase(srv, tok);
  assert.equal(r.status, 507, r.text);
  assert.equal(r.json.error.code, 'no_space');
  assert.match(r.json.error.message, /disk is full: nothing was written/);
  // the UI words the code in both languages (else a person reads 'err.no_space')
  for (const lang of ['zh-CN', 'en'])
    assert.match(readFileSync(join(ROOT, 'web/js/i18n', lang + '.js'), 'utf8'), /'err\.no_space': ['"][^'"]{10,}/, lang);
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
  const p = await srv.api('POST', '/api/v1/photos', { token: tok, body: png, headers: { 'content-type': 'image/png' } });
  assert.equal(p.status, 507, p.text);
  // reads, logins, logouts, the UI
  assert.equal((await srv.api('GET', '/api/v1/cases?limit=5', { token: tok })).status, 200);
  const login = await srv.api('POST', '/api/v1/session', { body: { name: 'resident2', password: DEMO_PASSWORD } });
  assert.equal(login.status, 200, login.text);
  assert.equal((await srv.api('DELETE', '/api/v1/session', { token: login.json.token })).status, 200);
  const ui = await fetch(srv.url + '/');
  assert.equal(ui.status, 200);
  const m = await srv.api('GET', '/metrics');
  assert.match(m.text, /^jiceng_store_writes_refused 1$/m);
}

test('below --min-free-mb: 507, reads and logins go on, degraded, then writes resume', async () => {
  const dir = smallDisk(40);
  const srv = await startServer({ dir, extraArgs: ['--min-free-mb', '2'] });
  servers.push(srv);
  const tok = await srv.login('dispatcher');
  assert.equal((await newCase(srv, tok)).status, 201);
  const before = Number(sqlite(srv.db, 'select count(*) from cases'));
  const filler = fill(dir);
  const h = await health(srv, 'degraded');
  assert.equal(h.writes, 'refused');
  assert.equal(h.reason, 'disk_full');
  await checkDegraded(srv, tok);
  assert.equal(Number(sqlite(srv.db, 'select count(*) from cases')), before, 'a refused write left a case behind');
  unlinkSync(filler);
  await health(srv, 'ok');
  const r = await newCase(srv, tok);
  assert.equal(r.status, 201, r.text);
  assert.equal(Number(sqlite(srv.db, 'select count(*) from cases')), before + 1);
  await srv.stop();
  // one line when writes stopped, one when they resumed: no line per refused request
  assert.equal(srv.log().match(/writes are refused \(507\)/g)?.length, 1, srv.log());
  assert.equal(srv.log().match(/disk space is back/g)?.length, 1, srv.log());
  const v = jiceng(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout);
  assert.equal(sqlite(srv.db, 'pragma integrity_check'), 'ok');
});

test('no margin asked, 512 KiB left: the WAL cannot reserve ahead, writes are refused, the server lives, nothing acknowledged is lost', async () => {
  const dir = smallDisk(40);
  const srv = await startServer({ dir, extraArgs: ['--min-free-mb', '0'] });
  servers.push(srv);
  const tok = await srv.login('dispatcher');
  const filler = fill(dir, 512 << 10);
  // the writes use up what the WAL had reserved, then are refused
  const acked = [];
  let refused = null;
  for (let i = 0; i < 2000 && !refused; i++) {
    const r = await newCase(srv, tok);
    if (r.status === 201) acked.push(r.json.id);
    else refused = r;
  }
  assert.ok(refused, `${acked.length} writes on a full disk, none refused`);
  assert.match(srv.log(), /the WAL's reserve could not be extended/);
  assert.equal(refused.status, 507, refused.text);
  assert.equal(srv.proc.exitCode, null, 'the server died: ' + srv.log());
  assert.equal(srv.proc.signalCode, null, 'the server died: ' + srv.log());
  assert.equal((await health(srv, 'degraded')).status, 'degraded');
  await checkDegraded(srv, tok);
  unlinkSync(filler);
  await health(srv, 'ok');
  const r = await newCase(srv, tok);
  assert.equal(r.status, 201, r.text);
  acked.push(r.json.id);
  await srv.stop();
  assert.equal(srv.proc.exitCode, 0, srv.log());
  for (const id of acked) assert.equal(sqlite(srv.db, `select count(*) from cases where id=${id}`), '1', `acknowledged case ${id} lost`);
  assert.equal(jiceng(['audit', 'verify', '--db', srv.db]).status, 0);
  assert.equal(sqlite(srv.db, 'pragma integrity_check'), 'ok');
});

test('a file size limit (ulimit -f): writes past it are refused (507), the server lives, nothing acknowledged is lost', async () => {
  // the kernel sends SIGXFSZ and fails the write with EFBIG; fallocate does not check the
  // limit, so the WAL's flush used to fail where it cannot report (abort, exit 134), or the
  // signal killed the server without a line (exit 153)
  const dir = mkdtempSync(join(tmpdir(), 'jiceng-fsize-'));
  mounts.push(dir); // removed after (umount fails harmlessly)
  const db = join(dir, 'jiceng.db');
  assert.equal(jiceng(['init', db]).status, 0);
  assert.equal(jiceng(['demo', '--db', db]).status, 0);
  const kib = Math.ceil(readFileSync(db).length / 1024) + 900; // the database and ~900 KiB of WAL
  const port = await freePort();
  const proc = spawn('bash', ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, BIN, 'serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--threads', '1', '--no-config'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', d => { log += d; });
  proc.stderr.on('data', d => { log += d; });
  const srv = { url: `http://127.0.0.1:${port}`, proc, log: () => log,
    async stop() { if (proc.exitCode !== null || proc.signalCode) return; const done = new Promise(r => proc.once('exit', r)); proc.kill('SIGTERM'); await done; } };
  servers.push(srv);
  await waitHealthy(srv.url);
  const api = async (method, path, { token, body } = {}) => {
    const res = await fetch(srv.url + path, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) }, body: body && JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text };
  };
  srv.api = api;
  const tok = (await api('POST', '/api/v1/session', { body: { name: 'dispatcher', password: DEMO_PASSWORD } })).json.token;
  const acked = [];
  let refused = null;
  for (let i = 0; i < 2000 && !refused && proc.exitCode === null && !proc.signalCode; i++) {
    let r;
    try { r = await api('POST', '/api/v1/cases', { token: tok, body: { title: '文件大小限制' + i, body: '测'.repeat(500), category: '0104', area: '110101001001001' } }); } catch { break; }
    if (r.status === 201) acked.push(r.json.id);
    else refused = r;
  }
  assert.equal(proc.exitCode, null, 'the server died: ' + log);
  assert.equal(proc.signalCode, null, 'the server died: ' + log);
  assert.ok(refused, `${acked.length} writes under a ${kib} KiB file size limit, none refused`);
  assert.ok(acked.length > 0, 'no write before the limit');
  assert.equal(refused.status, 507, refused.text);
  assert.equal(refused.json.error.code, 'no_space');
  assert.match(log, /would pass the file size limit of this process \(\d+ KiB: ulimit -f, LimitFSIZE=\)/);
  assert.equal((await health(srv, 'degraded')).reason, 'disk_full');
  assert.equal((await api('GET', `/api/v1/cases/${acked[0]}`, { token: tok })).status, 200);
  assert.equal((await api('POST', '/api/v1/cases', { token: tok, body: { title: '再试', category: '0104', area: '110101001001001' } })).status, 507);
  await srv.stop();
  assert.equal(proc.exitCode, 0, log);
  for (const id of acked) assert.equal(sqlite(db, `select count(*) from cases where id=${id}`), '1', `acknowledged case ${id} lost`);
  assert.equal(jiceng(['audit', 'verify', '--db', db]).status, 0);
  assert.equal(sqlite(db, 'pragma integrity_check'), 'ok');
});
