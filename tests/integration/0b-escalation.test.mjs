// Escalation (督办) without a storm: however long a case stays overdue, the
// timer writes one reminder (临期), one 超时督办 (level 1) and, after the
// configured working interval, one 领导督办 (level 2) per phase -- nights and
// weekends add nothing, a restart adds nothing; the supervisor's own 督办 are
// counted apart; the levels and intervals are designer settings.  Time runs
// on the platform clock (`jiceng clock set`), moved step by step to chosen
// instants and then run at 20,000x (a real second is 5.6 hours).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng, filler } from './lib.mjs';

let srv, T = {};
const P = { lon: 116.3975, lat: 39.907 }; // in grid 110101001001001
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function login() { for (const n of ['resident1', 'dispatcher', 'supervisor', 'admin']) T[n] = await srv.login(n); }
// Sets the platform clock to Beijing time `at` running at `speed`; the
// server reads it (and its timer acts) within a second.
async function clock(at, speed = 1) {
  const r = jiceng(['clock', 'set', '--db', srv.db, '--start', at + '+08:00', '--speed', String(speed)]);
  assert.equal(r.status, 0, r.stderr);
  await sleep(1600);
}
before(async () => {
  srv = await startServer();
  await login();
});
after(async () => { await srv.cleanup(); });

async function newCase(title) {
  const c = await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title, body: filler(), category: '0101', ...P } });
  assert.equal(c.status, 201, c.text);
  const d = await srv.api('POST', `/api/v1/cases/${c.json.id}/register`, { token: T.dispatcher, body: {} });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.state, 'dispatched');
  return c.json.id;
}
const get = async (id) => (await srv.api('GET', `/api/v1/cases/${id}`, { token: T.supervisor })).json;
const timerEntries = (k) => k.timeline.filter((e) => e.actor === 'timer').map((e) => [e.action, JSON.parse(e.reason)]);

test('an overdue case gets one reminder, one 超时督办 and one 领导督办, however long it waits, and none after a restart', async () => {
  await clock('2026-11-23T09:00:00'); // a Monday
  const id = await newCase('占道经营一直没人管'); // accept within 2 working hours: by ~11:00
  await clock('2026-11-23T10:45:00'); // past 80 %
  assert.deepEqual(timerEntries(await get(id)).map(([a]) => a), ['remind']);
  await clock('2026-11-23T11:30:00'); // past the deadline
  assert.deepEqual(timerEntries(await get(id)).map(([a]) => a), ['remind', 'escalate']);
  await clock('2026-11-23T11:40:00', 20000);
  await sleep(10000); // ~56 more hours: two nights, the leader's working day long past
  let k = await get(id);
  let entries = timerEntries(k);
  assert.deepEqual(entries.map(([a, r]) => [a, r.code, r.level ?? null]),
    [['remind', 'remind', null], ['escalate', 'overdue', 1], ['escalate', 'overdue', 2]], JSON.stringify(entries));
  assert.equal(entries[0][1].phase, 'accept');
  assert.equal(entries[0][1].pct, 80);
  const ph = k.phases.find((p) => p.phase === 'accept');
  assert.equal(ph.level, 2);
  assert.ok(k.flags.includes('overdue'));
  assert.ok(!k.flags.includes('reminded'), 'not 临期 and 逾期 at once: ' + k.flags);
  assert.equal(k.escalation, 0, "the timer's levels are not the supervisor's 督办");
  // 领导督办 a working day (7 working hours) after the deadline: due Tuesday ~11:00;
  // the timer looks once a real second, 5.6 simulated hours at this speed (more on a busy machine)
  const local = (iso) => new Date(Date.parse(iso) + 8 * 3600e3).toISOString();
  const at = k.timeline.filter((e) => e.actor === 'timer').map((e) => local(e.at));
  assert.ok(at[2] >= '2026-11-24T11' && at[2] < '2026-11-25T12', at.join(' '));
  assert.ok(Date.parse(ph.overdue_at) >= Date.parse('2026-11-24T03:00:00Z'), 'level 2 not before the working day passed: ' + ph.overdue_at);
  // the supervisor's own 督办 is counted apart
  const s = await srv.api('POST', `/api/v1/cases/${id}/escalate`, { token: T.supervisor, body: { note: '请尽快处理' } });
  assert.equal(s.status, 200, s.text);
  assert.equal(s.json.escalation, 1);
  // a restart while it stays overdue adds nothing
  await srv.stop();
  await sleep(2000);
  srv = await startServer({ db: srv.db, dir: srv.dir, port: srv.port });
  await login();
  await sleep(4000);
  k = await get(id);
  assert.equal(timerEntries(k).length, 3, JSON.stringify(timerEntries(k)));
  assert.equal(k.escalation, 1);
  const q = await srv.api('GET', '/api/v1/cases?escalated=1', { token: T.supervisor });
  assert.ok(q.json.cases.some((c) => c.id === id), "in the supervisor's 督办 queue");
  const o = await srv.api('GET', '/api/v1/cases?overdue=1', { token: T.supervisor });
  assert.ok(o.json.cases.some((c) => c.id === id));
});

test('the escalation settings: validated, audited, and used by the timer', async () => {
  const def = await srv.api('GET', '/api/v1/escalation/config', { token: T.dispatcher });
  assert.deepEqual([def.json.remind_pct, def.json.leader_level, def.json.leader_after_h], [80, true, 7]);
  const bad = await srv.api('PUT', '/api/v1/escalation/config', { token: T.dispatcher, body: { remind_pct: 100 } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json.error.detail, { code: 'setting_range', field: 'remind_pct', min: '50', max: '95' });
  assert.ok(!bad.json.error.message.includes('\u001f'), bad.json.error.message);
  assert.equal((await srv.api('PUT', '/api/v1/escalation/config', { token: T.dispatcher, body: { leader_after_h: 0 } })).status, 400);
  assert.equal((await srv.api('PUT', '/api/v1/escalation/config', { token: T.dispatcher, body: { leader_level: 'no' } })).status, 400);
  assert.equal((await srv.api('PUT', '/api/v1/escalation/config', { token: T.supervisor, body: { remind_pct: 60 } })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/escalation/config', { token: T.dispatcher })).json.remind_pct, 80, 'nothing changed');
  const ok = await srv.api('PUT', '/api/v1/escalation/config', { token: T.admin, body: { remind_pct: 60, leader_level: false } });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual([ok.json.remind_pct, ok.json.leader_level, ok.json.leader_after_h], [60, false, 7]);
  await clock('2026-11-30T09:00:00');
  const id = await newCase('占道经营再次出现'); // the reminder at 60 %: ~10:12
  await clock('2026-11-30T10:30:00');
  await clock('2026-11-30T10:31:00', 20000);
  await sleep(9000);
  const entries = timerEntries(await get(id));
  assert.deepEqual(entries.map(([a, r]) => [a, r.code, r.pct ?? r.level]), [['remind', 'remind', 60], ['escalate', 'overdue', 1]], JSON.stringify(entries));
  await srv.api('PUT', '/api/v1/escalation/config', { token: T.admin, body: { remind_pct: 80, leader_level: true } });
  await srv.stop();
  const v = jiceng(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  const log = jiceng(['audit', 'log', '--db', srv.db]);
  assert.match(log.stdout, /escalation_config/);
});
