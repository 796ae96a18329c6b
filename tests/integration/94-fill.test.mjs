// `jiceng bench-fill` on either backend (src/fill_sqlite.c, src/fill_pg.c): a
// small store written directly through the store is a real one on SQLite and
// on PostgreSQL (the PostgreSQL pass, JICENG_TEST_DB=pg) -- its audit chain
// verifies, the rows of a dispatched case are there, the list, a case's trace
// and the dashboard's counters answer as for cases made through the API, and
// the next case made through the API takes a new id and links on to the chain.
// The dashboard's and the evaluation's counters that bench-fill counts while it
// generates are exactly those the product's recomputations make from the rows
// (stats_rebuild, eval_recompute_month: `bench-fill --recount`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startPostgres, jiceng, dbQuery } from './lib.mjs';

const N = 2000;
let dir, db, pg, srv, fillOut, newsMark, chainEnd, counted, recounted;
const sql = (q) => dbQuery(db, q);
const num = (q) => Number(sql(q));
// every row of the dashboard's and the evaluation's counters and the facts per case
function counters() {
  const pgs = db.startsWith('postgresql://');
  const tables = ['stats_counts ORDER BY 1, 2, 3, 4, 5', 'stats_days ORDER BY 1, 2, 3', 'eval_counters ORDER BY 1, 2, 3',
    'stats_comm ORDER BY 1, 2, 3, 4', 'stats_comm_days ORDER BY 1, 2',
    ...(pgs ? ['stats_count_deltas', 'stats_day_deltas'] : [
      'stats_dept_cat ORDER BY 1, 2, 3, 4', 'stats_dept_comm ORDER BY 1, 2, 3, 4', 'stats_dept_days ORDER BY 1, 2',
      'stats_comm_sm ORDER BY 1, 2, 3', 'stats_street_cat ORDER BY 1, 2, 3'])];
  // dbQuery's way, with room for a few MB (the facts)
  const big = (q) => execFileSync(pgs ? 'psql' : 'sqlite3', pgs ? [db, '-qAtX', '-c', q] : [db, q],
    { encoding: 'utf8', maxBuffer: 256 << 20 }).trim();
  const out = {};
  for (const t of tables) out[t] = big(`SELECT * FROM ${t}`);
  out.facts = big(`SELECT case_id, month, ${pgs ? "encode(facts, 'hex')" : 'hex(facts)'} FROM eval_facts ORDER BY 1`);
  return out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jiceng-fill-'));
  pg = process.env.JICENG_TEST_DB === 'pg' ? startPostgres() : null;
  db = pg ? pg.url : join(dir, 'f.db');
  assert.equal(jiceng(['init', db]).status, 0);
  assert.equal(jiceng(['demo', '--db', db]).status, 0);
  const r = jiceng(['bench-fill', '--db', db, '--cases', String(N), '--days', '30']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  fillOut = r.stdout;
  // the counters as bench-fill wrote them, then as the recomputations make them
  // from the same rows and as of the same time
  counted = counters();
  const asOf = fillOut.match(/; as of (\d+)$/m)[1];
  const rc = jiceng(['bench-fill', '--db', db, '--recount', '--as-of', asOf, '--days', '30']);
  assert.equal(rc.status, 0, rc.stderr + rc.stdout);
  recounted = counters();
  // read before any server runs: where the message centre will start producing
  newsMark = num("SELECT value FROM notify_meta WHERE key = 'audit_seq'");
  chainEnd = num('SELECT max(seq) FROM audit');
  srv = await startServer({ db, dir });
});
after(async () => { await srv?.stop(); pg?.drop(); rmSync(dir, { recursive: true, force: true }); });

test('bench-fill writes N cases whose chain verifies, with the rows of their loop', () => {
  const m = fillOut.match(/^bench-fill: (\d+) cases \(ids (\d+)\.\.(\d+)\), (\d+) audit entries/);
  assert.ok(m, fillOut);
  assert.equal(Number(m[1]), N);
  assert.equal(Number(m[3]) - Number(m[2]) + 1, N);
  assert.equal(num(`SELECT count(*) FROM cases WHERE id BETWEEN ${m[2]} AND ${m[3]}`), N);
  const v = jiceng(['audit', 'verify', '--db', db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  const entries = Number(v.stdout.match(/^ok: (\d+) entries/)[1]);
  assert.equal(entries, num('SELECT count(*) FROM audit'));
  assert.ok(entries - num(`SELECT count(*) FROM audit WHERE case_id < ${m[2]} OR case_id IS NULL`) >= Number(m[4]));
  // every dispatched case has its route and its lead owner; a finished one no open owner
  assert.equal(num(`SELECT count(*) FROM cases c WHERE c.dept_id IS NOT NULL AND c.id >= ${m[2]} AND NOT EXISTS (SELECT 1 FROM case_route r WHERE r.case_id = c.id)`), 0);
  assert.equal(num(`SELECT count(*) FROM cases c WHERE c.dept_id IS NOT NULL AND c.id >= ${m[2]} AND NOT EXISTS (SELECT 1 FROM case_owner o WHERE o.case_id = c.id AND o.role = 'lead')`), 0);
  assert.equal(num("SELECT count(*) FROM cases c WHERE c.state = 'accepted' AND NOT EXISTS (SELECT 1 FROM case_phase p WHERE p.case_id = c.id AND p.phase = 'handle' AND p.end_at IS NULL)"), 0);
  assert.equal(num("SELECT count(*) FROM cases c WHERE c.state IN ('closed', 'rated') AND EXISTS (SELECT 1 FROM case_owner o WHERE o.case_id = c.id AND o.end_at IS NULL)"), 0);
  for (const s of ['closed', 'rated', 'dispatched', 'accepted']) assert.ok(num(`SELECT count(*) FROM cases WHERE state = '${s}'`) > 0, s);
  assert.ok(num('SELECT count(*) FROM returns') > 0);
  // the history written is not news: the message centre's producer starts after it
  // (it read the whole chain again after a fill: ~40 min of background work at 10 M)
  assert.equal(newsMark, chainEnd);
});

test('the counters bench-fill counted while generating are those the recomputations make from the rows', () => {
  for (const t of Object.keys(recounted)) {
    // compared as lines: a difference names its rows
    const a = counted[t].split('\n'), b = recounted[t].split('\n');
    assert.deepEqual(a.filter((l) => !b.includes(l)), [], `${t}: rows bench-fill wrote that the recomputation does not`);
    assert.deepEqual(a, b, t);
  }
  assert.ok(counted['stats_counts ORDER BY 1, 2, 3, 4, 5'].split('\n').length > 100);
  assert.ok(counted['eval_counters ORDER BY 1, 2, 3'].split('\n').length > 100);
  // the generated cases and the demo's: a fact row each in the months of the fill
  assert.ok(counted.facts.split('\n').length >= N);
  // sums of working hours (not whole numbers): equal to the last bit
  assert.ok(num('SELECT count(*) FROM eval_counters WHERE num <> round(num)') > 0);
});

test('the list, a case with its trace and the counters answer on the filled store', async () => {
  const d = await srv.login('dispatcher');
  const list = await srv.api('GET', '/api/v1/cases?limit=50', { token: d });
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.cases.length, 50);
  assert.equal(list.json.cases[0].id, num('SELECT max(id) FROM cases'));
  const det = await srv.api('GET', `/api/v1/cases/${list.json.cases[7].id}`, { token: d });
  assert.equal(det.status, 200);
  assert.equal(det.json.trace.verified, true, det.json.trace.message);
  const st = await srv.api('GET', '/api/v1/stats?days=30', { token: d });
  assert.equal(st.status, 200, st.text);
  assert.equal(st.json.totals.total, num('SELECT count(*) FROM cases'));
  assert.equal(st.json.totals.open, num("SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'rated', 'voided', 'merged')"));
  const q = await srv.api('GET', '/api/v1/cases?limit=500&q=' + encodeURIComponent('井盖'), { token: d });
  assert.equal(q.status, 200);
  assert.ok(q.json.cases.length > 0, 'the text index holds the filled cases');
});

test('a case made through the API after the fill takes a new id and links on to the chain', async () => {
  const before = num('SELECT max(id) FROM cases');
  const w = await srv.login('worker1');
  const made = await srv.api('POST', '/api/v1/cases', { token: w, body: { title: '路灯不亮', body: '小区北门的路灯晚上不亮', category: '0202', area: '110101001001001' } });
  assert.equal(made.status, 201, made.text);
  assert.ok(made.json.id > before, `${made.json.id} > ${before}`);
  await srv.stop();
  const v = jiceng(['audit', 'verify', '--db', db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.equal(num(`SELECT count(*) FROM audit WHERE case_id = ${made.json.id}`) > 0, true);
});
