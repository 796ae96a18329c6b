// Live updates: GET /api/v1/events streams committed case events (from the
// audit log) to each subscriber within its scope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';

let srv, T = {};
before(async () => {
  srv = await startServer();
  for (const n of ['resident1', 'resident2', 'community1', 'community2', 'dispatcher']) T[n] = await srv.login(n);
});
after(async () => { await srv.cleanup(); });

// Collects the events of one stream for ms milliseconds.
async function listen(token, ms, headers = {}) {
  const ac = new AbortController();
  const res = await fetch(`${srv.url}/api/v1/events${token ? '?token=' + token : ''}`, { signal: ac.signal, headers });
  const events = [];
  if (res.status !== 200) return { status: res.status, events };
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
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
  const stop = () => { ac.abort(); return done; };
  return { status: 200, events, stop, wait: () => new Promise(r => setTimeout(r, ms)) };
}

test('each subscriber gets the committed events it may see, live', async () => {
  const c1 = await listen(T.community1, 0);
  const c2 = await listen(T.community2, 0);
  const r1 = await listen(T.resident1, 0);
  const hdr = await listen(null, 0, { authorization: 'Bearer ' + T.dispatcher });
  await new Promise(r => setTimeout(r, 700)); // the streams are set up
  const mine = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '路灯', body: '不亮', category: '0202', area: '110101001001001' } })).json;
  await srv.api('POST', `/api/v1/cases/${mine.id}/register`, { token: T.dispatcher });
  const other = (await srv.api('POST', '/api/v1/cases', { token: T.resident2, body: { title: '噪音', body: '夜间', category: '0301', area: '110101001002001' } })).json;
  await new Promise(r => setTimeout(r, 2500)); // polled twice a second; room for a loaded machine
  await Promise.all([c1.stop(), c2.stop(), r1.stop(), hdr.stop()]);
  const ids = s => [...new Set(s.events.filter(e => e.type === 'case').map(e => e.case_id))];
  assert.deepEqual(ids(c1), [mine.id], 'community 1 sees its case only');
  // (a notify event about the case may come too, when the notifier's tick falls in the window)
  assert.deepEqual(c1.events.filter(e => e.type === 'case' && e.case_id === mine.id).map(e => e.action), ['report', 'register', 'dispatch']);
  assert.deepEqual(ids(c2), [other.id], 'community 2 sees its case only');
  assert.deepEqual(ids(r1), [mine.id], 'a resident sees her own case only');
  assert.deepEqual(ids(hdr).sort((a, b) => a - b), [mine.id, other.id], 'the street sees both (header auth)');
  // the first case event carries the case's number (a notify event may come before it)
  assert.equal(c1.events.find(e => e.type === 'case').no, mine.no);
});

test('no or bad token: 401', async () => {
  assert.equal((await listen(null, 0)).status, 401);
  assert.equal((await listen('f'.repeat(64), 0)).status, 401);
});
