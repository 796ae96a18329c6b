// Early warning with two instances on one PostgreSQL database (src/warning_pg.c,
// docs/postgresql.md): cases reported to both at once are each counted once in
// the daily counts and each get the classifier's suggestion -- the leader's tick
// takes them from the queue the trigger fills, in whatever order the instances
// commit -- and the survivor goes on counting after the leader is killed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, dbQuery } from './lib.mjs';

let a, b, T = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  a = await startServer({ pg: true });
  b = await startServer({ db: a.db });
  T.a = await a.login('resident1');
  T.b = await b.login('resident1');
});
after(async () => {
  await b?.cleanup();
  await a?.cleanup();
});

const report = async (srv, tok, i) => {
  const r = await srv.api('POST', '/api/v1/cases', { token: tok, body: { title: `${i}号楼下井盖破损`, body: `井盖碎了，编号${i}`, category: '0104', area: '110101001001004' } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
};
// every case counted once, none left queued, each of ids with a suggestion
async function settled(db, ids) {
  const q = `SELECT (SELECT coalesce(sum(n), 0) FROM daily_counts) || '|' || (SELECT count(*) FROM cases) || '|' ||
    (SELECT count(*) FROM warning_pending) || '|' || (SELECT count(*) FROM case_suggestions WHERE case_id IN (${ids.join(',')}))`;
  let got;
  for (let k = 0; k < 150; k++) {
    got = dbQuery(db, q);
    const [counted, cases, queued, suggested] = got.split('|').map(Number);
    if (counted === cases && queued === 0 && suggested === ids.length) return;
    await sleep(100);
  }
  assert.fail(`counted|cases|queued|suggested: ${got} (${ids.length} new cases)`);
}

test('cases reported to two instances at once are each counted once and each get a suggestion', async () => {
  const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? report(b, T.b, i) : report(a, T.a, i))));
  assert.equal(new Set(ids).size, 40);
  await settled(a.db, ids);
});

test('the survivor counts on after the leader is killed', async () => {
  await a.stop('SIGKILL');
  const ids = [];
  for (let i = 0; i < 10; i++) ids.push(await report(b, T.b, 100 + i));
  await settled(b.db, ids);
});
