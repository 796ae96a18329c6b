// 4c-base.test.mjs -- the base data (module base) over the CLI and the API, on SQLite
// and, in the second pass, on PostgreSQL (fixtures and checks through dbQuery, in SQL
// both take): `jiceng base seed` writes the generated rows once, the summary (CLI and
// GET /api/v1/base/summary) is the tables' own counts, per community and in total, for
// staff in scope only, and a data request for population is answered from the counts
// the seed left (module worklist's base_counts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng, dbQuery } from './lib.mjs';

let srv;
const C1 = '110101001001';
const num = (q) => Number(dbQuery(srv.db, q));

before(async () => { srv = await startServer(); });
after(async () => { await srv?.cleanup(); });

test('base seed writes the generated rows once; the summary is their counts', async () => {
  const s = jiceng(['base', 'seed', '--db', srv.db, '--seed', '7']);
  assert.equal(s.status, 0, s.stderr);
  const people = num('SELECT count(*) FROM base_people');
  assert.ok(people > 100, `people ${people}`);
  assert.match(s.stdout, new RegExp(`base data \\(fictional\\): ${people} people`));
  // a second seed adds nothing
  assert.equal(jiceng(['base', 'seed', '--db', srv.db, '--seed', '7']).status, 0);
  assert.equal(num('SELECT count(*) FROM base_people'), people);
  const cli = jiceng(['base', 'summary', '--db', srv.db]);
  assert.equal(cli.status, 0, cli.stderr);
  const sum = JSON.parse(cli.stdout);
  assert.equal(sum.total.people, people);
  assert.equal(sum.total.households, num('SELECT count(*) FROM base_households'));
  assert.equal(sum.total.houses, num('SELECT count(*) FROM base_houses'));
  assert.equal(sum.total.organisations, num('SELECT count(*) FROM base_orgs'));
  assert.equal(sum.total.elders_living_alone, num('SELECT count(*) FROM base_people WHERE alone_elder = 1'));
  assert.equal(sum.fictional, true);
  const c1 = sum.communities.find(c => c.area === C1);
  assert.equal(c1.people, num(`SELECT count(*) FROM base_people WHERE community = '${C1}'`));
  assert.equal(c1.households, num(`SELECT count(*) FROM base_households WHERE community = '${C1}'`));
  assert.ok(c1.households > 10 && c1.houses > 0 && c1.organisations > 0, JSON.stringify(c1));
  assert.equal(sum.communities.reduce((n, c) => n + c.people, 0), people);
  assert.deepEqual(sum.communities.map(c => c.area), [...sum.communities.map(c => c.area)].sort());
  // every household has its head, a person of the household
  assert.equal(num('SELECT count(*) FROM base_households h WHERE head_id IS NULL OR NOT EXISTS'
    + ' (SELECT 1 FROM base_people p WHERE p.id = h.head_id AND p.household_id = h.id)'), 0);
  // the API gives the CLI's figures, in scope
  const disp = await srv.login('dispatcher');
  const r = await srv.api('GET', '/api/v1/base/summary', { token: disp });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.total, sum.total);
  const comm = await srv.login('community1');
  const own = await srv.api('GET', '/api/v1/base/summary', { token: comm });
  assert.deepEqual(own.json.communities.map(c => c.area), [C1]);
  assert.equal(own.json.communities[0].people, c1.people);
  assert.equal((await srv.api('GET', '/api/v1/base/summary?area=110101001002', { token: comm })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/base/summary', { token: await srv.login('resident1') })).status, 403);
  assert.ok(!/\d{17}[\dX]/.test(r.text), 'no ID number leaves the server');
});

test("a data request for population is answered from the seed's counts", async () => {
  const minzheng = await srv.login('dept_minzheng');
  const people = num(`SELECT count(*) FROM base_people WHERE community = '${C1}'`);
  assert.ok(people > 0, 'the first test seeded');
  const r = await srv.api('POST', '/api/v1/tasks', { token: minzheng, body: { title: '常住人口和户数', kind: 'data_request', item: 'WL-D12', communities: [C1], fields: ['population', 'households', 'elders_living_alone'] } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.decision, 'answered_from_store');
  assert.equal(r.json.answer[C1].population, people);
  assert.equal(r.json.answer[C1].households, num(`SELECT count(*) FROM base_households WHERE community = '${C1}'`));
  assert.equal(r.json.answer[C1].elders_living_alone, num(`SELECT count(*) FROM base_people WHERE community = '${C1}' AND alone_elder = 1`));
});
