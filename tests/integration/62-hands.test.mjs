// 62-hands.test.mjs -- the dispatcher's hands over the API: 改派 (redispatch
// to another department with a reason), 撤回 (recall a dispatch not accepted
// yet), 回访 (the follow-up call after an unsatisfied rating, recorded and
// counted in the evaluation's 回访率), and that a department loses neither
// response nor resolution for a case taken from it. Refusals change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, filler } from './lib.mjs';

let srv, depts;
const T = {};
before(async () => {
  srv = await startServer();
  for (const n of ['dispatcher', 'supervisor', 'resident1', 'worker1', 'dept_chengguan', 'dept_shichang', 'admin'])
    T[n] = await srv.login(n);
  depts = Object.fromEntries((await srv.api('GET', '/api/v1/depts')).json.depts.map((d) => [d.code, d.id]));
});
after(async () => { await srv?.cleanup(); });

const act = (tok, id, action, body = {}) => srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: tok, body });
const must = async (tok, id, action, body) => {
  const r = await act(tok, id, action, body);
  assert.ok(r.status === 200 || r.status === 201, `${action}: ${r.status} ${r.text}`);
  return r.json;
};
const get = async (id, tok = T.dispatcher) => (await srv.api('GET', '/api/v1/cases/' + id, { token: tok }));
async function dispatched(grid = '110101001001001') {
  const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '垃圾堆放 ' + filler(), category: '0104', area: grid } })).json;
  const r = await must(T.dispatcher, k.id, 'register');
  assert.equal(r.state, 'dispatched');
  assert.equal(r.dept_id, depts.chengguan);
  return k;
}
const month = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
const drill = async (unit, ind) => (await srv.api('GET', `/api/v1/eval/cases?period=${month()}&unit=${unit}&indicator=${ind}`, { token: T.admin })).json.facts;

test('改派: another department, with a reason; the first is not blamed; refusals change nothing', async () => {
  const k = await dispatched();
  await must(T.dept_chengguan, k.id, 'accept');
  const before = (await get(k.id)).json;
  // refused, and nothing changes
  const refusals = [
    [T.dept_chengguan, { dept_id: depts.shichang, reason: 'x' }, 403],
    [T.dispatcher, { dept_id: depts.shichang }, 400],
    [T.dispatcher, { reason: '应由市场监管处理' }, 400],
    [T.dispatcher, { dept_id: 99999, reason: '应由市场监管处理' }, 400],
    [T.dispatcher, { dept_id: depts.chengguan, reason: '同一部门' }, 409],
  ];
  for (const [tok, body, status] of refusals) assert.equal((await act(tok, k.id, 'redispatch', body)).status, status, JSON.stringify(body));
  assert.equal((await get(k.id)).json.version, before.version, 'nothing changed');

  const r = await must(T.dispatcher, k.id, 'redispatch', { dept_id: depts.shichang, reason: '属无证经营，应由市场监管处理' });
  assert.equal(r.state, 'dispatched');
  assert.equal(r.dept_id, depts.shichang);
  const now = (await get(k.id)).json;
  assert.equal(now.timeline.at(-1).action, 'redispatch');
  assert.equal(now.timeline.at(-1).reason, '属无证经营，应由市场监管处理');
  assert.ok(now.deadline, 'a new accept deadline');
  const phases = now.phases.filter((p) => p.phase === 'accept' || p.phase === 'handle');
  assert.ok(phases.some((p) => p.dept_id === depts.shichang && p.phase === 'accept' && !p.end_at), 'the new department must accept');
  const old = phases.filter((p) => p.dept_id === depts.chengguan);
  assert.ok(old.every((p) => p.end_at), 'the first department\'s phases ended');
  assert.equal(old.find((p) => p.phase === 'handle').end_reason, 'reassigned', 'its open phase ended as a reassignment');
  // the old department no longer sees it (but hears why); the new one does
  assert.equal((await get(k.id, T.dept_chengguan)).status, 404);
  for (let i = 0; i < 40; i++) {
    const n = (await srv.api('GET', '/api/v1/notifications?limit=50', { token: T.dept_chengguan })).json.notifications.find((x) => x.case_id === k.id && x.kind === 'taken_back');
    if (n) { assert.equal(n.detail, '属无证经营，应由市场监管处理'); assert.equal(n.title, null, 'no longer its case: no title'); break; }
    assert.ok(i < 39, 'the department it was taken from is told');
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal((await get(k.id, T.dept_shichang)).status, 200);
  await must(T.dept_shichang, k.id, 'accept');
  assert.equal((await act(T.dispatcher, k.id, 'recall', { reason: '已签收' })).status, 409, 'an accepted case cannot be recalled');
  // the evaluation: the first department keeps the credit of its timely
  // acceptance; the handling taken from it counts neither way
  const resp = await drill('dept:' + depts.chengguan, 'response');
  assert.ok(resp.some((f) => f.case_id === k.id && f.num === 1), 'accepted in time: counted to its credit');
  assert.ok(!(await drill('dept:' + depts.chengguan, 'ontime_close')).some((f) => f.case_id === k.id), 'no on-time-close fact');
  const res = await drill('dept:' + depts.chengguan, 'resolution');
  assert.ok(!res.some((f) => f.case_id === k.id), 'no resolution fact for the department it was taken from');
  assert.ok((await drill('dept:' + depts.shichang, 'response')).some((f) => f.case_id === k.id && f.num === 1));
});

test('撤回: a dispatch not accepted yet goes back to the dispatcher, then out again', async () => {
  const k = await dispatched('110101001001002');
  assert.equal((await act(T.dispatcher, k.id, 'recall', {})).status, 400, 'recall needs a reason');
  assert.equal((await act(T.supervisor, k.id, 'recall', { reason: 'x' })).status, 403);
  const r = await must(T.dispatcher, k.id, 'recall', { reason: '派错部门，收回重派' });
  assert.equal(r.state, 'registered');
  assert.equal(r.dept_id, null);
  assert.equal(r.deadline, null);
  assert.equal((await get(k.id, T.dept_chengguan)).status, 404, 'the department no longer has it');
  assert.equal((await act(T.dispatcher, k.id, 'recall', { reason: 'x' })).status, 409, 'nothing to recall');
  const again = await must(T.dispatcher, k.id, 'dispatch', { dept_id: depts.shichang });
  assert.equal(again.dept_id, depts.shichang);
  assert.ok(!(await drill('dept:' + depts.chengguan, 'response')).some((f) => f.case_id === k.id), 'not counted against the first');
});

test('回访: only after an unsatisfied rating; recorded, in the trace, counted in the 回访率', async () => {
  const k = await dispatched('110101001001003');
  await must(T.dept_chengguan, k.id, 'accept');
  await must(T.dept_chengguan, k.id, 'feedback', { note: '已处理' });
  await must(T.dispatcher, k.id, 'verify');
  await must(T.dispatcher, k.id, 'close');
  assert.equal((await act(T.dispatcher, k.id, 'followup', { result: 'satisfied' })).status, 409, 'not rated yet');
  await must(T.resident1, k.id, 'rate', { rating: 'unsatisfied' });
  // refused, nothing recorded
  for (const [tok, body, status] of [[T.resident1, { result: 'satisfied' }, 403], [T.dept_chengguan, { result: 'satisfied' }, 403],
    [T.dispatcher, { result: 'happy' }, 400], [T.dispatcher, {}, 400], [T.dispatcher, { result: 'satisfied', colour: 1 }, 400]])
    assert.equal((await act(tok, k.id, 'followup', body)).status, status, JSON.stringify(body));
  assert.equal((await srv.api('GET', `/api/v1/cases/${k.id}/followups`, { token: T.dispatcher })).json.followups.length, 0);
  // before any call: counted as not followed up
  const unit = 'street:110101001';
  let f = (await drill(unit, 'followup')).find((x) => x.case_id === k.id);
  assert.deepEqual([f.num, f.den], [0, 1]);
  // nobody reached: still not followed up
  await must(T.dispatcher, k.id, 'followup', { result: 'unreachable', note: '电话未接通' });
  f = (await drill(unit, 'followup')).find((x) => x.case_id === k.id);
  assert.deepEqual([f.num, f.den], [0, 1]);
  const call = await must(T.supervisor, k.id, 'followup', { result: 'basic', note: '已说明处理情况，居民表示理解' });
  assert.equal(call.result, 'basic');
  f = (await drill(unit, 'followup')).find((x) => x.case_id === k.id);
  assert.deepEqual([f.num, f.den], [1, 1]);
  assert.ok((await drill('community:110101001001', 'followup')).some((x) => x.case_id === k.id && x.num === 1));
  const list = (await srv.api('GET', `/api/v1/cases/${k.id}/followups`, { token: T.dispatcher })).json.followups;
  assert.deepEqual(list.map((x) => [x.result, x.by]), [['unreachable', 'dispatcher'], ['basic', 'supervisor']]);
  const c = (await get(k.id)).json;
  assert.equal(c.state, 'rated', 'a follow-up does not change the state');
  assert.deepEqual(c.timeline.slice(-2).map((e) => [e.action, e.reason]), [['followup', '电话未接通'], ['followup', '已说明处理情况，居民表示理解']]);
  assert.equal(c.trace.verified, true);
  assert.equal((await srv.api('GET', `/api/v1/cases/${k.id}/followups`, { token: T.resident1 })).status, 403);
  // the table of the street shows the rate
  // (the month's table comes from the counters, which the ticker brings up to date each second)
  let street;
  for (let i = 0; i < 100; i++) {
    street = (await srv.api('GET', `/api/v1/eval?period=${month()}&unit=street`, { token: T.admin })).json.rows[0];
    if (street.indicators.followup.num >= 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(street.indicators.followup.num >= 1 && street.indicators.followup.den >= 1, JSON.stringify(street));
  // a satisfied case is not followed up
  const k2 = await dispatched('110101001001004');
  await must(T.dept_chengguan, k2.id, 'accept');
  await must(T.dept_chengguan, k2.id, 'feedback', { note: '已处理' });
  await must(T.dispatcher, k2.id, 'verify');
  await must(T.dispatcher, k2.id, 'close');
  await must(T.resident1, k2.id, 'rate', { rating: 'satisfied' });
  assert.equal((await act(T.dispatcher, k2.id, 'followup', { result: 'satisfied' })).status, 409);
  assert.ok(!(await drill(unit, 'followup')).some((x) => x.case_id === k2.id));
});
