// 63-brief.test.mjs -- statistics for leaders and the brief (docs/brief.md):
// cases in equal the cases created in the range; 环比 and 同比 come from the
// previous period and the same dates a year earlier (days of the daily
// counts written for the test); 受理率 counts a voided report as decided and
// not taken up; 按期办结率 and 满意率 equal the evaluation's figures for the
// same days; the brief's overdue list and late departments follow the cases;
// the workbook holds the brief; scope and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, filler, dbQuery } from './lib.mjs';

let srv;
const T = {};
before(async () => {
  srv = await startServer();
  for (const n of ['dispatcher', 'resident1', 'community1', 'community2', 'dept_chengguan', 'admin']) T[n] = await srv.login(n);
});
after(async () => { await srv?.cleanup(); });

const day = (ms = Date.now()) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 10);
const q = async (path, tok = T.dispatcher) => srv.api('GET', path, { token: tok });
const act = async (tok, id, action, body = {}) => {
  const r = await srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: tok, body });
  assert.ok(r.status < 300, `${action}: ${r.text}`);
  return r.json;
};
// a busy timeout: the server's writer may hold the lock for a moment
const sql = (s) => dbQuery(srv.db, s); // SQLite or PostgreSQL (JICENG_TEST_DB=pg)
const rate = (x) => (x.den ? x.num / x.den : null);

test('a range: cases in, 环比, 同比, 受理率 and the evaluation\'s rates; scope; bad input', async () => {
  const today = day();
  // three reports in community 1 and one in community 2; one voided, one taken through to a rating
  const mk = async (area, cat = '0104') => (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '统计 ' + filler(), category: cat, area } })).json;
  const a = await mk('110101001001001'), b = await mk('110101001001002'), c = await mk('110101001001003', '0201'), d = await mk('110101001002001');
  await act(T.dispatcher, a.id, 'void', { reason: '重复' });
  await act(T.dispatcher, b.id, 'register');
  await act(T.dept_chengguan, b.id, 'accept');
  await act(T.dept_chengguan, b.id, 'feedback', { note: '已处理' });
  await act(T.dispatcher, b.id, 'verify');
  await act(T.dispatcher, b.id, 'close');
  await act(T.resident1, b.id, 'rate', { rating: 'basic' });
  void c; void d;
  // cases in today = what the case list holds for today, in the street (the
  // daily counts follow the new cases within the ticker's second). Waited for
  // before the rows below are written: the ticker's first pass over a new
  // database recounts the whole table.
  const all = (await q('/api/v1/cases?limit=500')).json.cases.filter((x) => day(Date.parse(x.created_at)) === today);
  let r;
  for (let i = 0; i < 100; i++) {
    r = (await q(`/api/v1/stats/range?from=${today}&to=${today}`)).json;
    if (r.now.intake === all.length) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  assert.equal(r.now.intake, all.length);
  // the day before and the same day a year earlier (the daily counts are what the range adds up)
  const yday = day(Date.now() - 86400e3);
  const ly = String(Number(today.slice(0, 4)) - 1) + today.slice(4);
  sql(`INSERT INTO daily_counts(day, area, category, n) VALUES('${yday}','110101001001','0104',4),('${ly}','110101001001','0104',2),('${ly}','110101001002','0301',1)`);
  r = (await q(`/api/v1/stats/range?from=${today}&to=${today}`)).json;
  assert.equal(r.prev.from, yday);
  assert.equal(r.prev.intake, 4);
  assert.equal(r.last_year.from, ly);
  assert.equal(r.last_year.intake, 3);
  // 受理率: decided = not reported any more; taken up = decided and not voided
  const decided = all.filter((x) => x.state !== 'reported');
  assert.equal(r.now.intake_rate.den, decided.length);
  assert.equal(r.now.intake_rate.num, decided.filter((x) => x.state !== 'voided').length);
  assert.ok(r.now.intake_rate.num < r.now.intake_rate.den, 'the voided report is not taken up');
  // 按期办结率, 满意率: the evaluation of the street for the same days (on both backends)
  const ev = (await q(`/api/v1/eval?period=${today}..${today}&unit=street`)).json.rows[0].indicators;
  assert.deepEqual([r.now.ontime_close.num, r.now.ontime_close.den], [ev.ontime_close.num, ev.ontime_close.den]);
  assert.deepEqual([r.now.satisfaction.num, r.now.satisfaction.den], [ev.satisfaction.num, ev.satisfaction.den]);
  assert.ok(r.now.satisfaction.den >= 1);
  assert.ok(r.now.ontime_close.den >= 1, 'the closed case is judged on time or not');
  // by category and community, per day
  const cat = r.by_category.find((x) => x.category === '0104');
  assert.equal(cat.n, all.filter((x) => x.category === '0104').length);
  assert.equal(cat.prev, 4);
  const comm = r.by_community.find((x) => x.area === '110101001002');
  assert.equal(comm.n, all.filter((x) => x.area.startsWith('110101001002')).length);
  assert.equal(comm.last_year, 1);
  assert.deepEqual(r.per_day.map((x) => [x.day, x.n]), [[today, all.length]]);
  // a week: the previous period is the week before
  const w = (await q(`/api/v1/stats/range?from=${day(Date.now() - 6 * 86400e3)}&to=${today}`)).json;
  assert.equal(w.days, 7);
  assert.equal(w.now.intake, all.length + 4);
  assert.equal(w.prev.to, day(Date.now() - 7 * 86400e3));

  // community 2's staff: their community only, whatever they ask
  const c2 = (await q(`/api/v1/stats/range?from=${today}&to=${today}&area=110101001001`, T.community2)).json;
  assert.equal(c2.area, '110101001002');
  assert.equal(c2.now.intake, all.filter((x) => x.area.startsWith('110101001002')).length);
  assert.equal(c2.last_year.intake, 1);
  // refused
  for (const bad of ['from=2026-13-01&to=2026-12-01', `from=${today}`, `from=${today}&to=${yday}`, 'from=2020-01-01&to=2026-01-01', `from=${today}&to=${today}&area=11010100100100`, `from=${today}&to=${today}&area=abc`])
    assert.equal((await q('/api/v1/stats/range?' + bad)).status, 400, bad);
  assert.equal((await q(`/api/v1/stats/range?from=${today}&to=${today}`, T.resident1)).status, 403);
  assert.equal((await q(`/api/v1/stats/range?from=${today}&to=${today}`, T.dept_chengguan)).status, 403);
});

test('the brief: daily and weekly, overdue cases and late departments, warnings; the workbook', async () => {
  const today = day();
  const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '超期测试 ' + filler(), category: '0104', area: '110101001001004' } })).json;
  await act(T.dispatcher, k.id, 'register');
  // overdue: the escalation timer marks cases past their deadline (flag 4); here set directly
  sql(`UPDATE cases SET flags = flags | 4, deadline_at = ${Date.now() - 3600e3} WHERE id = ${k.id}`);
  // a case flagged otherwise (reminded, flag 8) is not overdue, even past its deadline
  const rem = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '提醒测试 ' + filler(), category: '0104', area: '110101001001004' } })).json;
  sql(`UPDATE cases SET flags = flags | 8, deadline_at = ${Date.now() - 7200e3} WHERE id = ${rem.id}`);
  sql(`INSERT INTO warnings(category, area, day, observed, expected, threshold, method, params, state, created_at) VALUES('0104','110101001001','${today}',9,2,5.5,'ears_c2','{}','open',${Date.now()})`);
  const b = (await q(`/api/v1/brief?kind=daily&date=${today}`)).json;
  assert.equal(b.kind, 'daily');
  assert.deepEqual([b.from, b.to], [today, today]);
  assert.ok(b.overdue.total >= 1);
  assert.ok(!b.overdue.cases.some((x) => x.id === rem.id));
  assert.equal(b.overdue.total, Number(sql("SELECT count(*) FROM cases WHERE (flags & 4) <> 0 AND state NOT IN('closed','rated','voided','merged') AND area LIKE '110101001%'")));
  assert.ok(b.overdue.cases.some((x) => x.id === k.id && x.no === k.no && x.dept_id));
  const dept = b.overdue.cases.find((x) => x.id === k.id).dept_id;
  assert.ok(b.late_depts.some((x) => x.dept_id === dept && x.overdue >= 1));
  assert.ok(b.warnings.some((w) => w.category === '0104' && w.observed === 9));
  assert.ok(b.closed.now >= 1, 'the case closed in the first test');
  assert.ok(b.hotspots.length >= 1);
  const range = (await q(`/api/v1/stats/range?from=${today}&to=${today}`)).json;
  assert.equal(b.now.intake, range.now.intake, 'the same figures as the range');
  // community 2 does not see community 1's overdue case
  const b2 = (await q(`/api/v1/brief?kind=daily&date=${today}`, T.community2)).json;
  assert.ok(!b2.overdue.cases.some((x) => x.id === k.id));
  assert.ok(!b2.warnings.some((w) => w.area === '110101001001'));
  // weekly: Monday to Sunday
  const wk = (await q(`/api/v1/brief?kind=weekly&date=${today}`)).json;
  assert.equal(new Date(wk.from + 'T00:00:00Z').getUTCDay(), 1, 'a Monday');
  assert.equal(new Date(wk.to + 'T00:00:00Z').getUTCDay(), 0, 'a Sunday');
  assert.ok(wk.from <= today && today <= wk.to);
  assert.equal((await q('/api/v1/brief?kind=monthly')).status, 400);
  assert.equal((await q('/api/v1/brief?date=yesterday')).status, 400);
  // the workbook
  const res = await fetch(`${srv.url}/api/v1/brief.xlsx?kind=daily&date=${today}`, { headers: { authorization: 'Bearer ' + T.dispatcher } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /spreadsheetml/);
  const file = join(srv.dir, 'brief.xlsx');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const xml = execFileSync('unzip', ['-p', file, 'xl/sharedStrings.xml'], { encoding: 'utf8' });
  for (const want of ['工作日报', '来件数', '受理率', '按期办结率', '满意率', '超期未办结', k.no, '预警']) assert.ok(xml.includes(want), want);
});
