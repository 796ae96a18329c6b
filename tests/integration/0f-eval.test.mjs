// 0f-eval.test.mjs -- the evaluation's counters over the API (docs/eval.md), on
// whichever backend the run gives (tests/run.sh runs it on SQLite, then again on
// PostgreSQL): a month's table (GET /api/v1/eval?period=YYYY-MM, read from the
// per unit and month counters the leader's ticker keeps) equals the same days
// computed from their cases (?period=first..today), unit by unit and indicator
// by indicator, after cases are reported, taken through the loop, rated,
// followed up (回访) and voided; each later action moves the counters by that
// case's difference only (no case counted twice, none left out).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, filler, dbQuery } from './lib.mjs';

let srv;
const T = {};
before(async () => {
  srv = await startServer();
  for (const n of ['dispatcher', 'resident1', 'dept_chengguan', 'admin']) T[n] = await srv.login(n);
});
after(async () => { await srv?.cleanup(); });

const day = (ms = Date.now()) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 10);
const act = async (tok, id, action, body = {}) => {
  const r = await srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: tok, body });
  assert.ok(r.status < 300, `${action}: ${r.text}`);
  return r.json;
};
const report = async (area = '110101001001001') =>
  (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '考核 ' + filler(), category: '0104', area } })).json;

// unit -> {cases, indicator -> [num, den]} for one period and kind
async function table(period, unit) {
  const r = await srv.api('GET', `/api/v1/eval?period=${period}&unit=${unit}`, { token: T.admin });
  assert.equal(r.status, 200, r.text);
  const out = {};
  for (const row of r.json.rows) {
    const inds = {};
    for (const [k, v] of Object.entries(row.indicators)) inds[k] = [Math.round(v.num * 1e6) / 1e6, Math.round(v.den * 1e6) / 1e6];
    out[row.unit] = { cases: row.cases, inds };
  }
  return out;
}

// The month's counters, once they equal the month computed from its cases
// (the ticker counts a change within a second or so of its commit; until it
// has counted the month once, the month's table is read from its cases).
async function settled(unit) {
  const today = day(), month = today.slice(0, 7);
  let counted, computed;
  for (let i = 0; i < 100; i++) {
    const have = Number(dbQuery(srv.db, `SELECT count(*) FROM eval_counters WHERE month = '${month}'`)) > 0;
    counted = await table(month, unit);
    computed = await table(`${month}-01..${today}`, unit);
    if (have && JSON.stringify(counted) === JSON.stringify(computed)) return counted;
    await new Promise((res) => setTimeout(res, 200));
  }
  assert.deepEqual(counted, computed, `${unit}: the counters equal the cases`);
  return counted;
}

test('the counters of the month equal its cases after every kind of action, each case counted once', async () => {
  const before0 = await settled('street');
  const street = Object.keys(before0)[0] ?? null;
  const n0 = street ? before0[street].cases : 0;
  // a case taken through the loop and rated, one returned by the department, one voided
  const a = await report(), b = await report(), c = await report();
  await act(T.dispatcher, a.id, 'register');
  await act(T.dept_chengguan, a.id, 'accept');
  await act(T.dept_chengguan, a.id, 'feedback', { note: '已处理' });
  await act(T.dispatcher, a.id, 'verify');
  await act(T.dispatcher, a.id, 'close');
  await act(T.resident1, a.id, 'rate', { rating: 'unsatisfied' });
  await act(T.dispatcher, b.id, 'register');
  await act(T.dispatcher, c.id, 'void', { reason: '重复' });
  const s1 = await settled('street');
  const key = Object.keys(s1).find((k) => k.startsWith('street:'));
  assert.ok(key, 'the street has a row');
  // the two cases taken up are each counted once in the street (a voided report
  // is not evaluated)
  assert.equal(s1[key].cases, n0 + 2);
  // and the month's table is its counters' rows (not the cases read again for want of them)
  const counter = (unit) => Number(dbQuery(srv.db, `SELECT num FROM eval_counters WHERE month = '${day().slice(0, 7)}' AND unit = '${unit}' AND ind = -1`));
  assert.equal(counter(key), n0 + 2);
  const sat = s1[key].inds.satisfaction;
  assert.ok(sat && sat[1] >= 1, 'the rated case is in the satisfaction rate');
  const d1 = await settled('dept');
  assert.ok(Object.keys(d1).some((k) => k.startsWith('dept:')), 'the department that handled a case has a row');

  // later actions on the same cases, each counted before the next: the difference only
  const fu = s1[key].inds.followup;
  await act(T.dispatcher, a.id, 'followup', { result: 'basic', note: '已回访，居民表示理解' });
  const s15 = await settled('street');
  assert.equal(s15[key].inds.followup[0], fu[0] + 1, 'the follow-up call that reached the resident counts');
  await act(T.dept_chengguan, b.id, 'accept');
  await settled('street');
  await act(T.dept_chengguan, b.id, 'feedback', { note: '已处理' });
  await act(T.dispatcher, b.id, 'verify');
  await settled('street');
  await act(T.dispatcher, b.id, 'close');
  await settled('street');
  await act(T.resident1, b.id, 'rate', { rating: 'satisfied' });
  const s2 = await settled('street');
  assert.equal(s2[key].cases, n0 + 2, 'no case counted twice');
  assert.equal(counter(key), n0 + 2);
  assert.deepEqual(s2[key].inds.satisfaction, [sat[0] + 1, sat[1] + 1], 'one more satisfied of one more rated');
  await settled('dept');
  await settled('community');
});
