// jiceng doctor: each check finds what it is for and says what to fix; exit 1
// only when something FAILed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, chmodSync, utimesSync, copyFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, BIN, ROOT } from './lib.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'jiceng-doctor-'));
const servers = [];
after(async () => {
  for (const s of servers) await s.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

const doctor = (args, opts = {}) => {
  const r = spawnSync(opts.cmd || BIN, [...(opts.pre || []), 'doctor', '--no-config', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
  return { status: r.status, out: r.stdout + r.stderr };
};
const line = (out, re) => out.split('\n').find(l => re.test(l)) || '';

test('a fresh database with no server and no backup: warnings, exit 0', () => {
  const dir = join(tmp, 'fresh');
  mkdirSync(dir);
  assert.equal(jiceng(['init', join(dir, 'jiceng.db')]).status, 0);
  const r = doctor(['--data-dir', dir]);
  assert.equal(r.status, 0, r.out);
  assert.match(line(r.out, /shipped files/), /^ok +shipped files: /);
  assert.match(line(r.out, /schema/), /^ok +schema: up to date/);
  assert.match(line(r.out, /server:/), /^WARN +server: none runs on this database/);
  assert.match(line(r.out, /backups:/), /^WARN +backups: none/);
  assert.match(r.out, /fix: systemctl enable --now jiceng-backup\.timer/);
  assert.match(r.out, /\d+ warnings?, 0 failures\n$/);
});

test('a served database, a fresh backup, an old one, a broker that is down', async () => {
  const srv = await startServer();
  servers.push(srv);
  let r = jiceng(['backup', '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  let d = doctor(['--db', srv.db, '--mqtt', 'mqtt://127.0.0.1:1', '--deep']);
  assert.equal(d.status, 1, d.out);
  assert.match(line(d.out, /server:/), new RegExp(`^ok +server: pid ${srv.proc.pid}: serve http://127\\.0\\.0\\.1:${srv.port}/, /healthz \\{"status":"ok"\\}`));
  assert.match(line(d.out, /backups: the newest/), /^ok +backups: the newest, jiceng-\d{8}T\d{6}Z\.db, is 0\.\d hours old \(1 in /);
  assert.match(line(d.out, /broker/), /^FAIL +broker: 127\.0\.0\.1:1 does not answer/);
  assert.match(line(d.out, /integrity/), /^ok +integrity: integrity_check ok/);
  assert.match(line(d.out, /trace:/), /^ok +trace: \d+ entries, \d+ cases verified/);
  // three days old
  const dir = join(srv.dir, 'backups');
  const old = join(dir, 'jiceng-20200101T000000Z.db');
  rmSync(dir, { recursive: true });
  mkdirSync(dir);
  writeFileSync(old, 'x');
  const t = Date.now() / 1000 - 3 * 86400;
  utimesSync(old, t, t);
  d = doctor(['--db', srv.db]);
  assert.equal(d.status, 0, d.out);
  assert.match(line(d.out, /backups: the newest/), /^WARN +backups: the newest, jiceng-20200101T000000Z\.db, is 72 hours old/);
});

test('a database newer than the program, a world-writable settings file, a certificate about to expire: FAIL/WARN, exit 1', () => {
  const dir = join(tmp, 'newer');
  mkdirSync(dir);
  const db = join(dir, 'jiceng.db');
  assert.equal(jiceng(['init', db]).status, 0);
  execFileSync('sqlite3', [db, 'PRAGMA user_version=99']);
  const cert = join(tmp, 'soon.crt'), key = join(tmp, 'soon.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-subj', '/CN=soon', '-days', '3'], { stdio: 'ignore' });
  chmodSync(key, 0o600);
  const conf = join(tmp, 'open.conf');
  writeFileSync(conf, `data-dir = ${dir}\ntls-cert = ${cert}\ntls-key = ${key}\n`);
  chmodSync(conf, 0o666);
  const r = spawnSync(BIN, ['doctor', '--config', conf], { cwd: ROOT, encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  assert.equal(r.status, 1, out);
  assert.match(line(out, /schema/), /^FAIL +schema: the database is newer than this program \(core 99 > \d+/);
  assert.match(line(out, /settings:/), /^FAIL +settings: .*open\.conf is writable by everyone/);
  assert.match(line(out, /TLS/), /^WARN +TLS: the certificate .*CN ?= ?soon.* expires in [23] days/);
  // what a newer program wrote is not verified by this one (an older `audit verify` read a
  // derived prev_hash as tampering): refused, not FAILED
  const deep = doctor(['--db', db, '--deep']);
  assert.match(line(deep.out, /trace:/), /^WARN +trace: not verified: this program would misread what a newer one wrote/);
  for (const sub of ['verify', 'log', 'head']) {
    const a = jiceng(['audit', sub, '--db', db]);
    assert.equal(a.status, 1, a.stdout + a.stderr);
    assert.doesNotMatch(a.stdout, /FAILED/);
    assert.match(a.stderr, /^jiceng audit: the database is newer than this program \(core schema 99 > \d+\)/);
  }
  const had = execFileSync('sqlite3', [db, "SELECT value FROM meta WHERE key = 'schema.dispatch'"], { encoding: 'utf8' }).trim();
  execFileSync('sqlite3', [db, `PRAGMA user_version=${/core 99 > (\d+)/.exec(out)[1]}; UPDATE meta SET value = '99' WHERE key = 'schema.dispatch'`]);
  const m = jiceng(['audit', 'verify', '--db', db]);
  assert.equal(m.status, 1, m.stdout + m.stderr);
  assert.match(m.stderr, /newer than this program \(module dispatch's schema\)/);
  execFileSync('sqlite3', [db, `UPDATE meta SET value = '${had}' WHERE key = 'schema.dispatch'`]);
  const ok = jiceng(['audit', 'verify', '--db', db]);
  assert.match(ok.stdout, /^ok: 0 entries/, ok.stderr);
});

test('a database its user cannot write: FAIL with what to fix', () => {
  assert.equal(process.getuid(), 0, 'this test runs doctor as another user: run the suite as root');
  const dir = join(tmp, 'ro');
  mkdirSync(dir);
  const db = join(dir, 'jiceng.db');
  assert.equal(jiceng(['init', db]).status, 0);
  chmodSync(tmp, 0o755);
  chmodSync(dir, 0o777);
  chmodSync(db, 0o444);
  const r = doctor(['--db', db], { cmd: 'setpriv', pre: ['--reuid=65534', '--regid=65534', '--clear-groups', BIN] });
  assert.equal(r.status, 1, r.out);
  assert.match(line(r.out, /database:/), /^FAIL +database: .*jiceng\.db is read-only for user nobody/);
  assert.match(r.out, /fix: give the file and its directory to the server's user/);
});

// operations.md's monitoring: every jiceng_ metric its table and its alert rules name is one
// /metrics serves (a misspelt name in an alert never fires, and nobody notices).
test('every metric operations.md names for monitoring and alerts is served by /metrics', async () => {
  const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
  const section = /\n## Monitoring\n([\s\S]*?)\n## /.exec(docs)?.[1];
  assert.ok(section, 'no "## Monitoring" section in docs/operations.md');
  const names = new Set(section.match(/\bjiceng_[a-z0-9_]+/g));
  // `jiceng_writer_jobs_total`, `_batches_total`, ...: the short ones are jiceng_writer_...
  for (const row of section.split('\n').filter(l => l.includes('`jiceng_writer_jobs_total`')))
    for (const m of row.matchAll(/`(_[a-z_]+)`/g)) names.add('jiceng_writer' + m[1]);
  assert.ok(names.size >= 10, [...names].join(' '));
  const srv = await startServer({ threads: 1 });
  servers.push(srv);
  const m = await srv.api('GET', '/metrics');
  assert.equal(m.status, 200);
  const served = new Set(m.text.split('\n').filter(l => l && !l.startsWith('#')).map(l => l.split(/[{ ]/)[0]));
  const missing = [...names].filter(n => !['', '_bucket', '_sum', '_count'].some(s => served.has(n + s)));
  assert.deepEqual(missing, [], 'named in operations.md, not served by /metrics');
});

test('a database kept on another disk through a symbolic link: the disk checked is the database\'s', () => {
  // the server refuses writes by the free space where the database is (statvfs follows the
  // link); doctor looked at the state directory's disk instead
  const real = join(tmp, 'bigdisk'), state = join(tmp, 'linkstate');
  mkdirSync(real);
  mkdirSync(state);
  assert.equal(jiceng(['init', join(real, 'jiceng.db')]).status, 0);
  symlinkSync(join(real, 'jiceng.db'), join(state, 'jiceng.db'));
  const r = doctor(['--data-dir', state]);
  assert.match(line(r.out, /^\S+ +disk:/), new RegExp(` on ${real.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), r.out);
});
