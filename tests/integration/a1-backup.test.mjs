// jiceng backup while 16 clients write; jiceng restore. Every case
// acknowledged before the backup started is in the backup, the backup is a
// sound database whose trace verifies, and a restore brings it back in
// place of a database (kept aside); a restore refuses a damaged backup and a
// database a server is running on, changing nothing; through a symbolic link
// it restores the file the link names.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync, existsSync, statSync, lstatSync, symlinkSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, BIN, ROOT } from './lib.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'jiceng-backup-'));
const servers = [];
after(async () => {
  for (const s of servers) await s.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

// Runs jiceng without blocking the event loop (the writers go on meanwhile).
function jicengAsync(args) {
  return new Promise(res => {
    const p = spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', d => { stdout += d; });
    p.stderr.on('data', d => { stderr += d; });
    p.on('exit', status => res({ status, stdout, stderr }));
  });
}

let srv, backupFile, ackedBefore = [];

test('a backup taken under write load holds every write acknowledged before it started', async () => {
  srv = await startServer();
  servers.push(srv);
  const tok = await srv.login('dispatcher');
  const acked = [];
  let stop = false, errors = 0;
  const client = async () => {
    while (!stop) {
      const r = await srv.api('POST', '/api/v1/cases', { token: tok, body: { title: '备份压力测试', category: '0104', area: '110101001001001' } });
      if (r.status === 201) acked.push(r.json.id); else errors++;
    }
  };
  const clients = Array.from({ length: 16 }, client);
  // enough acknowledged writes first (the machine may be busy: wait for them, not for a time)
  for (let t = 0; acked.length < 50 && t < 400; t++) await new Promise(r => setTimeout(r, 50));
  ackedBefore = acked.slice();
  const during = acked.length;
  const dir = join(tmp, 'backups');
  // small steps with pauses: a copy of one snapshot lasting seconds while the writers go on
  const b = await jicengAsync(['backup', '--db', srv.db, dir + '/', '--step', '8', '--pause', '100']);
  const afterBackup = acked.length;
  stop = true;
  await Promise.all(clients);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(errors, 0);
  assert.ok(ackedBefore.length > 20, `only ${ackedBefore.length} writes before the backup`);
  assert.ok(afterBackup > during, 'no write was acknowledged while the backup ran: writers were stalled');
  assert.match(b.stdout, /integrity ok; trace ok: \d+ entries/);
  const steps = Number(b.stdout.match(/\((\d+) steps\)/)[1]);
  assert.ok(steps > 20, `${steps} steps`);
  const files = readdirSync(dir);
  assert.equal(files.length, 1, files.join(' '));
  assert.match(files[0], /^jiceng-\d{8}T\d{6}Z\.db$/);
  backupFile = join(dir, files[0]);
  // a single file: no WAL beside it
  assert.ok(!existsSync(backupFile + '-wal'));
  const ic = jiceng(['audit', 'verify', '--db', backupFile]);
  assert.equal(ic.status, 0, ic.stdout + ic.stderr);
});

test('restore puts the backup in place of a database and keeps the previous one aside', async () => {
  assert.ok(backupFile, 'the first test made no backup');
  const db = join(tmp, 'restored.db');
  // an existing database there: it is kept aside, not deleted
  assert.equal(jiceng(['init', db]).status, 0);
  const r = jiceng(['restore', '--db', db, backupFile]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /restored .*restored\.db from .*\(\d+ entries, \d+ cases/);
  const aside = readdirSync(tmp).filter(f => f.startsWith('restored.db.before-restore-'));
  assert.equal(aside.length, 1, aside.join(' '));
  const again = await startServer({ db, dir: tmp });
  const admin = await again.login('admin');
  for (const id of ackedBefore) {
    const g = await again.api('GET', `/api/v1/cases/${id}`, { token: admin });
    assert.equal(g.status, 200, `case ${id}, acknowledged before the backup started, is not in it`);
  }
  await again.stop();
  const v = jiceng(['audit', 'verify', '--db', db]);
  assert.equal(v.status, 0, v.stdout);
});

test('restore refuses a damaged backup and a database in use, changing nothing', async () => {
  assert.ok(backupFile, 'the first test made no backup');
  // flip bytes in the middle of a copy of the backup
  const bad = join(tmp, 'damaged.db');
  copyFileSync(backupFile, bad);
  const buf = readFileSync(bad);
  for (let i = 0; i < 4096; i++) buf[Math.floor(buf.length / 2) + i] ^= 0x5a;
  writeFileSync(bad, buf);
  const before = statSync(srv.db).mtimeMs;
  const target = join(tmp, 'target.db');
  assert.equal(jiceng(['init', target]).status, 0);
  const t0 = readFileSync(target);
  let r = jiceng(['restore', '--db', target, bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /is not a sound database|does not verify/);
  assert.match(r.stderr, /nothing was changed/);
  assert.deepEqual(readFileSync(target), t0);
  // the server's own database: refused while it runs
  r = jiceng(['restore', '--db', srv.db, backupFile]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`is in use \\(pid ${srv.proc.pid}: serve http://127\\.0\\.0\\.1:${srv.port}/\\)`));
  assert.equal(statSync(srv.db).mtimeMs, before);
  assert.equal(readdirSync(srv.dir).filter(f => f.includes('before-restore')).length, 0);
});

test('backup --keep N keeps the newest N; an existing OUT file is not overwritten', async () => {
  const dir = join(tmp, 'rotating');
  for (let i = 0; i < 3; i++) {
    if (i) await new Promise(r => setTimeout(r, 1100)); // names are per second
    const r = jiceng(['backup', '--db', srv.db, dir + '/', '--keep', '2']);
    assert.equal(r.status, 0, r.stderr);
  }
  const files = readdirSync(dir).sort();
  assert.equal(files.length, 2, files.join(' '));
  // one of them (not a name from another test: it would be undefined, a file in the
  // working directory, were that test to fail)
  const existing = join(dir, files[0]);
  const r = jiceng(['backup', '--db', srv.db, existing]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /exists; choose another name/);
});

test('restore through a symbolic link restores the file it names and keeps the link', () => {
  // /var/lib/jiceng/jiceng.db -> /data/jiceng.db (a bigger disk): the restore used to replace
  // the link with a file and leave /data/jiceng.db, the database itself, as it was
  const realDir = join(tmp, 'data'), linkDir = join(tmp, 'state');
  mkdirSync(realDir);
  mkdirSync(linkDir);
  const real = join(realDir, 'jiceng.db'), link = join(linkDir, 'jiceng.db');
  assert.equal(jiceng(['init', real]).status, 0);
  symlinkSync(real, link);
  const bk = join(tmp, 'link-backup.db');
  assert.equal(jiceng(['backup', '--db', link, bk]).status, 0);
  execFileSync('sqlite3', [real, "insert into meta(key, value) values('after_backup', 'x')"]);
  const r = jiceng(['restore', '--db', link, bk]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link was replaced by a file');
  assert.equal(execFileSync('sqlite3', [real, "select count(*) from meta where key='after_backup'"], { encoding: 'utf8' }).trim(), '0',
    'the database the link names was not restored');
  assert.equal(readdirSync(realDir).filter(f => f.startsWith('jiceng.db.before-restore-')).length, 1, readdirSync(realDir).join(' '));
});

test('restore run as root gives the restored database to the owner of the one it replaces', () => {
  // `sudo jiceng restore` left a root-owned database: the service's user then refused to start
  // on it ('read-only for user jiceng')
  assert.equal(process.getuid(), 0, 'this test changes owners: run the suite as root');
  const dir = join(tmp, 'owned');
  mkdirSync(dir);
  const db = join(dir, 'jiceng.db');
  assert.equal(jiceng(['init', db]).status, 0);
  const bk = join(tmp, 'owned-backup.db');
  assert.equal(jiceng(['backup', '--db', db, bk]).status, 0);
  execFileSync('chown', ['-R', '65534:65534', dir]);
  const r = jiceng(['restore', '--db', db, bk]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(db).uid, 65534, 'the restored database is root\'s');
  assert.equal(statSync(db).gid, 65534);
});

test('backup run as root into the backup directory leaves it and the copy to the database\'s owner', () => {
  // `sudo jiceng backup` made backups/ root's (0750): the nightly timer, as the service's
  // user, could then neither write there nor prune
  assert.equal(process.getuid(), 0, 'this test changes owners: run the suite as root');
  const dir = join(tmp, 'owned2');
  mkdirSync(dir);
  chmodSync(tmp, 0o755); // nobody passes through to it
  const db = join(dir, 'jiceng.db');
  assert.equal(jiceng(['init', db]).status, 0);
  execFileSync('chown', ['-R', '65534:65534', dir]);
  const r = jiceng(['backup', '--db', db]);
  assert.equal(r.status, 0, r.stderr);
  const bdir = join(dir, 'backups');
  assert.equal(statSync(bdir).uid, 65534, 'backups/ is root\'s');
  const files = readdirSync(bdir);
  assert.equal(files.length, 1, files.join(' '));
  assert.equal(statSync(join(bdir, files[0])).uid, 65534, 'the backup is root\'s');
  // and the service's user can take the next one there (a second later: names are to the
  // second), pruning the first
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
  const again = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', BIN, 'backup', '--db', db, '--keep', '1'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(readdirSync(bdir).length, 1);
});
