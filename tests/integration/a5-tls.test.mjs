// TLS by jiceng itself: a self-signed certificate made by openssl here;
// HTTPS answers with Strict-Transport-Security on the API and the static
// files; ALPN never selects h2 (docs/security.md: HTTP/1.1 only); plain HTTP
// on the TLS port gets nothing; SIGHUP loads a renewed certificate for new
// connections; a key that does not match, or a missing file, stops the start
// with what is wrong. The nginx front documented in operations.md runs as
// pasted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import tls from 'node:tls';
import { jiceng, freePort, BIN, ROOT, DEMO_PASSWORD } from './lib.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'jiceng-tls-'));
let proc;
after(async () => {
  if (proc && proc.exitCode === null && !proc.signalCode) { proc.kill('SIGTERM'); await new Promise(r => proc.once('exit', r)); }
  rmSync(tmp, { recursive: true, force: true });
});

// A self-signed certificate for 127.0.0.1 named cn.
function makeCert(cn) {
  const cert = join(tmp, `${cn}.crt`), key = join(tmp, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2'], { stdio: 'ignore' });
  return { cert, key, pem: readFileSync(cert) };
}

// GET/POST over HTTPS trusting ca; resolves {status, headers, body}.
function req(port, ca, method, path, body) {
  return new Promise((res, rej) => {
    const r = https.request({ host: '127.0.0.1', port, method, path, ca, headers: body ? { 'content-type': 'application/json' } : {} }, s => {
      let data = '';
      s.on('data', d => { data += d; });
      s.on('end', () => res({ status: s.statusCode, headers: s.headers, body: data }));
    });
    r.on('error', rej);
    if (body) r.write(JSON.stringify(body));
    r.end();
  });
}

// The ALPN protocol and the certificate's CN of one new TLS connection.
function handshake(port, ca, protocols) {
  return new Promise((res, rej) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, ALPNProtocols: protocols }, () => {
      const out = { alpn: s.alpnProtocol, cn: s.getPeerCertificate().subject.CN, version: s.getProtocol() };
      s.end();
      res(out);
    });
    s.on('error', rej);
  });
}

test('HTTPS with HSTS, HTTP/1.1 only, no plain HTTP, a renewed certificate on SIGHUP', async () => {
  const a = makeCert('jiceng-a'), b = makeCert('jiceng-b');
  const cert = join(tmp, 'server.crt'), key = join(tmp, 'server.key');
  copyFileSync(a.cert, cert);
  copyFileSync(a.key, key);
  const db = join(tmp, 'tls.db');
  assert.equal(jiceng(['init', db]).status, 0);
  assert.equal(jiceng(['demo', '--db', db]).status, 0);
  const port = await freePort();
  proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--threads', '2', '--tls-cert', cert, '--tls-key', key], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', d => { log += d; });
  let h;
  for (let i = 0; i < 200 && !h; i++) {
    try { h = await req(port, a.pem, 'GET', '/healthz'); } catch { await new Promise(r => setTimeout(r, 50)); }
  }
  assert.ok(h, 'no HTTPS answer: ' + log);
  assert.equal(h.status, 200);
  assert.equal(h.headers['strict-transport-security'], 'max-age=31536000');
  const page = await req(port, a.pem, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<html/i);
  assert.equal(page.headers['strict-transport-security'], 'max-age=31536000');
  const login = await req(port, a.pem, 'POST', '/api/v1/session', { name: 'dispatcher', password: DEMO_PASSWORD });
  assert.equal(login.status, 200, login.body);
  assert.equal(login.headers['strict-transport-security'], 'max-age=31536000');
  // a browser login over TLS: the session cookie is Secure
  const web = await req(port, a.pem, 'POST', '/api/v1/session', { name: 'dispatcher', password: DEMO_PASSWORD, cookie: true });
  assert.equal(web.status, 200, web.body);
  assert.match(String(web.headers['set-cookie']), /jiceng_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Secure/);
  // ALPN: HTTP/1.1, never h2, even when the client prefers it
  let hs = await handshake(port, a.pem, ['h2', 'http/1.1']);
  assert.equal(hs.alpn, 'http/1.1');
  assert.match(hs.version, /^TLSv1\.[23]$/);
  hs = await handshake(port, a.pem, ['h2']);
  assert.notEqual(hs.alpn, 'h2');
  assert.equal(hs.cn, 'jiceng-a');
  // plain HTTP on the TLS port: no answer
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) }));
  // a renewed certificate: new connections get it after SIGHUP
  copyFileSync(b.cert, cert);
  copyFileSync(b.key, key);
  proc.kill('SIGHUP');
  for (let i = 0; i < 100 && !/TLS certificate reloaded: .*CN ?= ?jiceng-b/.test(log); i++) await new Promise(r => setTimeout(r, 50));
  assert.match(log, /TLS certificate reloaded: .*jiceng-b/);
  hs = await handshake(port, b.pem, ['http/1.1']);
  assert.equal(hs.cn, 'jiceng-b');
  // a broken renewal (the key of another certificate) keeps the working one
  copyFileSync(a.key, key);
  proc.kill('SIGHUP');
  for (let i = 0; i < 100 && !/TLS certificate not reloaded/.test(log); i++) await new Promise(r => setTimeout(r, 50));
  assert.match(log, /TLS certificate not reloaded: the private key .* does not belong to the certificate/);
  hs = await handshake(port, b.pem, ['http/1.1']);
  assert.equal(hs.cn, 'jiceng-b');
  proc.kill('SIGTERM');
  assert.equal(await new Promise(r => proc.once('exit', r)), 0);
});

test('a key that does not match, a missing file, one of the pair alone: not starting, and why', async () => {
  const a = makeCert('jiceng-c'), b = makeCert('jiceng-d');
  const db = join(tmp, 'tls.db');
  const port = await freePort();
  const serve = args => spawnSync(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 15000 });
  let r = serve(['--tls-cert', a.cert, '--tls-key', b.key]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the private key .*jiceng-d\.key does not belong to the certificate .*jiceng-c\.crt; not starting/);
  r = serve(['--tls-cert', join(tmp, 'nope.crt'), '--tls-key', a.key]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot load the certificate .*nope\.crt/);
  r = serve(['--tls-cert', a.cert]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--tls-cert and --tls-key go together/);
});

// The nginx front of docs/operations.md, pasted as it stands (only the
// certificate paths and the ports changed): nginx -t takes it (a directive
// the Debian 12 nginx does not know, `http2 off`, made it refuse the file),
// plain HTTP is sent to HTTPS, HTTPS reaches jiceng with HSTS, the session
// cookie is Secure (X-Forwarded-Proto), /metrics is denied, and a live
// update comes through at once (not held in nginx's buffers).
test('the nginx front of operations.md: pasted, it runs', async () => {
  const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
  let site = /### nginx in front\s+```nginx\n([\s\S]*?)```/.exec(docs)?.[1];
  assert.ok(site, 'no nginx block under "### nginx in front" in docs/operations.md');
  const c = makeCert('nginx-front');
  const jport = await freePort(), plain = await freePort(), tport = await freePort();
  const swap = (from, to) => { assert.ok(site.includes(from), `the nginx block has no '${from}'`); site = site.replaceAll(from, to); };
  swap('/etc/letsencrypt/live/jiceng.example.gov.cn/fullchain.pem', c.cert);
  swap('/etc/letsencrypt/live/jiceng.example.gov.cn/privkey.pem', c.key);
  swap('listen 80;', `listen 127.0.0.1:${plain};`);
  swap('listen 443 ssl;', `listen 127.0.0.1:${tport} ssl;`);
  swap('http://127.0.0.1:8080', `http://127.0.0.1:${jport}`);
  const dir = join(tmp, 'nginx');
  mkdirSync(dir);
  writeFileSync(join(dir, 'site.conf'), site);
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(t => `${t}_temp_path ${join(dir, t)};`).join(' ');
  writeFileSync(join(dir, 'nginx.conf'), `pid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')};\ndaemon off;\nevents {}\n` +
    `http {\n  access_log off;\n  ${temps}\n  include ${join(dir, 'site.conf')};\n}\n`);
  const t = spawnSync('nginx', ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { encoding: 'utf8' });
  assert.equal(t.status, 0, 'nginx -t refuses the documented configuration: ' + t.stderr);
  const ngx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const db = join(tmp, 'front.db');
  assert.equal(jiceng(['init', db]).status, 0);
  assert.equal(jiceng(['demo', '--db', db]).status, 0);
  const js = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${jport}`, '--threads', '2', '--no-config'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  js.stderr.on('data', d => { log += d; });
  try {
    let h;
    for (let i = 0; i < 200 && !(h && h.status === 200); i++) {
      try { h = await req(tport, c.pem, 'GET', '/healthz'); } catch { /* not yet */ }
      if (!(h && h.status === 200)) await new Promise(r => setTimeout(r, 50));
    }
    assert.equal(h?.status, 200, 'no answer through nginx: ' + log + readFileSync(join(dir, 'error.log'), 'utf8'));
    assert.equal(JSON.parse(h.body).status, 'ok');
    assert.equal(h.headers['strict-transport-security'], 'max-age=31536000');
    const r301 = await fetch(`http://127.0.0.1:${plain}/healthz`, { redirect: 'manual' });
    assert.equal(r301.status, 301);
    assert.match(r301.headers.get('location'), /^https:\/\/127\.0\.0\.1\/healthz$/);
    const login = await req(tport, c.pem, 'POST', '/api/v1/session', { name: 'dispatcher', password: DEMO_PASSWORD, cookie: true });
    assert.equal(login.status, 200, login.body);
    assert.match(String(login.headers['set-cookie']), /; Secure/);
    const token = JSON.parse(login.body).token;
    assert.equal((await req(tport, c.pem, 'GET', '/metrics')).status, 403);
    // a live update through the proxy while the stream stays open
    let stream = '';
    const sse = https.get({ host: '127.0.0.1', port: tport, path: `/api/v1/events?token=${token}`, ca: c.pem }, s => s.on('data', d => { stream += d; }));
    sse.on('error', () => { /* closed at the end */ });
    for (let i = 0; i < 100 && !stream.includes('jiceng live updates'); i++) await new Promise(r => setTimeout(r, 50));
    assert.match(stream, /jiceng live updates/, 'the stream\'s first lines did not come through nginx');
    const made = await new Promise((res, rej) => {
      const r = https.request({ host: '127.0.0.1', port: tport, method: 'POST', path: '/api/v1/cases', ca: c.pem,
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token } }, s => { let d = ''; s.on('data', x => { d += x; }); s.on('end', () => res({ status: s.statusCode, body: d })); });
      r.on('error', rej);
      r.end(JSON.stringify({ title: '经反向代理', category: '0104', area: '110101001001001' }));
    });
    assert.equal(made.status, 201, made.body);
    const id = JSON.parse(made.body).id;
    for (let i = 0; i < 100 && !stream.includes(`"case_id":${id},`); i++) await new Promise(r => setTimeout(r, 50));
    assert.match(stream, new RegExp(`event: case\\ndata: \\{[^\\n]*"case_id":${id},`), 'the case event did not come through nginx within 5 s:\n' + stream);
    sse.destroy();
  } finally {
    for (const p of [js, ngx]) if (p.exitCode === null && !p.signalCode) { p.kill('SIGTERM'); await new Promise(r => p.once('exit', r)); }
  }
});
