// The demo's simulator (issue 8): a simulated week replayed headless against a
// real server at high speed, then the loop is checked in the database: cases
// from every source, dispatched, handled, escalated, one whistle completed,
// ratings, an intact audit chain, and the dashboard numbers equal to the rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { startServer, jiceng, BIN, ROOT } from './lib.mjs';

let srv, out = '', summary, realSeconds;

const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', srv.db, q], { encoding: 'utf8' }).trim();
const num = (q) => Number(sql(q));

before(async () => {
  srv = await startServer();
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
after(async () => { await srv?.cleanup(); });

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
