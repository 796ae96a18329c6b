// The grassroots' own tools over the API: categories with extra fields
// (validated, audited, at once in Open311) and a preview of what a new
// responsibility list would route differently.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng } from './lib.mjs';

let srv, T = {};
before(async () => {
  srv = await startServer();
  for (const n of ['dispatcher', 'resident1', 'dept_chengguan', 'admin']) T[n] = await srv.login(n);
});
after(async () => { await srv.cleanup(); });

const put = (code, body, who = 'dispatcher') => srv.api('PUT', `/api/v1/categories/${code}`, { token: T[who], body });

test('a category with extra fields is added, validated and audited', async () => {
  const good = {
    name: '共享单车乱停', name_en: 'Shared bikes parked badly', kind: 'event', dept: 'chengguan',
    accept_h: 2, handle_h: 24, verify_h: 8, urgent: false,
    fields: [{ code: 'count', name: '车辆数', type: 'number', required: true },
      { code: 'brand', name: '品牌', type: 'choice', choices: ['美团', '哈啰', '青桔'] }],
  };
  const r = await put('1202', good);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.fields.length, 2);
  const cats = (await srv.api('GET', '/api/v1/categories')).json.categories;
  assert.ok(cats.some(c => c.code === '1202' && c.name === '共享单车乱停' && c.fields[1].choices.length === 3));
  // Open311 publishes it with its attributes at once
  const svc = await srv.api('GET', '/open311/v2/services/1202.json');
  assert.equal(svc.status, 200, svc.text);
  assert.equal(svc.json.attributes.length, 2);
  // editing answers 200
  assert.equal((await put('1202', { ...good, handle_h: 12 })).status, 200);
  // refused: unknown department, bad kind, bad limits, malformed fields, wrong role, bad code
  for (const [body, re] of [
    [{ ...good, dept: 'nosuch' }, /unknown department/],
    [{ ...good, kind: 'thing' }, /kind/],
    [{ ...good, handle_h: 0 }, /handle_h/],
    [{ ...good, fields: [{ code: 'x y', name: 'n', type: 'text' }] }, /code/],
    [{ ...good, fields: [{ code: 'a', name: 'n', type: 'choice' }] }, /choices/],
    [{ ...good, fields: [{ code: 'a', name: 'n', type: 'text' }, { code: 'a', name: 'm', type: 'text' }] }, /twice/],
    [{ ...good, fields: [{ code: 'a', name: 'n', type: 'text', colour: 'red' }] }, /unknown key/],
    [{ ...good, fields: 'none' }, /list/],
  ]) {
    const b = await put('1203', body);
    assert.equal(b.status, 400, JSON.stringify(body).slice(0, 80));
    assert.match(b.json.error.message, re);
  }
  assert.equal((await put('12 03', good)).status, 400);
  assert.equal((await put('1203', good, 'resident1')).status, 403);
  assert.equal((await put('1203', good, 'dept_chengguan')).status, 403);
  assert.ok(!(await srv.api('GET', '/api/v1/categories')).json.categories.some(c => c.code === '1203'), 'nothing half-written');
  await srv.stop();
  const log = jiceng(['audit', 'log', '--db', srv.db]);
  assert.equal(log.stdout.split('\n').filter((l) => l.includes('category_put')).length, 2, log.stdout);
  assert.equal(jiceng(['audit', 'verify', '--db', srv.db]).status, 0);
  srv = await startServer({ db: srv.db, dir: srv.dir });
  for (const n of ['dispatcher', 'resident1']) T[n] = await srv.login(n);
});

test('a list preview names the open cases that would be routed differently, and changes nothing', async () => {
  const mk = async (category, area) => (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: 't', body: 'b', category, area } })).json.id;
  const a = await mk('1201', '110101001001001');
  const b = await mk('0104', '110101001001001');
  const csv = (await srv.api('GET', '/api/v1/duties/csv')).text;
  const moved = csv.replace('D-1201,1201,110101,jiaotong,gongan', 'D-1201,1201,110101,gongan,jiaotong');
  const r = await srv.api('POST', '/api/v1/duties/preview', { token: T.dispatcher, body: moved });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.checked >= 2);
  const row = r.json.changed.find(x => x.case_id === a);
  assert.deepEqual([row.from, row.to], ['jiaotong', 'gongan']);
  assert.ok(!r.json.changed.some(x => x.case_id === b));
  assert.equal(r.json.changed_count, r.json.changed.length);
  assert.equal((await srv.api('GET', '/api/v1/duties')).json.version, 1, 'the preview changed nothing');
  const bad = await srv.api('POST', '/api/v1/duties/preview', { token: T.dispatcher, body: moved.replace('gongan,jiaotong', 'nosuch,jiaotong') });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /nosuch/);
  assert.equal((await srv.api('POST', '/api/v1/duties/preview', { token: T.resident1, body: moved })).status, 403);
});
