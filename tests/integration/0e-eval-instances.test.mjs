// The evaluation with two instances on one PostgreSQL database (src/eval_pg.c,
// docs/postgresql.md): cases taken through the loop on both instances at once --
// each action queued in eval_pending by the instance that committed it, counted by
// whichever instance leads -- and a settings change on one instance (it recomputes
// the month under the counters' advisory lock) while the other acts: the month's
// counters equal the same days computed from their cases, unit by unit, read from
// either instance; after the leader is killed with SIGKILL, the survivor takes the
// ticks over and the counters again equal the cases, with nothing left queued.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, filler, dbQuery } from './lib.mjs';

let a, b;
const T = { a: {}, b: {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  a = await startServer({ pg: true });
  b = await startServer({ db: a.db });
  for (const n of ['dispatcher', 'resident1', 'dept_chengguan', 'admin']) {
    T.a[n] = await a.login(n);
    T.b[n] = await b.login(n);
  }
});
after(async () => {
  await b?.cleanup();
  await a?.cleanup();
});

const day = (ms = Date.now()) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 10);
const act = async (srv, tok, id, action, body = {}) => {
  const r = await srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: tok, body });
  assert.ok(r.status < 300, `${action}: ${r.status} ${r.text}`);
};
const report = async (srv, tok) => {
  const r = await srv.api('POST', '/api/v1/cases', { token: tok, body: { title: '考核 ' + filler(), category: '0104', area: '110101001001001' } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
};

// One case through the loop on one instance: reported, registered, accepted, handled,
// verified, closed and rated -- or, for every third, voided as a repeat instead.
async function life(srv, tok, i) {
  const id = await report(srv, tok.resident1);
  if (i % 3 === 2) return act(srv, tok.dispatcher, id, 'void', { reason: '重复' });
  await act(srv, tok.dispatcher, id, 'register');
  await act(srv, tok.dept_chengguan, id, 'accept');
  await act(srv, tok.dept_chengguan, id, 'feedback', { note: '已处理' });
  await act(srv, tok.dispatcher, id, 'verify');
  await act(srv, tok.dispatcher, id, 'close');
  await act(srv, tok.resident1, id, 'rate', { rating: i % 2 ? 'satisfied' : 'unsatisfied' });
}

// unit -> {cases, indicator -> [num, den]} for one period and kind, from srv
async function table(srv, tok, period, unit) {
  const r = await srv.api('GET', `/api/v1/eval?period=${period}&unit=${unit}`, { token: tok });
  assert.equal(r.status, 200, r.text);
  const out = {};
  for (const row of r.json.rows) {
    const inds = {};
    for (const [k, v] of Object.entries(row.indicators)) inds[k] = [Math.round(v.num * 1e6) / 1e6, Math.round(v.den * 1e6) / 1e6];
    out[row.unit] = { cases: row.cases, inds };
  }
  return out;
}

// The month's counters (read from srv) once they equal the month computed from its
// cases and nothing is left queued for the ticker.
async function settled(srv, tok, unit) {
  const today = day(), month = today.slice(0, 7);
  let counted, computed, queued;
  for (let i = 0; i < 150; i++) {
    queued = Number(dbQuery(srv.db, 'SELECT count(*) FROM eval_pending'));
    const have = Number(dbQuery(srv.db, `SELECT count(*) FROM eval_counters WHERE month = '${month}'`)) > 0;
    counted = await table(srv, tok, month, unit);
    computed = await table(srv, tok, `${month}-01..${today}`, unit);
    if (have && queued === 0 && JSON.stringify(counted) === JSON.stringify(computed)) return counted;
    await sleep(200);
  }
  assert.equal(queued, 0, 'nothing left queued');
  assert.deepEqual(counted, computed, `${unit}: the counters equal the cases`);
  return counted;
}

const streetCases = (t) => t[Object.keys(t).find((k) => k.startsWith('street:'))]?.cases ?? 0;

test('cases taken through the loop on two instances at once, and a settings change on one, are each counted once', async () => {
  const n0 = streetCases(await settled(a, T.a.admin, 'street'));
  const lives = Array.from({ length: 24 }, (_, i) => (i % 2 ? life(b, T.b, i) : life(a, T.a, i)));
  // a settings change on b while both act: it recomputes the month on b under the lock
  await sleep(300);
  const put = await b.api('PUT', '/api/v1/eval/config', { token: T.b.admin, body: { min_cases: 3, weights: { satisfaction: 0.3 } } });
  assert.equal(put.status, 200, put.text);
  await Promise.all(lives);
  // 24 reported, 8 voided: 16 taken up and evaluated
  for (const [srv, tok] of [[a, T.a.admin], [b, T.b.admin]]) {
    const s = await settled(srv, tok, 'street');
    assert.equal(streetCases(s), n0 + 16, 'each case taken up counted once, the voided ones not');
    await settled(srv, tok, 'dept');
    await settled(srv, tok, 'community');
  }
  const cfg = await a.api('GET', '/api/v1/eval/config', { token: T.a.admin });
  assert.equal(cfg.json.min_cases, 3, 'the other instance reads the new settings');
});

test('after the leader is killed, the survivor counts the next actions', async () => {
  const n0 = streetCases(await settled(b, T.b.admin, 'street'));
  await a.stop('SIGKILL');
  await Promise.all(Array.from({ length: 6 }, (_, i) => life(b, T.b, 3 * i))); // none voided
  const s = await settled(b, T.b.admin, 'street');
  assert.equal(streetCases(s), n0 + 6);
  await settled(b, T.b.admin, 'dept');
});
