// The HTTP layer under attack (issue 18, findings 1, 4 and 7), over raw TCP
// sockets and node's HTTP/2 client: request smuggling primitives are answered
// 400 and the connection closed (RFC 9112 §6.1, §6.3) so that a request
// hidden behind them never runs; cleartext HTTP/2 (h2c) is refused, and a
// HEADERS+RST_STREAM flood leaves the server responsive with its memory
// bounded; static files refuse NUL and odd paths and carry the security
// headers; /vendor serves only the libraries the UI loads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { startServer } from './lib.mjs';

let srv;
before(async () => { srv = await startServer({ seed: false }); });
after(async () => { await srv?.cleanup(); });

// Sends raw bytes; resolves with everything received and whether the server
// closed the connection (within ms).
function raw(bytes, ms = 1500) {
  return new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = (closed) => { if (done) return; done = true; s.destroy(); resolve({ text: Buffer.concat(chunks).toString('latin1'), closed }); };
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', reject);
    s.write(bytes);
    setTimeout(() => finish(false), ms);
  });
}
const responses = (t) => (t.match(/HTTP\/1\.[01] \d{3}/g) || []);
const HIDDEN = 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n';

test('two different Content-Length headers: 400, closed, the hidden request never runs', async () => {
  const r = await raw('POST /api/v1/session HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 35\r\n\r\n' + HIDDEN);
  assert.deepEqual(responses(r.text), ['HTTP/1.1 400'], r.text);
  assert.ok(r.closed, 'the connection must be closed');
  assert.match(r.text, /Connection: close/i);
  assert.doesNotMatch(r.text, /"status":"ok"/);
});

test('Content-Length with Transfer-Encoding, and other ambiguous framing: 400 and closed', async () => {
  const cases = [
    'POST /api/v1/session HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' + HIDDEN,
    'POST /api/v1/session HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n' + HIDDEN,
    'POST /api/v1/session HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' + HIDDEN,
    'POST /api/v1/session HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST /api/v1/session HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}' + HIDDEN,
    'GET /index.html HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n' + HIDDEN,
  ];
  for (const c of cases) {
    const r = await raw(c);
    assert.deepEqual(responses(r.text), ['HTTP/1.1 400'], c + '\n=> ' + r.text);
    assert.ok(r.closed, 'closed after: ' + c);
  }
});

test('plain keep-alive pipelining and chunked bodies still work', async () => {
  const login = '{"name":"nobody","password":"x"}';
  const r = await raw(HIDDEN + HIDDEN + `POST /api/v1/session HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${login.length}\r\n\r\n${login}`);
  assert.deepEqual(responses(r.text), ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 401'], r.text);
  assert.ok(!r.closed, 'a well-framed connection stays open');
  const c = await raw(`POST /api/v1/session HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${login.length.toString(16)}\r\n${login}\r\n0\r\n\r\n`);
  assert.deepEqual(responses(c.text), ['HTTP/1.1 401'], c.text);
});

function rssKiB(pid) {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
}
async function healthzMs() {
  const t0 = performance.now();
  const r = await fetch(srv.url + '/healthz');
  assert.equal(r.status, 200);
  return performance.now() - t0;
}

test('cleartext HTTP/2 is refused (prior knowledge and Upgrade: h2c)', async () => {
  const pri = await raw('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  assert.match(pri.text, /^HTTP\/1\.1 400/, 'the HTTP/2 preface must not be answered with HTTP/2 frames');
  const up = await raw('GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n');
  assert.doesNotMatch(up.text, /101 Switching Protocols/);
  assert.match(up.text, /^HTTP\/1\.1 200/);
});

test('a HEADERS+RST_STREAM flood over h2c: refused, /healthz stays fast, memory bounded', async () => {
  const before = rssKiB(srv.proc.pid);
  const PAIRS = 20000;
  let sent = 0, h2 = false;
  await new Promise((resolve) => {
    const client = http2.connect(srv.url);
    client.on('error', () => resolve());
    client.on('close', () => resolve());
    client.on('remoteSettings', () => { h2 = true; });
    client.on('connect', () => {
      // the rapid-reset pattern: open a stream and cancel it at once
      for (let i = 0; i < PAIRS && !client.destroyed; i++) {
        const req = client.request({ ':path': '/api/v1/duties' });
        req.on('error', () => {});
        req.close(http2.constants.NGHTTP2_CANCEL);
        sent++;
      }
      setTimeout(() => { client.destroy(); resolve(); }, 2000);
    });
    setTimeout(() => { client.destroy(); resolve(); }, 15000);
  });
  assert.equal(h2, false, `the server spoke HTTP/2 over cleartext (${sent} streams opened and reset)`);
  const worst = Math.max(await healthzMs(), await healthzMs(), await healthzMs());
  assert.ok(worst < 500, `/healthz took ${worst.toFixed(0)} ms after the flood`);
  const grown = rssKiB(srv.proc.pid) - before;
  assert.ok(grown < 64 * 1024, `RSS grew by ${grown} KiB`);
});

test('static files: NUL and odd paths refused, the file served is the file named', async () => {
  for (const p of ['/index.html%00.js', '/favicon.svg%00.html', '/index.html%0a', '/%2e%2e/Makefile', '/.git/config',
    '/js/..%2f..%2fMakefile', '/js%5capi.js', '/index.html%']) {
    const r = await raw(`GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 (400|404)/, p + ' => ' + r.text.slice(0, 80));
  }
  const nul = await fetch(srv.url + '/index.html%00.js');
  assert.equal(nul.status, 400);
  const js = await fetch(srv.url + '/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /javascript/);
});

test('security headers: the UI policy on web files, nothing allowed on the API', async () => {
  const page = await fetch(srv.url + '/');
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy');
  assert.ok(csp, 'a Content-Security-Policy on the UI');
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /object-src 'none'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  const html = await page.text();
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handler (script-src would block it)');
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)/i, 'no inline script');
  const api = await fetch(srv.url + '/api/v1/config');
  assert.equal(api.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
  assert.equal(api.headers.get('x-frame-options'), 'DENY');
  const h = await fetch(srv.url + '/healthz');
  assert.equal(h.headers.get('x-content-type-options'), 'nosniff');
});

test('/vendor serves the UI libraries only, not the whole node_modules', async () => {
  assert.equal((await fetch(srv.url + '/vendor/leaflet/dist/leaflet.css')).status, 200);
  assert.equal((await fetch(srv.url + '/vendor/echarts/dist/echarts.esm.min.js')).status, 200);
  assert.equal((await fetch(srv.url + '/vendor/qrcode-generator/dist/qrcode.js')).status, 200); // the printed forms' QR code
  for (const p of ['/vendor/playwright-core/package.json', '/vendor/leaflet/package.json', '/vendor/qrcode-generator/package.json', '/vendor/.package-lock.json'])
    assert.ok([400, 404].includes((await fetch(srv.url + p)).status), p);
});
