// 40-worklist.test.mjs -- the community work list over HTTP with the demo users:
// import (all-or-nothing), admission (admit / refuse / exception), a data request
// answered from the store, the community's view and done, burden counters.  Runs on
// SQLite and, in the second pass, on PostgreSQL (the evaluation's tables, which read
// the work list too, are 41-eval-tables).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, ROOT, jiceng } from './lib.mjs';

let srv, admin, disp, minzheng, chengguan, comm1, comm2;
const C1 = '110101001001', C2 = '110101001002';
const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);

before(async () => {
  srv = await startServer();
  [admin, disp, minzheng, chengguan, comm1, comm2] = await Promise.all(
    ['admin', 'dispatcher', 'dept_minzheng', 'dept_chengguan', 'community1', 'community2'].map(n => srv.login(n)));
  // `jiceng demo` seeds the list once the lead wires worklist_seed_demo; until then import it.
  const r = await srv.api('GET', '/api/v1/worklist', { token: disp });
  assert.equal(r.status, 200);
  if (r.json.version === 0) {
    const csv = readFileSync(join(ROOT, 'data/worklist.csv'), 'utf8');
    const imp = await srv.api('POST', '/api/v1/worklist?note=demo', { token: admin, body: csv, headers: { 'content-type': 'text/csv' } });
    assert.equal(imp.status, 201, imp.text);
  }
});
after(async () => { await srv?.cleanup(); });

test('the list: a bad CSV changes nothing and names its rows; edits make versions', async () => {
  const before = await srv.api('GET', '/api/v1/worklist', { token: comm1 });
  assert.equal(before.json.items.length, 25);
  const bad = 'code,name,kind,basis,depts\nX1,好,duty,法,street\nX2,坏,maybe,法,street\n';
  let r = await srv.api('POST', '/api/v1/worklist', { token: admin, body: bad, headers: { 'content-type': 'text/csv' } });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /row 3: kind 'maybe'/);
  r = await srv.api('GET', '/api/v1/worklist', { token: comm1 });
  assert.equal(r.json.version, before.json.version);
  // Only the street edits the list.
  r = await srv.api('PUT', '/api/v1/worklist/items/WL-T01', { token: minzheng, body: { name: 'x', kind: 'duty', basis: 'y', depts: 'minzheng' } });
  assert.equal(r.status, 403);
  r = await srv.api('PUT', '/api/v1/worklist/items/WL-T01', { token: disp, body: { name: '测试事项', kind: 'assist', basis: '测试依据', depts: 'chengguan' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.version, before.json.version + 1);
  assert.equal(r.json.items, 26);
  r = await srv.api('PUT', '/api/v1/worklist/items/WL-T02', { token: disp, body: { name: 'x', kind: 'duty', basis: 'y', depts: 'nosuch' } });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /nosuch/);
  r = await srv.api('GET', '/api/v1/worklist/versions', { token: disp });
  assert.ok(r.json.versions.length >= 2);
  assert.equal(r.json.versions.filter(v => v.active).length, 1);
});

test('admission: admitted, refused with the reason, exception by the street, done by the community', async () => {
  let r = await srv.api('POST', '/api/v1/tasks', { token: minzheng, body: { title: '低保年审材料收集', kind: 'form', item: 'WL-D06', communities: [C1, C2] } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.decision, 'admitted');
  assert.deepEqual(r.json.communities.map(c => c.status), ['received', 'received']);
  const admitted = r.json.id;
  assert.ok(r.json.list_version >= 1);

  r = await srv.api('POST', '/api/v1/tasks', { token: chengguan, body: { title: '创城迎检台账', kind: 'report', item: 'WL-D06', communities: [C1] } });
  assert.equal(r.status, 201);
  assert.equal(r.json.decision, 'refused');
  // the reason as a code the UI words (docs/audit.md, "Reason codes")
  assert.deepEqual((({ code, dept, item }) => ({ code, dept, item }))(JSON.parse(r.json.reason)), { code: 'task_sender', dept: 'chengguan', item: 'WL-D06' });
  const refused = r.json.id;

  r = await srv.api('POST', '/api/v1/tasks', { token: chengguan, body: { title: '宣传活动', kind: 'meeting', item: 'WL-R02', communities: [C1] } });
  assert.equal(r.json.decision, 'refused');
  assert.equal(JSON.parse(r.json.reason).code, 'task_resources');
  r = await srv.api('POST', '/api/v1/tasks', { token: chengguan, body: { title: '宣传活动', kind: 'meeting', item: 'WL-R02', communities: [C1], resources: '经费2000元' } });
  assert.equal(r.json.decision, 'admitted');

  // Bad input: unknown field, unknown community, community staff may not send.
  r = await srv.api('POST', '/api/v1/tasks', { token: minzheng, body: { title: 'x', kind: 'form', item: 'WL-D06', communities: [C1], urgent: true } });
  assert.equal(r.status, 400);
  r = await srv.api('POST', '/api/v1/tasks', { token: minzheng, body: { title: 'x', kind: 'form', item: 'WL-D06', communities: ['999999999999'] } });
  assert.equal(r.status, 400);
  r = await srv.api('POST', '/api/v1/tasks', { token: comm1, body: { title: 'x', kind: 'form', item: 'WL-D06', communities: [C1] } });
  assert.equal(r.status, 403);

  // The refusal is visible to the sender, the street and the community.
  for (const tok of [chengguan, disp, comm1]) {
    r = await srv.api('GET', `/api/v1/tasks/${refused}`, { token: tok });
    assert.equal(r.status, 200);
    assert.equal(r.json.decision, 'refused');
  }
  r = await srv.api('GET', `/api/v1/tasks/${refused}`, { token: comm2 });
  assert.equal(r.status, 404);

  // Exception: a department may not grant one; the street may, recorded.
  r = await srv.api('POST', `/api/v1/tasks/${refused}/exception`, { token: chengguan, body: { reason: 'x' } });
  assert.equal(r.status, 403);
  r = await srv.api('POST', `/api/v1/tasks/${refused}/exception`, { token: disp, body: {} });
  assert.equal(r.status, 400);
  r = await srv.api('POST', `/api/v1/tasks/${refused}/exception`, { token: disp, body: { reason: '区创城督查，街道主任批准' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.decision, 'exception');
  assert.equal(r.json.exception.by, 'dispatcher');
  assert.equal(r.json.communities[0].status, 'received');
  r = await srv.api('POST', `/api/v1/tasks/${admitted}/exception`, { token: disp, body: { reason: 'x' } });
  assert.equal(r.status, 409);

  // The community's view and done.
  r = await srv.api('GET', `/api/v1/tasks?community=${C2}`, { token: comm1 });
  assert.equal(r.status, 403);
  r = await srv.api('GET', '/api/v1/tasks', { token: comm2 });
  assert.deepEqual(r.json.tasks.map(t => t.id), [admitted]);
  r = await srv.api('POST', `/api/v1/tasks/${admitted}/done`, { token: comm2 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.communities.find(c => c.community === C2).status, 'done');
  assert.equal(r.json.communities.find(c => c.community === C1).status, 'received');
  r = await srv.api('POST', `/api/v1/tasks/${admitted}/done`, { token: comm2 });
  assert.equal(r.status, 409);

  // Decisions are in the audit trail.
  const log = jiceng(['audit', 'log', '--db', srv.db]);
  assert.equal(log.status, 0, log.stderr);
  for (const a of ['task_admit', 'task_refuse', 'task_exception', 'task_done', 'worklist_version'])
    assert.match(log.stdout, new RegExp(a));
  const verify = jiceng(['audit', 'verify', '--db', srv.db]);
  assert.equal(verify.status, 0, verify.stderr + verify.stdout);
});

test('a data request for data already held is answered from the store', async () => {
  const r = await srv.api('POST', '/api/v1/tasks', { token: minzheng, body: { title: '各社区在办案卷统计', kind: 'data_request', item: 'WL-D12', communities: [C1, C2], fields: ['open_cases', 'cases_by_category'] } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.decision, 'answered_from_store');
  assert.deepEqual(r.json.communities.map(c => c.status), ['answered', 'answered']);
  const cases = await srv.api('GET', `/api/v1/cases?area=${C1}&state=open&limit=500`, { token: disp });
  assert.equal(r.json.answer[C1].open_cases, cases.json.cases.length);
  assert.equal(typeof r.json.answer[C1].cases_by_category, 'object');
  const f = await srv.api('GET', '/api/v1/worklist/fields', { token: minzheng });
  assert.ok(f.json.fields.find(x => x.field === 'open_cases' && x.answerable));
  // A field nobody holds: the request goes through admission.
  const r2 = await srv.api('POST', '/api/v1/tasks', { token: minzheng, body: { title: '宠物数', kind: 'data_request', item: 'WL-D12', communities: [C1], fields: ['pets'] } });
  assert.equal(r2.json.decision, 'admitted');
});

test('burden counters and the over-limit warning', async () => {
  let r = await srv.api('GET', `/api/v1/burden?month=${month}`, { token: disp });
  assert.equal(r.status, 200, r.text);
  const c1 = r.json.communities.find(c => c.community === C1);
  const c2 = r.json.communities.find(c => c.community === C2);
  // C1: WL-D06 form, excepted report, WL-R02 meeting, pets request = 4 received.
  assert.equal(c1.received, 4);
  assert.equal(c1.exceptions, 1);
  assert.equal(c1.forms, 1);
  assert.equal(c1.reports, 1);
  assert.equal(c1.answered_from_store, 1);
  assert.equal(c2.received, 1);
  assert.equal(c2.done, 1);
  const cg = r.json.depts.find(d => d.dept === 'chengguan');
  assert.equal(cg.refused, 1); // the resource-less WL-R02 (the other was excepted)
  assert.equal(cg.exceptions, 1);
  assert.equal(r.json.warnings.length, 0);
  r = await srv.api('PUT', '/api/v1/burden/config', { token: disp, body: { key: 'limit.tasks_per_community_month', value: 1 } });
  assert.equal(r.status, 200, r.text);
  r = await srv.api('GET', `/api/v1/burden?month=${month}`, { token: disp });
  assert.ok(r.json.warnings.find(w => w.dept === 'minzheng' && w.community === C1 && w.tasks === 2));
  r = await srv.api('GET', '/api/v1/burden?month=2026-13', { token: disp });
  assert.equal(r.status, 400);
  r = await srv.api('GET', `/api/v1/burden?month=${month}`, { token: minzheng });
  assert.deepEqual(r.json.depts.map(d => d.dept), ['minzheng']);
});
