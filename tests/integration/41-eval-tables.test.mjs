// 41-eval-tables.test.mjs -- the evaluation tables over HTTP with the demo users:
// the table and its drill-down, the CLI's CSV, the Excel download for street staff only.
// (Split out of 40-worklist, which runs on PostgreSQL too; module eval has no
// PostgreSQL half yet.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng } from './lib.mjs';

let srv, disp, minzheng;
const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);

before(async () => {
  srv = await startServer();
  [disp, minzheng] = await Promise.all(['dispatcher', 'dept_minzheng'].map(n => srv.login(n)));
});
after(async () => { await srv?.cleanup(); });

test('evaluation table and drill-down over HTTP', async () => {
  let r = await srv.api('GET', `/api/v1/eval?period=${month}&unit=street`, { token: disp });
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.json.rows));
  r = await srv.api('GET', `/api/v1/eval?period=bad`, { token: disp });
  assert.equal(r.status, 400);
  r = await srv.api('GET', `/api/v1/eval/cases?period=${month}&unit=street:110101001&indicator=resolution`, { token: disp });
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.json.case_ids));
  r = await srv.api('GET', `/api/v1/eval/cases?period=${month}&unit=dept:999&indicator=response`, { token: minzheng });
  assert.equal(r.status, 403);
  r = await srv.api('GET', `/api/v1/eval`, { token: 'x'.repeat(64) });
  assert.equal(r.status, 401);
  const x = jiceng(['eval', '--db', srv.db, '--period', month, '--format', 'csv']);
  assert.equal(x.status, 0, x.stderr);
  assert.match(x.stdout, /类型,单位代码,单位,排名,案卷数,响应率/);
});

test('the evaluation tables download as an Excel workbook for street staff only', async () => {
  const tok = await srv.login('dispatcher');
  const res = await fetch(srv.url + '/api/v1/eval/export.xlsx?period=2026-11', { headers: { authorization: 'Bearer ' + tok } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /spreadsheetml/);
  const buf = Buffer.from(await res.arrayBuffer());
  assert.equal(buf.subarray(0, 2).toString(), 'PK', 'a zip container');
  assert.ok(buf.includes(Buffer.from('xl/worksheets/sheet1.xml')));
  const dept = await srv.login('dept_chengguan');
  assert.equal((await srv.api('GET', '/api/v1/eval/export.xlsx?period=2026-11', { token: dept })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/eval/export.xlsx?period=26-11', { token: tok })).status, 400);
});
