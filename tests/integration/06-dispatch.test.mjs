// Automatic dispatch: locating, routing by the responsibility list (most
// specific entry, versions), returns, the whistle, duplicate merging, the
// calendar and working hours, deadlines re-armed, patrol findings.  Every test
// holds on both backends: tests/run.sh runs this file a second time on
// PostgreSQL (src/dispatch_pg.c).  What needs the case lists or another
// program's write is in 06-dispatch-lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbQuery } from './lib.mjs';
import { pointIn, dispatchServer, caseCalls } from './dispatch-lib.mjs';

let srv, T, D; // the server and tokens (dispatch-lib.mjs)
const x = dispatchServer(() => ({ srv, T, D } = x));
const { report, act, get } = caseCalls(x);

test('a point is located in its grid, in WGS-84, GCJ-02 and BD-09', async () => {
  const p = pointIn(1, 2);
  const c = await report('resident1', { title: '垃圾', category: '0104', ...p });
  assert.equal(c.area, '110101001001002');
  // the same place given in GCJ-02 (Amap): shifted by roughly +0.006/+0.0014 degrees
  const ex = await srv.api('POST', '/api/v1/route/explain', { token: T.dispatcher, body: { category: '0104', lon: p.lon + 0.006245, lat: p.lat + 0.001385, crs: 'gcj02' } });
  assert.equal(ex.status, 200);
  assert.equal(ex.json.grid, '110101001001002');
  const bd = await srv.api('POST', '/api/v1/route/explain', { token: T.dispatcher, body: { category: '0104', lon: p.lon + 0.012745, lat: p.lat + 0.007385, crs: 'bd09' } });
  assert.equal(bd.json.grid, '110101001001002');
  const bad = await srv.api('POST', '/api/v1/route/explain', { token: T.dispatcher, body: { category: '0104', lon: p.lon, lat: p.lat, crs: 'mars' } });
  assert.equal(bad.status, 400);
  const far = await report('resident1', { title: '垃圾', category: '0104', lon: 116.2, lat: 39.8 });
  assert.ok(far.flags.includes('unlocated'));
  assert.equal(far.area, '110101001');
});

test('registration routes by the most specific entry and explains why', async () => {
  const c = await report('resident1', { title: '暴露垃圾', body: '垃圾堆在路口', category: '0104', ...pointIn(1, 1) });
  const d = await act(c.id, 'register', 'dispatcher');
  assert.equal(d.state, 'dispatched');
  assert.equal(d.dept_id, D.chengguan);
  const full = await get(c.id);
  assert.equal(full.route.entry_id, 'S-0104-110101001', 'the street entry beats the district entry');
  assert.equal(full.route.lead_dept, 'chengguan');
  assert.equal(full.route.co_depts, 'wuye');
  assert.match(full.route.legal_basis, /生活垃圾管理条例/);
  assert.equal(full.route.list_version, 1);
  // the explanation is written out from the list version on reading
  assert.match(full.route.explanation, /街道 street 110101001: entry S-0104-110101001 applies/);
  assert.match(full.route.explanation, /区 district 110101: entry D-0104 is overridden by S-0104-110101001/);
  assert.match(full.route.explanation, /主办 lead: chengguan; 协办 co-handling: wuye/);
  assert.match(full.route.explanation, /依据 legal basis: .*生活垃圾管理条例/);
  assert.equal(full.owners.length, 2);
  assert.deepEqual(full.owners.map(o => o.role).sort(), ['co', 'lead']);
  assert.equal(full.phases.length, 1);
  assert.equal(full.phases[0].phase, 'accept');
  assert.ok(Date.parse(full.phases[0].deadline_at) > Date.now());
  assert.equal(full.timeline.at(-1).actor, 'dispatch');
  // co-handlers may see the case; departments not involved may not
  assert.equal((await srv.api('GET', `/api/v1/cases/${c.id}`, { token: T.dept_wuye })).status, 200);
  assert.equal((await srv.api('GET', `/api/v1/cases/${c.id}`, { token: T.dept_gongan })).status, 404);
  // a community pilot entry beats the district one only inside that community
  const n1 = await report('resident1', { title: '噪音', category: '0301', ...pointIn(1, 3) });
  assert.equal((await act(n1.id, 'register', 'dispatcher')).dept_id, D.gongan);
  const n2 = await report('resident1', { title: '噪音', category: '0301', ...pointIn(2, 3) });
  assert.equal((await act(n2.id, 'register', 'dispatcher')).dept_id, D.shengtai);
});

test('the list is versioned; a bad import changes nothing', async () => {
  const before = await srv.api('GET', '/api/v1/duties');
  assert.equal(before.json.version, 1);
  assert.ok(before.json.entries.length >= 21);
  const csv = (await srv.api('GET', '/api/v1/duties/csv')).text;
  const bad = csv.replace('D-1201,1201,110101,jiaotong', 'D-1201,1201,110101,nosuchdept');
  const r = await srv.api('POST', '/api/v1/duties/import', { token: T.dispatcher, body: bad, headers: { 'content-type': 'text/csv' } });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /row \d+.*nosuchdept/);
  assert.equal((await srv.api('GET', '/api/v1/duties')).json.version, 1);
  assert.equal((await srv.api('POST', '/api/v1/duties/import', { token: T.resident1, body: csv })).status, 403);
  // a case routed by version 1 goes on explaining itself by version 1
  const old = await report('resident1', { title: '机动车占用人行道', category: '1201', ...pointIn(3, 4) });
  await act(old.id, 'register', 'dispatcher');
  // version 2 moves 1201 (illegal parking) to the police
  const v2 = csv.replace('D-1201,1201,110101,jiaotong,gongan', 'D-1201,1201,110101,gongan,jiaotong');
  const ok = await srv.api('POST', '/api/v1/duties/import?note=parking%20to%20police', { token: T.dispatcher, body: v2 });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.version, 2);
  const c = await report('resident1', { title: '违停', category: '1201', ...pointIn(1, 1) });
  const d = await act(c.id, 'register', 'dispatcher');
  assert.equal(d.dept_id, D.gongan);
  const route2 = (await get(c.id)).route;
  assert.equal(route2.list_version, 2);
  assert.match(route2.explanation, /主办 lead: gongan; 协办 co-handling: jiaotong/);
  const route1 = (await get(old.id)).route;
  assert.equal(route1.list_version, 1);
  assert.match(route1.explanation, /主办 lead: jiaotong; 协办 co-handling: gongan/);
  const versions = (await srv.api('GET', '/api/v1/duties/versions')).json.versions;
  assert.deepEqual(versions.map(v => [v.version, v.active]), [[2, true], [1, false]]);
});

test('returns: rejected goes back, upheld is re-routed', async () => {
  const c = await report('resident1', { title: '堆物', category: '0102', ...pointIn(1, 1) });
  await act(c.id, 'register', 'dispatcher');
  const ret = await act(c.id, 'return', 'dept_chengguan', { reason: '不属于城管职责' });
  assert.equal(ret.state, 'returned');
  const rej = await act(c.id, 'reject', 'dispatcher', { reason: '清单明确由城管负责' });
  assert.equal(rej.state, 'dispatched');
  assert.equal(rej.dept_id, D.chengguan);
  await act(c.id, 'return', 'dept_chengguan', { reason: '仍不属于' });
  const up = await act(c.id, 'uphold', 'dispatcher', { note: '转物业' });
  assert.equal(up.state, 'registered');
  const re = await act(c.id, 'dispatch', 'dispatcher', { dept_id: D.wuye });
  assert.equal(re.dept_id, D.wuye);
  const full = await get(c.id);
  assert.deepEqual(full.returns.map(r => r.decision), ['rejected', 'upheld']);
  const lead = full.owners.filter(o => o.role === 'lead');
  assert.equal(lead.at(-1).dept_id, D.wuye);
  assert.ok(lead.some(o => o.end_reason === 'returned'), JSON.stringify(lead));
  assert.equal((await srv.api('GET', `/api/v1/cases/${c.id}`, { token: T.dept_chengguan })).status, 404, 'the old owner no longer sees it');
});

test('whistle: summoned departments check in (one late), the case cannot close until all finished', async () => {
  const c = await report('resident1', { title: '违建加消防隐患', category: '0103', ...pointIn(1, 1) });
  await act(c.id, 'register', 'dispatcher');
  await act(c.id, 'accept', 'dept_chengguan');
  const bad = await srv.api('POST', `/api/v1/cases/${c.id}/whistle`, { token: T.dispatcher, body: { dept_ids: [999] } });
  assert.equal(bad.status, 400);
  const w = await srv.api('POST', `/api/v1/cases/${c.id}/whistle`, { token: T.dispatcher, body: { dept_ids: [D.zhujian, D.xiaofang], checkin_minutes: 30, note: '联合执法' } });
  assert.equal(w.status, 201, w.text);
  const wid = w.json.whistle_id;
  const w2 = await srv.api('POST', `/api/v1/cases/${c.id}/whistle`, { token: T.dispatcher, body: { dept_ids: [D.shengtai], checkin_minutes: 0 } });
  assert.equal(w2.status, 201);
  const ci = await srv.api('POST', `/api/v1/whistles/${wid}/checkin`, { token: T.dept_zhujian });
  assert.equal(ci.status, 200, ci.text);
  assert.equal(ci.json.late, false);
  assert.equal((await srv.api('POST', `/api/v1/whistles/${wid}/checkin`, { token: T.dept_zhujian })).status, 409);
  assert.equal((await srv.api('POST', `/api/v1/whistles/${wid}/checkin`, { token: T.dept_gongan })).status, 404);
  // the ticker (every second) marks the 0-minute whistle's department late on the case's trace
  for (let i = 0; i < 50 && !(await get(c.id)).timeline.some(e => e.action === 'checkin_late'); i++)
    await new Promise(r => setTimeout(r, 100));
  const board = await srv.api('GET', '/api/v1/whistles?state=open', { token: T.dispatcher });
  const w2row = board.json.whistles.find(x => x.id === w2.json.whistle_id);
  assert.equal(w2row.members[0].late, 1);
  const late = await srv.api('POST', `/api/v1/whistles/${w2.json.whistle_id}/checkin`, { token: T.dept_shengtai });
  assert.equal(late.json.late, true);
  // the case moves on but cannot close while summoned departments have not finished
  await act(c.id, 'feedback', 'dept_chengguan', { note: '已拆除' });
  await act(c.id, 'verify', 'worker1');
  const blocked = await srv.api('POST', `/api/v1/cases/${c.id}/close`, { token: T.dispatcher });
  assert.equal(blocked.status, 409);
  assert.match(blocked.json.error.message, /whistle/);
  for (const [wh, who] of [[wid, 'dept_zhujian'], [wid, 'dept_xiaofang'], [w2.json.whistle_id, 'dept_shengtai']]) {
    const f = await srv.api('POST', `/api/v1/whistles/${wh}/finish`, { token: T[who], body: { note: '完成' } });
    assert.equal(f.status, 200, f.text);
  }
  const rate = await srv.api('POST', `/api/v1/whistles/${wid}/rate`, { token: T.dispatcher, body: { dept_id: D.xiaofang, rating: 5 } });
  assert.equal(rate.status, 200, rate.text);
  const closed = await act(c.id, 'close', 'dispatcher');
  assert.equal(closed.state, 'closed');
  const full = await get(c.id);
  assert.ok(!full.flags.includes('whistle'));
  const m = full.whistles.find(x => x.id === wid).members;
  assert.equal(m.find(x => x.dept_id === D.xiaofang).rating, 5);
  assert.equal(m.find(x => x.dept_id === D.xiaofang).late, 0, 'finishing in time counts as on time');
  assert.ok(full.timeline.some(e => e.action === 'checkin_late'));
  assert.equal(full.trace.verified, true);
});

test('a near-identical report nearby is merged; a distant or different one is not', async () => {
  const p = pointIn(3, 1);
  const orig = await report('resident1', { title: '消防通道被车堵住', body: '小区三号楼东侧消防通道被私家车长期占用，消防车无法通行', category: '0601', ...p });
  const dup = await report('resident2', { title: '消防通道被车堵住了', body: '小区三号楼东侧消防通道被私家车长期占用，消防车无法通行', category: '0601', lon: p.lon + 0.0002, lat: p.lat });
  assert.equal(dup.state, 'merged', JSON.stringify(dup));
  assert.equal(dup.merged_into, orig.id);
  const o = await get(orig.id);
  assert.equal(o.priority, 2, 'urgent category (1) + one merged report');
  assert.ok(o.duplicates.some(d => d.case_id === dup.id && d.auto === 1));
  // named by case numbers, as people read them
  const d = o.duplicates.find(x => x.case_id === dup.id);
  assert.match(d.case_no ?? '', new RegExp(`^JC\\d{8}-${dup.id}$`), JSON.stringify(d));
  assert.match(d.original_no ?? '', new RegExp(`^JC\\d{8}-${orig.id}$`), JSON.stringify(d));
  assert.equal((await srv.api('GET', `/api/v1/cases/${orig.id}`, { token: T.resident2 })).status, 200, 'the second reporter follows the original');
  const far = await report('resident2', { title: '消防通道堵了', body: '三号楼东侧的消防通道被私家车长期占用，消防车无法通行，请处理', category: '0601', lon: p.lon + 0.03, lat: p.lat });
  assert.equal(far.state, 'reported');
  const other = await report('resident2', { title: '消防通道堵了', body: '三号楼东侧的消防通道被私家车长期占用，消防车无法通行，请处理', category: '1201', ...p });
  assert.equal(other.state, 'reported');
  // a grid worker's patrol finding that duplicates an open one is merged, not registered
  const q = pointIn(1, 1);
  const first = await report('worker1', { title: '井盖缺失', body: '幸福路与和平街路口东北角的雨水井盖缺失，夜间很危险', category: '0201', source: 'patrol', ...q });
  assert.equal(first.state, 'dispatched', JSON.stringify(first));
  const again = await report('worker1', { title: '井盖缺失了', body: '幸福路与和平街路口东北角的雨水井盖缺失，夜间很危险', category: '0201', source: 'patrol', lon: q.lon + 0.0001, lat: q.lat });
  assert.equal(again.state, 'merged', JSON.stringify(again));
  assert.equal(again.merged_into, first.id);
});

test('the calendar: official data, staff corrections audited', async () => {
  const cal = await srv.api('GET', '/api/v1/calendar?year=2026');
  assert.equal(cal.json.last_known_year, 2026);
  assert.ok(cal.json.days.some(d => d.date === '2026-10-01' && d.kind === 'holiday'));
  assert.ok(cal.json.days.some(d => d.kind === 'adjusted_workday'));
  assert.equal((await srv.api('GET', '/api/v1/calendar?year=2027')).json.provisional, true);
  const put = await srv.api('PUT', '/api/v1/calendar/days/2027-01-01', { token: T.dispatcher, body: { kind: 'holiday', name: '元旦' } });
  assert.equal(put.status, 200, put.text);
  const c27 = await srv.api('GET', '/api/v1/calendar?year=2027');
  assert.ok(c27.json.days.some(d => d.date === '2027-01-01' && d.overridden));
  assert.equal((await srv.api('PUT', '/api/v1/calendar/days/2027-13-01', { token: T.dispatcher, body: { kind: 'holiday' } })).status, 400);
  assert.equal((await srv.api('PUT', '/api/v1/calendar/days/2027-01-02', { token: T.dispatcher, body: { kind: 'party' } })).status, 400);
  assert.equal((await srv.api('PUT', '/api/v1/calendar/days/2027-01-02', { token: T.resident1, body: { kind: 'holiday' } })).status, 403);
  assert.equal((await srv.api('DELETE', '/api/v1/calendar/days/2027-01-01', { token: T.dispatcher })).status, 200);
});

test('a deadline recomputed when the calendar changes re-arms its reminder', async () => {
  const c = await report('resident1', { title: '临时占道', category: '0101', ...pointIn(1, 1) });
  await act(c.id, 'register', 'dispatcher');
  const q = (sql) => dbQuery(srv.db, sql); // SQLite or PostgreSQL
  // as if its deadline had run past the last year the calendar knew
  q(`UPDATE case_phase SET provisional=1, deadline_at=deadline_at+${400 * 86400000}, next_at=next_at+${300 * 86400000}
     WHERE case_id=${c.id} AND end_at IS NULL`);
  assert.equal((await srv.api('PUT', '/api/v1/calendar/days/2027-01-04', { token: T.dispatcher, body: { kind: 'holiday', name: '测试' } })).status, 200);
  const [start, deadline, next, prov] = q(`SELECT start_at, deadline_at, next_at, provisional FROM case_phase
     WHERE case_id=${c.id} AND end_at IS NULL`).split('|').map(Number);
  assert.equal(prov, 0);
  assert.ok(deadline - start < 30 * 86400000, 'recomputed from the calendar');
  // the reminder follows the new deadline (at 80 % of its working time: docs/dispatch.md)
  assert.ok(next > start && next < deadline, `reminder ${next} between ${start} and ${deadline}`);
  assert.equal((await srv.api('DELETE', '/api/v1/calendar/days/2027-01-04', { token: T.dispatcher })).status, 200);
});

test("a grid worker's patrol finding is registered and dispatched at once", async () => {
  const c = await report('worker1', { title: '井盖缺失', category: '0201', source: 'patrol', ...pointIn(1, 1) });
  assert.equal(c.state, 'dispatched');
  assert.equal(c.source, 'patrol');
  assert.equal(c.dept_id, D.zhujian);
  const full = await get(c.id);
  // one audit entry for the request: the report, its registration and the
  // chained dispatch, each step named with its actor in the reason
  assert.equal(full.timeline.length, 1, JSON.stringify(full.timeline));
  const [e] = full.timeline;
  assert.deepEqual([e.action, e.actor, e.from, e.to], ['report', 'worker1', '', 'dispatched']);
  // the steps as a code (docs/audit.md, "Reason codes")
  const chain = JSON.parse(e.reason);
  assert.equal(chain.code, 'chain');
  assert.deepEqual(chain.steps.map((s) => [s.a, s.by, s.r?.code]), [['register', 'intake', 'intake'], ['dispatch', 'dispatch', 'auto_dispatch']]);
  assert.equal(full.trace.verified, true);
  // a resident's report still waits for the dispatcher
  const r = await report('resident1', { title: '井盖缺失', category: '0201', ...pointIn(2, 2) });
  assert.equal(r.state, 'reported');
});

test('working hours are configurable, validated, audited, and used for new deadlines', async () => {
  const def = await srv.api('GET', '/api/v1/calendar/hours');
  assert.deepEqual(def.json.intervals, [['09:00', '12:00'], ['13:30', '17:30']]);
  for (const bad of [[], [['9', '12']], [['12:00', '09:00']], [['09:00', '12:00'], ['11:00', '13:00']], [['09:00', '25:00']], 'x']) {
    const r = await srv.api('PUT', '/api/v1/calendar/hours', { token: T.dispatcher, body: { intervals: bad } });
    assert.equal(r.status, 400, JSON.stringify(bad));
  }
  assert.equal((await srv.api('PUT', '/api/v1/calendar/hours', { token: T.resident1, body: { intervals: [['00:00', '24:00']] } })).status, 403);
  const ok = await srv.api('PUT', '/api/v1/calendar/hours', { token: T.dispatcher, body: { intervals: [['00:00', '24:00']] } });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual((await srv.api('GET', '/api/v1/calendar/hours')).json.intervals, [['00:00', '24:00']]);
  // a 1-working-hour accept limit (entry S-0104) now runs round the clock on a working day
  const c = await report('resident1', { title: '垃圾', category: '0104', ...pointIn(1, 1) });
  await act(c.id, 'register', 'dispatcher');
  const ph = (await get(c.id)).phases[0];
  const span = Date.parse(ph.deadline_at) - Date.parse(ph.start_at);
  assert.ok(span >= 3600000, `span ${span}`);
  const local = new Date(Date.now() + 8 * 3600000);
  const ymd = local.toISOString().slice(0, 10), dow = local.getUTCDay();
  const special = (await srv.api('GET', `/api/v1/calendar?year=${ymd.slice(0, 4)}`)).json.days.find(d => d.date === ymd);
  const workday = special ? special.kind === 'adjusted_workday' : dow >= 1 && dow <= 5;
  if (workday && local.getUTCHours() < 23) assert.ok(Math.abs(span - 3600000) < 2000, `span ${span} on a working day`);
  await srv.api('PUT', '/api/v1/calendar/hours', { token: T.dispatcher, body: { intervals: [['09:00', '12:00'], ['13:30', '17:30']] } });
});
