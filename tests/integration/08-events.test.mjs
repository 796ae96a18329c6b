// Live updates: GET /api/v1/events streams committed case events (from the
// audit log) to each subscriber within its scope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sseListen, dbQuery } from './lib.mjs';

let srv, T = {};
before(async () => {
  srv = await startServer();
  for (const n of ['resident1', 'resident2', 'community1', 'community2', 'dispatcher', 'admin', 'dept_chengguan']) T[n] = await srv.login(n);
});
after(async () => { await srv.cleanup(); });

// Collects the events of one stream for ms milliseconds.
async function listen(token, ms, headers = {}) {
  const s = await sseListen(`${srv.url}/api/v1/events${token ? '?token=' + token : ''}`, headers);
  if (s.status !== 200) return { status: s.status, events: s.events };
  assert.match(s.contentType, /text\/event-stream/);
  return { status: 200, events: s.events, stop: s.stop, wait: () => new Promise(r => setTimeout(r, ms)) };
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

// Each module's feed (module.h's .live): alarms (sensor) and warnings
// (warning) reach the staff whose area holds their grid or area, not
// residents, not department staff; nothing from well before a stream began.
test('alarms and warnings go to the staff of their area', async () => {
  const G1 = '110101001001001', G2 = '110101001002001';
  const dev = async (id, grid) => {
    const r = await srv.api('POST', '/api/v1/devices', { token: T.admin, body: { id, type: 'smoke', grid, lon: 116.39, lat: 39.91 } });
    assert.equal(r.status, 201, r.text);
  };
  await dev('live-smoke-1', G1);
  await dev('live-smoke-2', G2);
  const old = await srv.api('POST', '/api/v1/readings', { token: T.admin, body: { device: 'live-smoke-2', values: { smoke: 1 } } });
  assert.ok(old.status < 300, old.text); // an alarm before the streams: not sent
  for (let i = 0; ; i++) { // readings reach the writer in batches: wait for its alarm
    const a = await srv.api('GET', '/api/v1/alarms?device=live-smoke-2', { token: T.admin });
    if (a.json.alarms.length) break;
    assert.ok(i < 100, 'no alarm for live-smoke-2');
    await new Promise(r => setTimeout(r, 100));
  }
  // a thread that still serves a stream polls every 500 ms: a new stream
  // there gets what came since its last poll; wait past it
  await new Promise(r => setTimeout(r, 700));
  const c1 = await listen(T.community1, 0);
  const c2 = await listen(T.community2, 0);
  const r1 = await listen(T.resident1, 0);
  const d1 = await listen(T.dept_chengguan, 0);
  const st = await listen(T.dispatcher, 0);
  await new Promise(r => setTimeout(r, 700)); // the streams are set up
  const r = await srv.api('POST', '/api/v1/readings', { token: T.admin, body: { device: 'live-smoke-1', values: { smoke: 1 } } });
  assert.ok(r.status < 300, r.text);
  const now = Date.now();
  // a warning written by another program (SQL both backends take)
  dbQuery(srv.db, `INSERT INTO warnings(category, area, day, observed, expected, threshold, method, params, state, created_at)
    VALUES('0301', '110101001002', '2026-01-01', 9, 2, 5, 'ears_c2', '{}', 'open', ${now})`);
  await new Promise(r => setTimeout(r, 2500));
  await Promise.all([c1.stop(), c2.stop(), r1.stop(), d1.stop(), st.stop()]);
  const of = (s, type) => s.events.filter(e => e.type === type);
  assert.deepEqual(of(c1, 'alarm').map(e => e.device), ['live-smoke-1'], JSON.stringify(c1.events));
  assert.equal(of(c1, 'alarm')[0].grid, G1);
  assert.deepEqual(of(c2, 'alarm'), [], 'community 2 does not see community 1 alarms, nor its own from before');
  assert.deepEqual(of(st, 'alarm').map(e => e.device), ['live-smoke-1']);
  assert.deepEqual(of(c1, 'warning'), []);
  assert.deepEqual(of(c2, 'warning').map(e => [e.category, e.area, e.observed, e.state]), [['0301', '110101001002', 9, 'open']]);
  assert.deepEqual(of(st, 'warning').map(e => e.area), ['110101001002']);
  for (const s of [r1, d1]) assert.deepEqual(s.events.filter(e => e.type === 'alarm' || e.type === 'warning'), []);
});
