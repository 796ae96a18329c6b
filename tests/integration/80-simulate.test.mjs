// The demo's simulator (issue 8): a simulated week replayed headless against a
// real server at high speed, then the loop is checked in the database: cases
// from every source, dispatched, handled, escalated, one whistle completed,
// ratings, an intact audit chain, and the dashboard numbers equal to the rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, BIN, ROOT } from './lib.mjs';

let srv, dir, out = '', summary, realSeconds;

const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', srv.db, q], { encoding: 'utf8' }).trim();
const num = (q) => Number(sql(q));

before(async () => {
  // the demo flow of scripts/demo.sh: init, demo street, fictional base data, serve
  dir = mkdtempSync(join(tmpdir(), 'jiceng-sim-'));
  const db = join(dir, 'test.db');
  for (const args of [['init', db], ['demo', '--db', db], ['base', 'seed', '--db', db, '--seed', '7']]) {
    const r = jiceng(args);
    assert.equal(r.status, 0, args.join(' ') + ': ' + r.stderr + r.stdout);
  }
  srv = await startServer({ db, dir });
  const t0 = Date.now();
  const code = await new Promise((res, rej) => {
    const p = spawn(BIN, ['simulate', '--url', srv.url, '--db', srv.db, '--days', '7', '--speed', '10080',
      '--seed', '7', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', d => { out += d; });
    p.stderr.on('data', d => { out += d; });
    p.on('error', rej);
    p.on('exit', res);
  });
  realSeconds = (Date.now() - t0) / 1000;
  assert.equal(code, 0, out);
  const line = out.split('\n').find(l => l.startsWith('summary '));
  assert.ok(line, out);
  summary = JSON.parse(line.slice('summary '.length));
}, { timeout: 150000 });
after(async () => { await srv?.cleanup(); rmSync(dir, { recursive: true, force: true }); });

test('a simulated week runs in well under 90 s and prints a line per day', () => {
  assert.ok(realSeconds < 90, `took ${realSeconds} s`);
  assert.equal(out.split('\n').filter(l => /^day +\d+\/7 /.test(l)).length, 7, out);
  assert.equal(summary.days, 7);
});

test('cases were created from each source: web, patrol, sensor', () => {
  const by = Object.fromEntries(sql("SELECT source, count(*) FROM cases GROUP BY source").split('\n')
    .map(l => l.split('|')).map(([s, n]) => [s, Number(n)]));
  assert.ok(by.web >= 20, JSON.stringify(by));
  assert.ok(by.patrol >= 5, JSON.stringify(by));
  assert.ok(by.sensor >= 2, JSON.stringify(by));
  // the simulator's own count matches what the server stored for its reports
  assert.ok(by.web >= summary.web && by.patrol >= summary.patrol, JSON.stringify({ by, summary }));
});

test('sensor faults opened cases through the alarm rules (smoke, water level, door of an elder)', () => {
  const cats = sql("SELECT DISTINCT category FROM cases WHERE source='sensor' ORDER BY 1").split('\n');
  for (const c of ['0603', '0501', '0901']) assert.ok(cats.includes(c), `no sensor case of ${c}: ${cats}`);
  assert.ok(num("SELECT count(*) FROM alarms") >= 3);
});

test('cases were dispatched, handled, verified, closed; some returned, reworked, escalated', () => {
  assert.ok(num("SELECT count(*) FROM audit WHERE action='dispatch' OR to_state='dispatched'") >= 30);
  assert.ok(num("SELECT count(*) FROM audit WHERE action='accept'") >= 20);
  assert.ok(num("SELECT count(*) FROM audit WHERE action='feedback'") >= 15);
  assert.ok(num("SELECT count(*) FROM audit WHERE action='verify'") >= 10);
  assert.ok(num("SELECT count(*) FROM cases WHERE state IN ('closed','rated')") >= 10);
  assert.ok(num("SELECT count(*) FROM returns") >= 1, 'a department returned a case');
  assert.ok(num("SELECT count(*) FROM returns WHERE decision IS NOT NULL") >= 1, 'the dispatcher decided');
  assert.ok(num("SELECT count(*) FROM audit WHERE action='rework'") >= 1);
  assert.ok(num("SELECT count(*) FROM cases WHERE escalation > 0") >= 1, 'some cases escalated');
});

test('one whistle completed: every summoned department checked in (one late), finished and was rated', () => {
  const w = sql("SELECT id FROM whistles").split('\n').filter(Boolean);
  assert.equal(w.length, 1);
  assert.equal(num(`SELECT count(*) FROM whistle_members WHERE whistle_id=${w[0]} AND done_at IS NULL`), 0);
  assert.ok(num(`SELECT count(*) FROM whistle_members WHERE whistle_id=${w[0]}`) >= 2);
  assert.equal(num(`SELECT count(*) FROM whistle_members WHERE whistle_id=${w[0]} AND rating IS NULL`), 0);
  assert.ok(num(`SELECT count(*) FROM whistle_members WHERE whistle_id=${w[0]} AND late=1`) >= 1);
});

test('residents rated cases, mostly satisfied', () => {
  const by = Object.fromEntries(sql("SELECT rating, count(*) FROM cases WHERE state='rated' GROUP BY rating")
    .split('\n').map(l => l.split('|')).map(([s, n]) => [s, Number(n)]));
  const total = Object.values(by).reduce((a, b) => a + b, 0);
  assert.ok(total >= 5, JSON.stringify(by));
  assert.ok(total >= summary.rated, 'every rating the simulator gave is stored (plus the seeded demo cases)');
  assert.ok((by.satisfied ?? 0) > total / 2, JSON.stringify(by));
});

test('jiceng audit verify passes over the whole replayed week', () => {
  const r = jiceng(['audit', 'verify', '--db', srv.db]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('the dashboard numbers (cases by state) match the database', async () => {
  // the server's timers may still act; compare a stable snapshot
  for (let attempt = 0; attempt < 5; attempt++) {
    const m = await srv.api('GET', '/metrics');
    const api = {};
    for (const [, s, n] of m.text.matchAll(/^jiceng_cases\{state="([a-z_]+)"\} (\d+)$/gm)) if (+n) api[s] = +n;
    const db = Object.fromEntries(sql("SELECT state, count(*) FROM cases GROUP BY state").split('\n')
      .map(l => l.split('|')).map(([s, n]) => [s, Number(n)]));
    if (JSON.stringify(Object.entries(api).sort()) === JSON.stringify(Object.entries(db).sort())) {
      // and the staff list API agrees on the open cases
      const t = await srv.login('dispatcher');
      let open = 0, beforeId = '';
      for (;;) {
        const r = await srv.api('GET', `/api/v1/cases?state=open&limit=500${beforeId}`, { token: t });
        open += r.json.cases.length;
        if (!r.json.next_before) break;
        beforeId = `&before=${r.json.next_before}`;
      }
      const dbOpen = num("SELECT count(*) FROM cases WHERE state NOT IN ('closed','rated','voided','merged')");
      assert.equal(open, dbOpen);
      return;
    }
    if (attempt === 4) assert.deepEqual(api, db);
    await new Promise(r => setTimeout(r, 500));
  }
});

test('base data: counts per community for staff only, fictional IDs with valid checksums, door sensors of elders', async () => {
  const t = await srv.login('community1');
  const r = await srv.api('GET', '/api/v1/base/summary', { token: t });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.communities.length, 1, 'community staff see their own community only');
  const c = r.json.communities[0];
  assert.ok(c.people > 100 && c.households > 30 && c.houses >= c.households && c.organisations > 0, JSON.stringify(c));
  assert.equal(c.elders_living_alone, num(`SELECT count(*) FROM base_people WHERE community='${c.area}' AND alone_elder=1`));
  assert.ok(!/\d{17}[\dX]/.test(r.text), 'no ID number leaves the server');
  assert.equal((await srv.api('GET', '/api/v1/base/summary', { token: await srv.login('resident1') })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/base/summary?area=110101001002', { token: t })).status, 403);
  // every generated ID is in the fictional area 999999 with a valid GB 11643 check digit
  const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const ids = sql("SELECT id_number FROM base_people").split('\n');
  assert.ok(ids.length > 1000);
  for (const id of ids) {
    assert.ok(id.startsWith('999999'), id);
    const sum = W.reduce((a, w, i) => a + w * Number(id[i]), 0);
    assert.equal(id[17], '10X98765432'[sum % 11], id);
  }
  assert.equal(num("SELECT count(*) FROM base_people WHERE alone_elder=1 AND CAST(substr(birth,1,4) AS INT) > 1956"), 0, 'elders are 70+');
  // the work list answers from the counts; every elder living alone has a door sensor
  assert.equal(num(`SELECT value FROM base_counts WHERE area='${c.area}' AND field='population' ORDER BY as_of DESC LIMIT 1`), c.people);
  const doors = num("SELECT count(*) FROM devices WHERE type='door_contact'");
  assert.equal(doors, Math.min(200, num("SELECT count(*) FROM base_people WHERE alone_elder=1")));
});
