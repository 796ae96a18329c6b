// Cost that grows with the store (issue 17): a store filled by
// `jiceng bench-fill` is a valid one (its audit chain verifies, its cases
// read back through the API as the server wrote them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

// ---- lists and search (GET /api/v1/cases) --------------------------------

// Every page, following `next`, until there is none.
async function allPages(tok, query) {
  const ids = [];
  let cursor = null;
  for (let i = 0; i < 1000; i++) {
    const r = await srv.api('GET', `/api/v1/cases?${query}&limit=97${cursor ? '&cursor=' + cursor : ''}`, { token: tok });
    assert.equal(r.status, 200, r.text);
    ids.push(...r.json.cases.map((c) => c.id));
    cursor = r.json.next;
    if (!cursor) return ids;
  }
  throw new Error('no end');
}
const col = (q) => sql(q).split('\n').filter(Boolean).map(Number);

test('keyset pages list each case of the filter once, in order, within scope', async () => {
  const d = await srv.login('dispatcher');
  const open = await allPages(d, 'state=open');
  assert.deepEqual(open, col("SELECT id FROM cases WHERE area LIKE '110101001%' AND state NOT IN ('closed','rated','voided','merged') ORDER BY id DESC"));
  const old = await allPages(d, 'sort=oldest&category=0104');
  assert.deepEqual(old, col("SELECT id FROM cases WHERE area LIKE '110101001%' AND category='0104' ORDER BY id"));
  const c = await srv.login('community1');
  const comm = await allPages(c, 'overdue=1');
  assert.deepEqual(comm, col("SELECT id FROM cases WHERE area LIKE '110101001001%' AND flags & 4 ORDER BY id DESC"));
  // an area outside the caller's scope is replaced by the caller's own
  const outside = await srv.api('GET', '/api/v1/cases?area=110101001002&limit=500', { token: c });
  assert.ok(outside.json.cases.every((x) => x.area.startsWith('110101001001')));
});

test('date range, source, rating and category group filters', async () => {
  const d = await srv.login('dispatcher');
  const day = sql("SELECT date(max(created_at)/1000 + 8*3600, 'unixepoch', '-3 days') FROM cases");
  const got = await allPages(d, `from=${day}&to=${day}`);
  const t0 = Date.parse(day + 'T00:00:00+08:00');
  assert.ok(got.length > 0);
  assert.deepEqual(got, col(`SELECT id FROM cases WHERE created_at >= ${t0} AND created_at < ${t0 + 86400000} ORDER BY id DESC`));
  const rated = await allPages(d, 'rating=unsatisfied&source=web&group=01');
  assert.deepEqual(rated, col("SELECT id FROM cases WHERE rating='unsatisfied' AND source='web' AND category LIKE '01%' ORDER BY id DESC"));
  for (const bad of ['from=2026-13-01', 'rating=great', 'sort=title', 'source=fax', 'group=a', 'cursor=x', 'q=%20%EF%BC%8C']) {
    const r = await srv.api('GET', '/api/v1/cases?' + bad, { token: d });
    assert.equal(r.status, 400, bad);
  }
});

test('a department sees what it leads, co-handles and was summoned to', async () => {
  // the department co-handling the most open cases
  const [dept, code] = sql("SELECT o.dept_id, d.code FROM case_owner o JOIN depts d ON d.id=o.dept_id WHERE o.end_at IS NULL AND o.role='co' GROUP BY o.dept_id ORDER BY count(*) DESC LIMIT 1").split('|');
  assert.ok(dept, 'some open case is co-handled');
  const tok = await srv.login('dept_' + code);
  const got = await allPages(tok, 'x=1');
  const want = col(`SELECT id FROM cases WHERE dept_id=${dept} OR id IN (SELECT case_id FROM case_owner WHERE dept_id=${dept} AND end_at IS NULL) ORDER BY id DESC`);
  assert.deepEqual(got, want);
  assert.ok(want.length > col(`SELECT id FROM cases WHERE dept_id=${dept}`).length, 'co-handled cases are listed too');
});

test('search by words and by case number, scoped; a new case is found at once', async () => {
  const d = await srv.login('dispatcher');
  const r = await srv.api('GET', '/api/v1/cases?q=' + encodeURIComponent('井盖') + '&limit=500', { token: d });
  assert.equal(r.status, 200);
  const want = col("SELECT id FROM cases WHERE (title || body || coalesce(address,'')) LIKE '%井盖%' ORDER BY id DESC LIMIT 500");
  assert.deepEqual(r.json.cases.map((c) => c.id), want);
  // two words: both must be there, anywhere
  const two = await allPages(d, 'q=' + encodeURIComponent('路灯 小区'));
  assert.deepEqual(two, col("SELECT id FROM cases WHERE (title || ' ' || body || ' ' || coalesce(address,'')) LIKE '%路灯%' AND (title || ' ' || body || ' ' || coalesce(address,'')) LIKE '%小区%' ORDER BY id DESC"));
  // a new report, not in the text index yet, is found by a word of its body
  const w = await srv.login('worker1');
  const made = await srv.api('POST', '/api/v1/cases', { token: w, body: { title: '雕塑底座松动', body: '广场上的铜像麒麟底座松动了', category: '0203', area: '110101001001001' } });
  assert.equal(made.status, 201, made.text);
  const found = await srv.api('GET', '/api/v1/cases?q=' + encodeURIComponent('铜像麒麟'), { token: d });
  assert.deepEqual(found.json.cases.map((c) => c.id), [made.json.id]);
  const byNo = await srv.api('GET', '/api/v1/cases?q=' + made.json.no, { token: d });
  assert.deepEqual(byNo.json.cases.map((c) => c.id), [made.json.id]);
  // scope holds: another community's staff and a resident do not find it
  for (const who of ['community2', 'resident2']) {
    const t = await srv.login(who);
    const x = await srv.api('GET', '/api/v1/cases?q=' + encodeURIComponent('铜像麒麟'), { token: t });
    assert.equal(x.json.cases.length, 0, who);
  }
  // and after the ticker indexed it (5,000 a second), through the index
  await new Promise((res) => setTimeout(res, 2500));
  assert.equal(sql("SELECT value FROM meta WHERE key='caselist.indexed'"), String(made.json.id));
  const again = await srv.api('GET', '/api/v1/cases?q=' + encodeURIComponent('铜像麒麟'), { token: d });
  assert.deepEqual(again.json.cases.map((c) => c.id), [made.json.id]);
});

// ---- the dashboard's counters (GET /api/v1/stats) ------------------------

test('the counters the database keeps equal a count of the cases, after the loop moved cases', async () => {
  const d = await srv.login('dispatcher');
  const s = await srv.login('supervisor');
  const res = await srv.login('resident1');
  const made = await srv.api('POST', '/api/v1/cases', { token: res, body: { title: '楼道堆物', body: '楼道里堆满杂物', category: '0102', area: '110101001001002' } });
  assert.equal(made.status, 201, made.text);
  const id = made.json.id;
  assert.equal((await srv.api('POST', `/api/v1/cases/${id}/register`, { token: d })).status, 200);
  assert.equal((await srv.api('POST', `/api/v1/cases/${id}/escalate`, { token: s, body: { reason: '群众反映强烈' } })).status, 200);
  const open = col("SELECT id FROM cases WHERE state='dispatched' ORDER BY id DESC LIMIT 1")[0];
  assert.equal((await srv.api('POST', `/api/v1/cases/${open}/escalate`, { token: s })).status, 200);
  // a finished case keeps no marks in the counters (only open cases' are counted): an
  // escalated case merged into another moves to the merged row without marks
  const other = col(`SELECT id FROM cases WHERE state='dispatched' AND id <> ${id} ORDER BY id DESC LIMIT 1`)[0];
  assert.equal((await srv.api('POST', `/api/v1/cases/${other}/escalate`, { token: s })).status, 200);
  const m = await srv.api('POST', `/api/v1/cases/${other}/merge`, { token: d, body: { target_id: id } });
  assert.equal(m.status, 200, m.text);
  assert.equal(sql(`SELECT state, escalation > 0 FROM cases WHERE id = ${other}`), 'merged|1');
  const marks = "(CASE WHEN state IN ('closed', 'rated', 'voided', 'merged') THEN 0 ELSE (((flags & 4) != 0) | ((escalation > 0) << 1) | ((flags & 1) << 2)) END)";
  const live = sql('SELECT area, dept_id, category, state, marks, n FROM stats_counts WHERE n > 0 ORDER BY 1, 2, 3, 4, 5');
  const counted = sql(`SELECT area, coalesce(dept_id, 0), category, state, ${marks}, count(*) FROM cases GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`);
  assert.equal(live, counted);
  const days = sql('SELECT day, area, dept_id, created FROM stats_days WHERE created > 0 ORDER BY 1, 2, 3');
  const cdays = sql('SELECT (created_at + 28800000) / 86400000, area, coalesce(dept_id, 0), count(*) FROM cases GROUP BY 1, 2, 3 ORDER BY 1, 2, 3');
  assert.equal(days, cdays);
  // the counters per community (what the street's and a community's requests read)
  const comm = sql('SELECT community, category, state, marks, n FROM stats_comm WHERE n > 0 ORDER BY 1, 2, 3, 4');
  const ccomm = sql(`SELECT substr(area, 1, 12), category, state, ${marks}, count(*) FROM cases GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`);
  assert.equal(comm, ccomm);
  const cdays2 = sql('SELECT day, community, created, closed FROM stats_comm_days WHERE created > 0 OR closed > 0 ORDER BY 1, 2');
  const gdays2 = sql('SELECT day, substr(area, 1, 12), sum(created), sum(closed) FROM stats_days GROUP BY 1, 2 HAVING sum(created) > 0 OR sum(closed) > 0 ORDER BY 1, 2');
  assert.equal(cdays2, gdays2);
  // a street's counters (what the street's and the admin's requests read)
  const sm = sql('SELECT community, state, marks, n FROM stats_comm_sm WHERE n > 0 ORDER BY 1, 2, 3');
  const csm = sql(`SELECT substr(area, 1, 12), state, ${marks}, count(*) FROM cases GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
  assert.equal(sm, csm);
  const scat = sql('SELECT street, category, state, n FROM stats_street_cat WHERE n > 0 ORDER BY 1, 2, 3');
  const cscat = sql('SELECT substr(area, 1, 9), category, state, count(*) FROM cases GROUP BY 1, 2, 3 ORDER BY 1, 2, 3');
  assert.equal(scat, cscat);
  // the street's answer by category and by community is that of a count of the cases
  const dsp = await srv.login('dispatcher');
  const street = (await srv.api('GET', '/api/v1/stats?days=30', { token: dsp })).json;
  const sarea = col("SELECT area FROM users WHERE name = 'dispatcher'")[0];
  const isOpen = "state NOT IN ('closed', 'rated', 'voided', 'merged')";
  assert.equal(street.by_category.map((x) => `${x.category}|${x.total}|${x.open}`).join('\n'),
    sql(`SELECT category, count(*), sum(${isOpen}) FROM cases WHERE area LIKE '${sarea}%' GROUP BY 1 ORDER BY 1`));
  assert.equal(street.by_community.map((x) => `${x.area}|${x.total}|${x.open}|${x.overdue}`).join('\n'),
    sql(`SELECT substr(area, 1, 12), count(*), sum(${isOpen}), sum(${isOpen} AND flags & 4 != 0) FROM cases WHERE area LIKE '${sarea}%' GROUP BY 1 ORDER BY 1`));
  // a department's counters without the area (what its request reads)
  const dcat = sql('SELECT dept_id, category, state, marks, n FROM stats_dept_cat WHERE n > 0 ORDER BY 1, 2, 3, 4');
  const cdcat = sql(`SELECT dept_id, category, state, ${marks}, count(*) FROM cases WHERE dept_id IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`);
  assert.equal(dcat, cdcat);
  assert.ok(dcat.split('\n').length > 10);
  const dcomm = sql('SELECT dept_id, community, state, overdue, n FROM stats_dept_comm WHERE n > 0 ORDER BY 1, 2, 3, 4');
  const cdcomm = sql(`SELECT dept_id, substr(area, 1, 12), state, ${marks} & 1, count(*) FROM cases WHERE dept_id IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`);
  assert.equal(dcomm, cdcomm);
  const ddays = sql('SELECT dept_id, day, created, closed FROM stats_dept_days WHERE created > 0 OR closed > 0 ORDER BY 1, 2');
  const gddays = sql('SELECT dept_id, day, sum(created), sum(closed) FROM stats_days WHERE dept_id <> 0 GROUP BY 1, 2 HAVING sum(created) > 0 OR sum(closed) > 0 ORDER BY 1, 2');
  assert.equal(ddays, gddays);
  // a department's figures are the cases it leads: without an area from its own counters,
  // with one from the grid counters; the same answer both ways (every area starts with 1)
  const dt = await srv.login('dept_chengguan');
  const dst = (await srv.api('GET', '/api/v1/stats?days=30', { token: dt })).json;
  const dept = col("SELECT dept_id FROM users WHERE name = 'dept_chengguan'")[0];
  assert.equal(dst.totals.total, col(`SELECT count(*) FROM cases WHERE dept_id = ${dept}`)[0]);
  assert.equal(dst.totals.open, col(`SELECT count(*) FROM cases WHERE dept_id = ${dept} AND state NOT IN ('closed', 'rated', 'voided', 'merged')`)[0]);
  const created = dst.per_day.reduce((a, x) => a + x.created, 0);
  const since = Math.floor((Date.now() + 28800000) / 86400000) - 29;
  assert.equal(created, col(`SELECT count(*) FROM cases WHERE dept_id = ${dept} AND (created_at + 28800000) / 86400000 >= ${since}`)[0]);
  const dgrid = (await srv.api('GET', '/api/v1/stats?days=30&area=1', { token: dt })).json;
  assert.equal(dgrid.area, '1');
  assert.ok(dst.by_community.length > 1 && dst.by_category.length > 1);
  assert.equal(JSON.stringify({ ...dst, area: '1' }), JSON.stringify(dgrid));
  // (a range of the primary key, department first: no seek per row through an index)
  assert.match(sql(`EXPLAIN QUERY PLAN SELECT area, dept_id, category, state, marks, n, 0 FROM stats_counts WHERE dept_id = ${dept} AND area >= '' AND area < '' || 'z' AND n > 0`), /USING PRIMARY KEY \(dept_id=\? AND area>\? AND area<\?\)/);
  assert.match(sql(`EXPLAIN QUERY PLAN SELECT day, sum(created), sum(closed) FROM stats_days WHERE dept_id = ${dept} AND day >= ${since} AND day <= ${since + 29} AND area >= '' AND area < '' || 'z' GROUP BY day`), /USING PRIMARY KEY \(dept_id=\? AND day>\? AND day<\?\)/);
  // dispatch's start-up reads the open located cases of the duplicate window by the index
  // on created_at, not by a scan of every case (src/dispatch_sqlite.c)
  assert.match(sql("EXPLAIN QUERY PLAN SELECT id, title || ' ' || body, lon, lat, created_at, category FROM cases WHERE lon IS NOT NULL AND created_at > 0 AND state NOT IN ('closed','rated','voided','merged') ORDER BY +id"), /SEARCH cases USING INDEX open311_cases_created \(created_at>\?\)/);
  // and the answer equals the listing, per scope (the street, a community, the whole
  // store: community counters; a grid: grid counters; a resident: their cases)
  for (const who of ['dispatcher', 'community1', 'admin', 'worker1', 'resident1']) {
    const t = await srv.login(who);
    const st = (await srv.api('GET', '/api/v1/stats?days=30', { token: t })).json;
    assert.equal(st.totals.total, (await allPages(t, 'x=1')).length, who);
    assert.equal(st.totals.open, (await allPages(t, 'state=open')).length, who);
    assert.equal(st.totals.escalated, (await allPages(t, 'state=open&escalated=1')).length, who);
  }
});

// ---- long work: exports and the whole chain's verification ---------------

async function xlsxRows(res) {
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /spreadsheetml/);
  const buf = Buffer.from(await res.arrayBuffer());
  const file = join(dir, `x${Math.random().toString(36).slice(2)}.xlsx`);
  writeFileSync(file, buf);
  const sheet = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  // constant-memory workbooks hold their strings inline
  return { rows: (sheet.match(/<row /g) || []).length, text: sheet };
}

test('the list exports as a workbook: same filter, same scope, no personal data', async () => {
  const c = await srv.login('community1');
  const ids = await allPages(c, 'state=open');
  const tok = c;
  const res = await fetch(srv.url + '/api/v1/cases/export.xlsx?state=open', { headers: { authorization: 'Bearer ' + tok } });
  const { rows, text } = await xlsxRows(res);
  assert.equal(rows, 2 + ids.length); // title, header, one row a case
  const nos = new Set([...text.matchAll(/JC\d{8}-(\d+)/g)].map((m) => Number(m[1])));
  assert.deepEqual([...nos].sort((a, b) => a - b), [...ids].sort((a, b) => a - b));
  assert.ok(!/1[3-9]\d{9}/.test(text), 'no phone numbers');
  assert.match(text, /状态/);
  // a search exports what it lists
  const q = encodeURIComponent('井盖');
  const found = await allPages(c, 'q=' + q);
  const r2 = await fetch(`${srv.url}/api/v1/cases/export.xlsx?q=${q}`, { headers: { authorization: 'Bearer ' + tok } });
  assert.equal((await xlsxRows(r2)).rows, 2 + found.length);
  const bad = await srv.api('GET', '/api/v1/cases/export.xlsx?state=nope', { token: tok });
  assert.equal(bad.status, 400);
});

test('long work runs a few at a time: the rest are refused at once, the whole chain verifies there', async () => {
  const d = await srv.login('dispatcher');
  const v = await srv.api('GET', '/api/v1/audit/verify', { token: d });
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.ok, true);
  assert.ok(v.json.entries > N);
  const many = await Promise.all(Array.from({ length: 30 }, () =>
    fetch(srv.url + '/api/v1/cases/export.xlsx', { headers: { authorization: 'Bearer ' + d } })));
  const status = many.map((r) => r.status);
  assert.ok(status.every((s) => s === 200 || s === 503), status.join());
  assert.ok(status.filter((s) => s === 503).length > 0, 'some refused: ' + status.join());
  assert.ok(status.filter((s) => s === 200).length >= 2);
  const first503 = many.find((r) => r.status === 503);
  assert.match((await first503.json()).error.message, /long requests .* retry later/);
  for (const r of many) if (r !== first503) await r.arrayBuffer();
  const jobs = await srv.api('GET', '/api/v1/jobs', { token: d });
  assert.equal(jobs.status, 200);
  assert.ok(Array.isArray(jobs.json.running));
});
