// lib.mjs -- shared helpers of the integration and browser tests: start a real
// jiceng server on a free loopback port with its own temporary database (seeded
// with the demo street unless told otherwise), log in, call the API.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const BIN = process.env.JICENG_BIN || join(ROOT, 'build/jiceng');
export const SHARED = process.env.JICENG_SHARED || join(ROOT, '../shared');
export const DEMO_PASSWORD = 'jiceng-demo';

// 24 random characters: distinct filler text, so that unrelated test reports at
// one spot are not taken for duplicates of each other.
const FILLER = '东西南北上下左右前后山水木火土金日月星云风雨雪花草树鸟鱼车马路桥门窗灯';
export const filler = () => Array.from({ length: 24 }, () => FILLER[Math.floor(Math.random() * FILLER.length)]).join('');

export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

// Runs one SQL statement on a server's database (srv.db: an SQLite file, or a
// postgresql:// URL under JICENG_TEST_DB=pg) with its command-line client; the rows
// as text, columns separated by '|', trimmed. For SQL both backends take.
export function dbQuery(db, q) {
  // sqlite3 with a busy timeout: the server's writer may hold the lock for a moment
  // (the sanitized build under load answered 'database is locked' without one)
  const [cmd, args] = db.startsWith('postgresql://') ? ['psql', [db, '-qAtX', '-c', q]] : ['sqlite3', ['-cmd', '.timeout 10000', db, q]];
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

export function jiceng(args, opts = {}) {
  // Runs the CLI; returns {status, stdout, stderr} without throwing.
  try {
    const stdout = execFileSync(BIN, args, { cwd: ROOT, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    return { status: e.status, stdout: e.stdout?.toString() ?? '', stderr: e.stderr?.toString() ?? '' };
  }
}

export async function waitHealthy(url, ms = 10000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try { const r = await fetch(url + '/healthz'); if (r.ok) return; } catch { /* not yet */ }
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error('server did not become healthy at ' + url);
}

// PostgreSQL: the cluster tests/run.sh started (JICENG_TEST_PG), or else one this
// process starts with tests/pg.sh on first use and stops when it exits.
let ownCluster = null;
export function pgCluster() {
  if (process.env.JICENG_TEST_PG) return process.env.JICENG_TEST_PG;
  if (!ownCluster) {
    // three tries, each in a new directory, as tests/run.sh does (a start that failed
    // once under load was seen and not explained); pg.sh's own words in the error
    const errors = [];
    for (let i = 0; i < 3 && !ownCluster; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'jiceng-pg-'));
      try {
        const url = execFileSync(join(ROOT, 'tests/pg.sh'), ['start', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
        ownCluster = { dir, url };
      } catch (e) {
        errors.push(`try ${i + 1}: exit ${e.status}: ${e.stderr || e.message}`);
        try { execFileSync(join(ROOT, 'tests/pg.sh'), ['stop', dir], { stdio: 'ignore' }); } catch { /* gone */ }
      }
    }
    if (!ownCluster) throw new Error('tests/pg.sh could not start a cluster:\n' + errors.join('\n'));
    if (errors.length) console.error('tests/pg.sh started on a later try:\n' + errors.join('\n'));
    const { dir } = ownCluster;
    process.on('exit', () => {
      try { execFileSync(join(ROOT, 'tests/pg.sh'), ['stop', dir]); } catch { /* already gone */ }
    });
  }
  return ownCluster.url;
}

// Module people's key file on PostgreSQL (no file lies beside such a database):
// one per test process, in $JICENG_PEOPLE_KEY for the CLI and the servers it starts.
function pgPeopleKey() {
  if (process.env.JICENG_PEOPLE_KEY) return;
  const dir = mkdtempSync(join(tmpdir(), 'jiceng-key-'));
  process.env.JICENG_PEOPLE_KEY = join(dir, 'people-key');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

// A new empty PostgreSQL database in that cluster; returns {url, drop()}.
let pgSeq = 0;
export function startPostgres() {
  pgPeopleKey();
  const base = pgCluster();
  const name = `it_${process.pid}_${++pgSeq}`;
  execFileSync('psql', [base, '-qAtX', '-c', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
  const url = base.replace(/\/[^/]*$/, '/' + name);
  return {
    url,
    drop() {
      try { execFileSync('psql', [base, '-qAtX', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'pipe' }); } catch { /* cluster gone */ }
    },
  };
}

// Directories startServer made: a server started again on one (opts.dir)
// still removes it at cleanup, so that restarts leave nothing behind.
const madeDirs = new Set();

// Starts a server. Options: seed (default true), threads (2), db (reuse a path or a
// postgresql:// URL), pg (a new PostgreSQL database of the run's cluster instead of an
// SQLite file; dropped at cleanup), extraArgs, env (the server's environment instead of
// this process's).
export async function startServer(opts = {}) {
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'jiceng-test-'));
  if (!opts.dir) madeDirs.add(dir);
  const pg = (opts.pg ?? process.env.JICENG_TEST_DB === 'pg') && !opts.db ? startPostgres() : null;
  const db = opts.db || (pg ? pg.url : join(dir, 'test.db'));
  if (!opts.db) {
    let r = jiceng(['init', db]);
    if (r.status !== 0) throw new Error('init failed: ' + r.stderr);
    if (opts.seed !== false) {
      r = jiceng(['demo', '--db', db]);
      if (r.status !== 0) throw new Error('demo failed: ' + r.stderr + r.stdout);
    }
  }
  const port = opts.port || await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--threads', String(opts.threads || 2), ...(opts.extraArgs || [])];
  const proc = spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env || process.env });
  let log = '';
  proc.stdout.on('data', d => { log += d; });
  proc.stderr.on('data', d => { log += d; });
  await waitHealthy(url);
  const srv = {
    url, db, dir, port, proc,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode) return;
      const done = new Promise(r => proc.once('exit', r));
      proc.kill(signal);
      await done;
    },
    async cleanup() {
      await srv.stop();
      if (madeDirs.delete(dir)) rmSync(dir, { recursive: true, force: true });
      pg?.drop();
    },
    async login(name, password = DEMO_PASSWORD) {
      const r = await srv.api('POST', '/api/v1/session', { body: { name, password } });
      if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json.token;
    },
    // api(method, path, {token, body (object or raw string/Buffer), headers}) -> {status, json, text}
    async api(method, path, { token, body, headers = {} } = {}) {
      const h = { ...headers };
      if (token) h.authorization = 'Bearer ' + token;
      let payload;
      if (body !== undefined) {
        payload = (typeof body === 'string' || body instanceof Uint8Array) ? body : JSON.stringify(body);
        h['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, { method, headers: h, body: payload });
      const text = await res.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, json, text, headers: res.headers };
    },
  };
  return srv;
}

// Opens a live stream (Server-Sent Events) at url and collects its events as
// {type, ...data} objects until stop() (which resolves when reading ended).
// status: the answer's status; events stay empty unless it is 200.
export async function sseListen(url, headers = {}) {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal, headers });
  const events = [];
  if (res.status !== 200) return { status: res.status, events, contentType: res.headers.get('content-type'), stop: async () => ac.abort() };
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) events.push({ type, ...JSON.parse(data) });
        }
      }
    } catch { /* aborted */ }
  })();
  return { status: 200, events, contentType: res.headers.get('content-type'), stop: () => { ac.abort(); return done; } };
}
