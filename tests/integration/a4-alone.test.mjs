// One server per database and per port; a database it cannot write stops it
// at the start with a message saying what to fix (it used to start, answer
// /healthz 200 and fail every login). The read-only cases need root (a
// read-only mount, another user): not root is a failure, not a skip.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, chmodSync, rmSync, symlinkSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, freePort, waitHealthy, BIN, ROOT } from './lib.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'jiceng-alone-'));
const mounts = [], servers = [];
after(async () => {
  for (const s of servers) await s.cleanup();
  for (const m of mounts) { try { execFileSync('umount', [m]); } catch { /* already */ } }
  rmSync(tmp, { recursive: true, force: true });
});

// Runs `jiceng serve` expected to refuse; returns {status, stderr}.
function serveOnce(args, opts = {}) {
  const r = spawnSync(opts.cmd || BIN, [...(opts.pre || []), 'serve', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 15000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test('a second serve on the same database exits naming the first; after a SIGKILL it starts', async () => {
  const a = await startServer();
  servers.push(a);
  const port = await freePort();
  const r = serveOnce(['--db', a.db, '--listen', `127.0.0.1:${port}`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`is already in use \\(pid ${a.proc.pid}: serve http://127\\.0\\.0\\.1:${a.port}/\\); one server per database`));
  assert.equal((await a.api('GET', '/healthz')).status, 200);
  // the claim dies with its process: no stale lock after SIGKILL
  const dead = new Promise(res => a.proc.once('exit', res));
  a.proc.kill('SIGKILL');
  await dead;
  const b = await startServer({ db: a.db, dir: a.dir });
  servers.push(b);
  assert.equal((await b.api('GET', '/healthz')).status, 200);
});

test('a second serve on the same port exits, the first keeps the port', async () => {
  const a = await startServer();
  servers.push(a);
  const db = join(tmp, 'other.db');
  assert.equal(jiceng(['init', db]).status, 0);
  const r = serveOnce(['--db', db, '--listen', `127.0.0.1:${a.port}`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${a.port} is already in use by another program`));
  // every request still reaches the first server
  for (let i = 0; i < 20; i++) assert.equal((await a.api('GET', '/healthz')).status, 200);
});

test('a database on a read-only file system, or read-only for the user, stops the start with what to fix', async () => {
  assert.equal(process.getuid(), 0, 'this test mounts a file system and switches users: run the suite as root');
  const dir = join(tmp, 'ro');
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
  mounts.push(dir);
  const db = join(dir, 'jiceng.db');
  assert.equal(jiceng(['init', db]).status, 0);
  execFileSync('mount', ['-o', 'remount,ro', dir]);
  const port = await freePort();
  let r = serveOnce(['--db', db, '--listen', `127.0.0.1:${port}`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /jiceng\.db is on a read-only file system; .*not starting/);
  assert.ok(r.stderr.split('\n').filter(Boolean).length <= 3, r.stderr);
  // read-only for the server's user (root may write anything: run it as nobody)
  const d2 = join(tmp, 'perm');
  mkdirSync(d2);
  const db2 = join(d2, 'jiceng.db');
  assert.equal(jiceng(['init', db2]).status, 0);
  chmodSync(tmp, 0o755);
  chmodSync(d2, 0o777);
  chmodSync(db2, 0o444);
  r = serveOnce(['--db', db2, '--listen', `127.0.0.1:${port}`], { cmd: 'setpriv', pre: ['--reuid=65534', '--regid=65534', '--clear-groups', BIN] });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /jiceng\.db is read-only for user nobody \(uid 65534\).*not starting/);
  // and a directory it cannot write (the -wal and -shm files go there)
  chmodSync(db2, 0o666);
  chmodSync(d2, 0o755);
  r = serveOnce(['--db', db2, '--listen', `127.0.0.1:${port}`], { cmd: 'setpriv', pre: ['--reuid=65534', '--regid=65534', '--clear-groups', BIN] });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /the directory .*perm is not writable for user nobody/);
});

test('a database reached through a symbolic link is the same database: a second serve exits, and the link alone serves as well', async () => {
  // the claim (DB.lock) was made beside the name given, so a link elsewhere got a lock of its
  // own and two servers wrote one database; and the syncer looked for the WAL beside the
  // link, where SQLite does not put it ("commits wait for the disk themselves")
  const a = await startServer();
  servers.push(a);
  const other = join(tmp, 'elsewhere');
  mkdirSync(other);
  const link = join(other, 'jiceng.db');
  symlinkSync(a.db, link);
  const port = await freePort();
  const r = serveOnce(['--db', link, '--listen', `127.0.0.1:${port}`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`is already in use \\(pid ${a.proc.pid}: serve http://127\\.0\\.0\\.1:${a.port}/\\); one server per database`));
  await a.stop();
  const b = await startServer({ db: link, dir: other });
  servers.push(b);
  const tok = await b.login('dispatcher');
  const c = await b.api('POST', '/api/v1/cases', { token: tok, body: { title: '经符号链接', category: '0104', area: '110101001001001' } });
  assert.equal(c.status, 201, c.text);
  assert.doesNotMatch(b.log(), /commits wait for the disk themselves/, b.log());
});

test('the lock file made by a command run as root belongs to the database\'s owner: the server\'s user still starts', async () => {
  // `sudo jiceng doctor` (or restore) before the server first ran made DB.lock root's, 0640:
  // the service's user then stopped at 'cannot open ...jiceng.db.lock: Permission denied'
  assert.equal(process.getuid(), 0, 'this test switches users: run the suite as root');
  const dir = join(tmp, 'owned');
  mkdirSync(dir);
  const db = join(dir, 'jiceng.db');
  assert.equal(jiceng(['init', db]).status, 0);
  chmodSync(tmp, 0o755);
  execFileSync('chown', ['-R', '65534:65534', dir]);
  const d = spawnSync(BIN, ['doctor', '--no-config', '--db', db, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  assert.ok(existsSync(db + '.lock'), d.stdout + d.stderr);
  assert.equal(statSync(db + '.lock').uid, 65534, 'the lock file is root\'s');
  const port = await freePort();
  const p = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', BIN, 'serve', '--no-config', '--db', db,
    '--listen', `127.0.0.1:${port}`, '--threads', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  p.stderr.on('data', x => { log += x; });
  const exited = new Promise(r => p.once('exit', r));
  try {
    await Promise.race([waitHealthy(`http://127.0.0.1:${port}`), exited.then(() => { throw new Error('the server stopped: ' + log); })]);
  } finally {
    if (p.exitCode === null && !p.signalCode) p.kill('SIGTERM');
    await exited;
  }
});
