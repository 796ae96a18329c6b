// Signals of a running server: SIGHUP reopens the log file (logrotate moves
// it first) and rereads log-level from the settings file; SIGUSR1 logs a
// status line; SIGUSR2 and SIGPIPE are logged or ignored, never fatal;
// SIGTERM stops it with exit 0. Every log line is one event with a level.
// Every other signal whose default would end the process is either logged
// and ignored (SIGALRM, SIGPOLL, SIGPWR, real-time signals ...) or stops it
// like SIGTERM (SIGQUIT, SIGXCPU): none kills it silently any more.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, renameSync, existsSync, rmSync, openSync, fstatSync, closeSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, freePort, waitHealthy, BIN, ROOT } from './lib.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'jiceng-signals-'));
let srv, srv2;
after(async () => { if (srv) await srv.cleanup(); if (srv2) await srv2.cleanup(); rmSync(tmp, { recursive: true, force: true }); });

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(debug|info|warn|error)\] \S/;
const read = f => existsSync(f) ? readFileSync(f, 'utf8') : '';

// Waits until file has a line matching re; returns the file's text.
async function waitFor(file, re, ms = 5000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const t = read(file);
    if (re.test(t)) return t;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`${file} has no line matching ${re}:\n${read(file)}`);
}

test('HUP reopens the log and rereads the settings; USR1, USR2, PIPE do not stop it; TERM does, with 0', async () => {
  const log = join(tmp, 'jiceng.log'), conf = join(tmp, 'jiceng.conf');
  writeFileSync(conf, 'log-level = info\n');
  srv = await startServer({ extraArgs: ['--config', conf, '--log', log] });
  await waitFor(log, /\[info\] jiceng .* serving http:\/\/127\.0\.0\.1:\d+\/ \(db .*, settings .*jiceng\.conf\)/);
  // logrotate: the file is moved away, then the server is told
  renameSync(log, log + '.1');
  srv.proc.kill('SIGHUP');
  await waitFor(log, /\[info\] SIGHUP \(from pid \d+\): log file .*jiceng\.log reopened/);
  assert.doesNotMatch(read(log + '.1'), /SIGHUP/);
  writeFileSync(conf, 'log-level = debug\n');
  srv.proc.kill('SIGHUP');
  await waitFor(log, /SIGHUP: log level now debug/);
  srv.proc.kill('SIGUSR1');
  await waitFor(log, /\[info\] status: up \d+s, \d+ requests \(\d+ 5xx\), writer \d+ jobs in \d+ batches/);
  srv.proc.kill('SIGUSR2');
  await waitFor(log, /SIGUSR2 \(from pid \d+\) ignored/);
  srv.proc.kill('SIGPIPE');
  await new Promise(r => setTimeout(r, 200));
  assert.equal(srv.proc.exitCode, null, 'the server died: ' + srv.log());
  assert.equal(srv.proc.signalCode, null);
  const r = await srv.api('GET', '/healthz');
  assert.equal(r.status, 200);
  // a bad settings file on HUP: named, and the server runs on
  writeFileSync(conf, 'log-level = loud\n');
  srv.proc.kill('SIGHUP');
  await waitFor(log, /SIGHUP: bad log-level 'loud'/);
  const exit = new Promise(res => srv.proc.once('exit', code => res(code)));
  srv.proc.kill('SIGTERM');
  assert.equal(await exit, 0);
  const text = await waitFor(log, /SIGTERM \(from pid \d+\): stopping/);
  for (const f of [text, read(log + '.1')])
    for (const line of f.split('\n').filter(Boolean)) assert.match(line, LINE, line);
  // the process's stderr got the same lines
  assert.match(srv.log(), /SIGUSR2 \(from pid \d+\) ignored/);
});

test('the other signals that would end a process: logged and ignored, or a drained stop', async () => {
  const log = join(tmp, 'other.log');
  srv2 = await startServer({ threads: 1, extraArgs: ['--no-config', '--log', log] });
  await waitFor(log, /serving http/);
  // these used to end it with no line at all (exit 128+n)
  const ignored = ['SIGALRM', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSTKFLT', 'SIGUSR2'];
  for (const sig of ignored) {
    srv2.proc.kill(sig);
    await waitFor(log, new RegExp(`\\[info\\] SIG(${sig.slice(3)}|POLL) \\(from pid \\d+\\) ignored`));
  }
  // a real-time signal (node names none: kill(1) sends it)
  execFileSync('kill', ['-s', 'RTMIN+2', String(srv2.proc.pid)]);
  await waitFor(log, /\[info\] SIGRTMIN\+2 \(from pid \d+\) ignored/);
  // SIGXFSZ is ignored outright: a write past the file size limit fails with EFBIG instead
  srv2.proc.kill('SIGXFSZ');
  await new Promise(r => setTimeout(r, 300));
  assert.equal(srv2.proc.exitCode, null, 'the server died: ' + srv2.log());
  assert.equal(srv2.proc.signalCode, null, 'the server died: ' + srv2.log());
  assert.equal((await srv2.api('GET', '/healthz')).status, 200);
  // SIGQUIT (a terminal's ^\\) stops it like SIGTERM: drained, exit 0, said so
  const exit = new Promise(res => srv2.proc.once('exit', (code, sig) => res([code, sig])));
  srv2.proc.kill('SIGQUIT');
  assert.deepEqual(await exit, [0, null]);
  const text = await waitFor(log, /\[info\] SIGQUIT \(from pid \d+\): stopping/);
  for (const line of text.split('\n').filter(Boolean)) assert.match(line, LINE, line);
});

// Under systemd (JOURNAL_STREAM names the stderr it was given) a line carries the journal's
// priority prefix instead of the time, so `journalctl -p warning` sorts them; elsewhere the
// time and the level in brackets (the tests above).
test('stderr to the journal: each line starts with its priority, <6> info, <4> warn, <3> error', async () => {
  const errFile = join(tmp, 'journal.txt'), conf = join(tmp, 'journal.conf');
  writeFileSync(conf, 'log-level = info\n');
  const fd = openSync(errFile, 'a');
  const st = fstatSync(fd);
  const db = join(tmp, 'journal.db');
  assert.equal(jiceng(['init', db]).status, 0);
  const port = await freePort();
  const p = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--threads', '1', '--config', conf],
    { cwd: ROOT, stdio: ['ignore', 'ignore', fd], env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}` } });
  closeSync(fd);
  try {
    await waitHealthy(`http://127.0.0.1:${port}`);
    await waitFor(errFile, /^<6>jiceng .* serving http/m);
    writeFileSync(conf, 'log-level = loud\n');
    p.kill('SIGHUP');
    await waitFor(errFile, /^<3>SIGHUP: bad log-level 'loud'/m);
    writeFileSync(conf, 'log-level = debug\n');
    p.kill('SIGHUP');
    await waitFor(errFile, /^<4>SIGHUP: log level now debug/m);
  } finally {
    const done = new Promise(r => p.once('exit', r));
    p.kill('SIGTERM');
    await done;
  }
  for (const line of read(errFile).split('\n').filter(Boolean)) assert.match(line, /^<[0-7]>\S/, line);
});
