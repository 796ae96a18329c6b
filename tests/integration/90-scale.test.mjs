// Cost that grows with the store (issue 17): a store filled by
// `jiceng bench-fill` is a valid one (its audit chain verifies, its cases
// read back through the API as the server wrote them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng } from './lib.mjs';

const N = 3000;
let dir, db, srv, fillOut;
const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', db, q], { encoding: 'utf8' }).trim();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jiceng-scale-'));
  db = join(dir, 's.db');
  assert.equal(jiceng(['init', db]).status, 0);
  assert.equal(jiceng(['demo', '--db', db]).status, 0);
  const r = jiceng(['bench-fill', '--db', db, '--cases', String(N), '--days', '30']);
  assert.equal(r.status, 0, r.stderr);
  fillOut = r.stdout;
  srv = await startServer({ db, dir });
});
after(async () => { await srv?.stop(); rmSync(dir, { recursive: true, force: true }); });

test('bench-fill writes N cases with a valid audit chain', () => {
  assert.match(fillOut, new RegExp(`^bench-fill: ${N} cases`));
  const v = jiceng(['audit', 'verify', '--db', db]);
  assert.equal(v.status, 0, v.stdout);
  const demo = Number(sql("SELECT count(*) FROM cases WHERE reporter_id IN (SELECT id FROM users WHERE name NOT LIKE 'bench_%')"));
  assert.ok(Number(sql('SELECT count(*) FROM cases')) >= N);
  // a store of the loop as it runs: most cases done, the last days' open, in every state between
  const states = Object.fromEntries(sql('SELECT state, count(*) FROM cases GROUP BY state').split('\n').map((l) => l.split('|')));
  for (const s of ['closed', 'rated', 'dispatched', 'accepted', 'feedback']) assert.ok(Number(states[s]) > 0, `no ${s} case: ${JSON.stringify(states)}`);
  assert.ok(Number(states.closed) + Number(states.rated) > N / 2);
  assert.ok(demo > 0);
  // every dispatched case has its route, its lead owner and its phases
  assert.equal(sql("SELECT count(*) FROM cases c WHERE c.dept_id IS NOT NULL AND c.id > 10 AND NOT EXISTS (SELECT 1 FROM case_route r WHERE r.case_id=c.id)"), '0');
  assert.equal(sql("SELECT count(*) FROM cases c WHERE c.state='accepted' AND NOT EXISTS (SELECT 1 FROM case_phase p WHERE p.case_id=c.id AND p.phase='handle' AND p.end_at IS NULL)"), '0');
  assert.equal(sql("SELECT count(*) FROM cases c WHERE c.state IN ('closed','rated') AND EXISTS (SELECT 1 FROM case_owner o WHERE o.case_id=c.id AND o.end_at IS NULL)"), '0');
  // the generated accounts cannot log in
  assert.equal(sql("SELECT count(*) FROM users WHERE name LIKE 'bench_%' AND pw_hash <> '!'"), '0');
});

test('a filled case reads back through the API with its trace verified', async () => {
  const tok = await srv.login('dispatcher');
  const list = await srv.api('GET', '/api/v1/cases?limit=5', { token: tok });
  assert.equal(list.status, 200);
  assert.equal(list.json.cases.length, 5);
  const id = list.json.cases[0].id;
  const d = await srv.api('GET', `/api/v1/cases/${id}`, { token: tok });
  assert.equal(d.status, 200);
  assert.equal(d.json.trace.verified, true, d.json.trace.message);
  assert.ok(d.json.timeline.length >= 1);
  const res = await srv.login('resident1');
  const mine = await srv.api('GET', '/api/v1/cases?limit=500', { token: res });
  assert.ok(mine.json.cases.length > 0, 'resident1 reported some of the generated cases');
});
