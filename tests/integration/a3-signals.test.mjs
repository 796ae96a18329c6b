// Signals of a running server: SIGHUP reopens the log file (logrotate moves
// it first) and rereads log-level from the settings file; SIGUSR1 logs a
// status line; SIGUSR2 and SIGPIPE are logged or ignored, never fatal;
// SIGTERM stops it with exit 0. Every log line is one event with a level.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, renameSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'jiceng-signals-'));
let srv;
after(async () => { if (srv) await srv.cleanup(); rmSync(tmp, { recursive: true, force: true }); });

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
