// Security regressions of issue 18, each against the real server: silences
// scoped to the caller's area (finding 2), Open311's XML kept well-formed
// (finding 6), and the other API-level findings as they are fixed.  Every
// test here failed on the code before its fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng, dbQuery } from './lib.mjs';

let srv;
const T = {};
const G1 = '110101001001001', G1b = '110101001001002', G2 = '110101001002001';
const H = 3600e3;
const iso = ms => new Date(ms).toISOString();
const api = (m, p, body, who = 'admin') => srv.api(m, p, { token: T[who], body });
// the character of code point n in SQL, on either backend (fixtures through dbQuery)
const chr = n => (srv.db.startsWith('postgresql://') ? `chr(${n})` : `char(${n})`);

before(async () => {
  srv = await startServer();
  for (const n of ['admin', 'dispatcher', 'community1', 'community2', 'worker1', 'resident1'])
    T[n] = await srv.login(n);
});
after(async () => { await srv?.cleanup(); });

async function device(id, type, grid) {
  const r = await api('POST', '/api/v1/devices', { id, type, grid, lon: 116.39, lat: 39.91 });
  assert.equal(r.status, 201, JSON.stringify(r.json));
}
async function alarms(dev) {
  const r = await api('GET', `/api/v1/alarms?device=${dev}&state=active`);
  assert.equal(r.status, 200);
  return r.json.alarms;
}
const reading = (dev, values) => api('POST', '/api/v1/readings', { readings: [{ device: dev, values }] });

test('silences: a community cannot silence another community, the street, or smoke by type', async () => {
  await device('sec-smoke-1', 'smoke', G1);
  await device('sec-smoke-2', 'smoke', G2);
  await device('sec-noise-1', 'noise', G1b);
  const until = iso(Date.now() + H);
  // another community's grid, device, or smoke across the street
  assert.equal((await api('POST', '/api/v1/silences', { type: 'smoke', reason: 'x', until }, 'community2')).status, 403);
  assert.equal((await api('POST', '/api/v1/silences', { device: 'sec-smoke-1', reason: 'x', until }, 'community2')).status, 403);
  assert.equal((await api('POST', '/api/v1/silences', { grid: G1, reason: 'x', until }, 'community2')).status, 403);
  // even in its own community: no area-wide smoke silence, one device at a time
  assert.equal((await api('POST', '/api/v1/silences', { grid: G2, reason: 'x', until }, 'community2')).status, 403);
  assert.equal((await api('POST', '/api/v1/silences', { grid: G2, type: 'gas', reason: 'x', until }, 'community2')).status, 403);
  const own = await api('POST', '/api/v1/silences', { device: 'sec-smoke-2', reason: '探测器检修', until }, 'community2');
  assert.equal(own.status, 201, JSON.stringify(own.json));
  assert.equal(own.json.grid, G2, 'a device silence is bound to the device grid');
  assert.equal((await api('POST', '/api/v1/silences', { device: 'no-such-device', reason: 'x', until }, 'community2')).status, 400);
  // a type silence by a scoped role is bound to its own area
  const noise = await api('POST', '/api/v1/silences', { type: 'noise', reason: '施工', until }, 'community2');
  assert.equal(noise.status, 201);
  assert.equal(noise.json.grid, '110101001002');

  // community 1's smoke detector still raises its alarm
  assert.equal((await reading('sec-smoke-1', { smoke: 1 })).status, 200);
  assert.equal((await alarms('sec-smoke-1')).length, 1, 'community 2 must not silence community 1 smoke');
  // community 2's own silenced detector does not
  await reading('sec-smoke-2', { smoke: 1 });
  assert.equal((await alarms('sec-smoke-2')).length, 0);
  // community 2's noise silence does not reach community 1's noise sensor
  await reading('sec-noise-1', { db: 95 });
  assert.equal((await alarms('sec-noise-1')).length, 1);

  // list and delete are scoped
  const c1 = await api('POST', '/api/v1/silences', { grid: G1, type: 'noise', reason: '管道维修', until }, 'community1');
  assert.equal(c1.status, 201);
  const street = await api('POST', '/api/v1/silences', { type: 'door_contact', reason: '全街检修', until }, 'dispatcher');
  assert.equal(street.status, 201);
  assert.equal(street.json.grid, '110101001');
  const l2 = (await api('GET', '/api/v1/silences', undefined, 'community2')).json.silences.map(s => s.id);
  assert.ok(!l2.includes(c1.json.id), 'community 2 must not list community 1 silences');
  assert.ok(l2.includes(own.json.id) && l2.includes(street.json.id), 'its own and the street silences are listed');
  assert.equal((await api('DELETE', `/api/v1/silences/${c1.json.id}`, undefined, 'community2')).status, 404);
  assert.equal((await api('DELETE', `/api/v1/silences/${street.json.id}`, undefined, 'community2')).status, 404);
  const all = (await api('GET', '/api/v1/silences')).json.silences.map(s => s.id);
  assert.ok(all.includes(c1.json.id) && all.includes(street.json.id), 'nothing was deleted');
  assert.equal((await api('DELETE', `/api/v1/silences/${c1.json.id}`, undefined, 'community1')).status, 200);
  assert.equal((await api('DELETE', `/api/v1/silences/${street.json.id}`, undefined, 'dispatcher')).status, 200);
});

test('silences: every criterion given must match (grid AND type)', async () => {
  await device('sec-noise-3', 'noise', G1);
  const s = await api('POST', '/api/v1/silences', { grid: G1, type: 'water_level', reason: '地道排水泵检修', until: iso(Date.now() + H) });
  assert.equal(s.status, 201);
  await reading('sec-noise-3', { db: 95 });
  assert.equal((await alarms('sec-noise-3')).length, 1, 'a water-level silence must not silence a noise sensor of the grid');
});

// No character XML 1.0 forbids (U+FFFE, U+FFFF, C0 controls but tab/LF/CR).
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

test('Open311 XML stays well-formed: noncharacters refused at intake, replaced at output', async () => {
  const KEY = jiceng(['open311', 'key', 'add', '--db', srv.db, '--name', 'sec-xml']).stdout.trim();
  assert.match(KEY, /^[0-9a-f]{64}$/);
  const form = (fmt, f) => srv.api('POST', `/open311/v2/requests.${fmt}`, {
    body: new URLSearchParams(f).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const good = { api_key: KEY, service_code: '0101', lat: '39.915', long: '116.404' };
  for (const bad of ['占道\uFFFF摆摊', '占道\uFFFE摆摊', '占道\uFDD0摆摊', '占道\u0001摆摊'])
    assert.equal((await form('xml', { ...good, description: bad })).status, 400, JSON.stringify(bad));
  assert.equal((await api('POST', '/api/v1/cases', { title: '路灯不亮\uFFFF', category: '0101', area: G1 }, 'resident1')).status, 400);
  assert.equal((await api('POST', '/api/v1/cases', { title: '路灯不亮', body: '\uFFFE', category: '0101', area: G1 }, 'resident1')).status, 400);
  const cat = (await api('GET', '/api/v1/categories')).json.categories.find(c => c.code === '0101');
  assert.equal((await api('PUT', '/api/v1/categories/0101', { name: cat.name + '\uFFFF', kind: cat.kind, dept: cat.dept })).status, 400);
  // text stored before (or around) the intake check is replaced at output
  const ok = await form('json', { ...good, description: '东华门大街路边有人占道摆摊卖水果' + Date.now() });
  assert.equal(ok.status, 201, ok.text);
  const id = ok.json[0].service_request_id;
  dbQuery(srv.db, `UPDATE cases SET body = body || ${chr(65535)} || ${chr(65534)} WHERE id = (SELECT max(id) FROM cases);
    UPDATE categories SET name = name || ${chr(65535)} WHERE code = '0101';`);
  for (const path of ['/open311/v2/requests.xml', `/open311/v2/requests/${id}.xml`, '/open311/v2/services.xml']) {
    const r = await srv.api('GET', path);
    assert.equal(r.status, 200, path);
    assert.doesNotMatch(r.text, NOT_XML, path + ' carries a character XML 1.0 forbids');
    assert.match(r.text, /\uFFFD/, path + ' shows the replacement character');
  }
  dbQuery(srv.db, `UPDATE categories SET name = replace(name, ${chr(65535)}, '') WHERE code = '0101';`);
});

test('report source: residents cannot claim a patrol, a hotline call or the platform', async () => {
  const base = { title: '楼道灯不亮', body: '三号楼二单元楼道灯坏了好几天', category: '0101', area: G1 };
  for (const source of ['patrol', 'hotline', 'open311', 'sensor', 'warning'])
    assert.equal((await api('POST', '/api/v1/cases', { ...base, source }, 'resident1')).status, 403, source);
  assert.equal((await api('POST', '/api/v1/cases', { ...base, source: 'web' }, 'resident1')).status, 201);
  assert.equal((await api('POST', '/api/v1/cases', { ...base, source: 'hotline' }, 'community1')).status, 201);
  assert.equal((await api('POST', '/api/v1/cases', { ...base, source: 'patrol', body: base.body + '巡查' }, 'worker1')).status, 201);
  // a category or area code is ASCII: a long Chinese "code" is refused, not cut mid-character
  assert.equal((await api('POST', '/api/v1/cases', { ...base, category: '占道经营占道经营' }, 'resident1')).status, 400);
  assert.equal((await api('POST', '/api/v1/cases', { ...base, area: '东华门街道' }, 'resident1')).status, 400);
});

test('Open311 updates do not publish internal notes (who read the reporter phone)', async () => {
  const KEY = jiceng(['open311', 'key', 'add', '--db', srv.db, '--name', 'sec-upd']).stdout.trim();
  const ok = await srv.api('POST', '/open311/v2/requests.json', {
    body: new URLSearchParams({ api_key: KEY, service_code: '0101', lat: '39.915', long: '116.404', phone: '13912345678',
      description: '东华门大街有人占道摆摊，堵住了人行道' + Date.now() }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(ok.status, 201, ok.text);
  const no = ok.json[0].service_request_id;
  const id = Number(no.split('-')[1]);
  const c = await api('GET', `/api/v1/cases/${id}/contact`, undefined, 'dispatcher');
  assert.equal(c.status, 200, c.text);
  const k = await api('GET', `/api/v1/cases/${id}`, undefined, 'dispatcher');
  assert.ok(k.json.timeline.some(e => e.action === 'read_contact'), 'the read is in the audit trail');
  const u = await srv.api('GET', '/open311/v2/servicerequestupdates.json');
  const mine = u.json.filter(x => x.service_request_id === no);
  assert.ok(mine.length >= 1);
  assert.ok(!mine.some(x => /read_contact/.test(x.description)), JSON.stringify(mine));
});

test('metrics: the monitoring host or an admin, nobody else', async () => {
  assert.equal((await srv.api('GET', '/metrics')).status, 200, 'loopback is the default monitoring host');
  const other = await startServer({ seed: true, extraArgs: ['--metrics-allow', '10.9.0.0/16'] });
  try {
    const adm = await other.login('admin'), disp = await other.login('dispatcher');
    for (const p of ['/metrics', '/api/v1/sensor/metrics', '/api/v1/sensor/stats']) {
      const anon = await other.api('GET', p);
      assert.equal(anon.status, 401, p);
      assert.doesNotMatch(anon.text, /jiceng_cases|readings/, p + ' leaks figures');
      assert.equal((await other.api('GET', p, { token: disp })).status, 403, p);
      assert.equal((await other.api('GET', p, { token: adm })).status, 200, p);
    }
  } finally { await other.cleanup(); }
});

test('category fields: choices are lists in Open311, checked and required in both APIs', async () => {
  const cat = (await api('GET', '/api/v1/categories')).json.categories.find(c => c.code === '0102');
  const put = await api('PUT', '/api/v1/categories/0102', { name: cat.name, kind: cat.kind, dept: cat.dept,
    fields: [{ code: 'size', name: '规模', type: 'choice', choices: ['小', '中', '大'], required: true },
      { code: 'count', name: '数量', type: 'number' }] });
  assert.equal(put.status, 200, put.text);
  try {
    const def = await srv.api('GET', '/open311/v2/services/0102.json');
    const size = def.json.attributes.find(a => a.code === 'size');
    assert.equal(size.datatype, 'singlevaluelist');
    assert.deepEqual(size.values.map(v => v.key), ['小', '中', '大']);
    const KEY = jiceng(['open311', 'key', 'add', '--db', srv.db, '--name', 'sec-fields']).stdout.trim();
    const form = (f) => srv.api('POST', '/open311/v2/requests.json', { body: new URLSearchParams(f).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const g = { api_key: KEY, service_code: '0102', lat: '39.915', long: '116.404', description: '路边堆了很多建筑材料' + Date.now() };
    assert.equal((await form({ ...g, 'attribute[size]': '巨大' })).status, 400);
    assert.equal((await form(g)).status, 400, 'required');
    assert.equal((await form({ ...g, 'attribute[size]': '中' })).status, 201);
    const base = { title: '乱堆物料', body: '小区门口堆了很多砖头' + Date.now(), category: '0102', area: G1 };
    assert.equal((await api('POST', '/api/v1/cases', base, 'resident1')).status, 400, 'a required field must be given');
    assert.equal((await api('POST', '/api/v1/cases', { ...base, attributes: { size: '巨大' } }, 'resident1')).status, 400);
    assert.equal((await api('POST', '/api/v1/cases', { ...base, attributes: { size: '中', count: 'many' } }, 'resident1')).status, 400);
    assert.equal((await api('POST', '/api/v1/cases', { ...base, attributes: { size: '中', colour: 'red' } }, 'resident1')).status, 400);
    const ok = await api('POST', '/api/v1/cases', { ...base, attributes: { size: '中', count: 3 } }, 'resident1');
    assert.equal(ok.status, 201, ok.text);
    const k = await api('GET', `/api/v1/cases/${ok.json.id}`, undefined, 'resident1');
    assert.deepEqual(k.json.extra.attributes, { size: '中', count: 3 });
  } finally {
    assert.equal((await api('PUT', '/api/v1/categories/0102', { name: cat.name, kind: cat.kind, dept: cat.dept, fields: [] })).status, 200);
  }
});

test('co-handling and summoned departments: see, list and audit the case, record their part, never drive it', async () => {
  const who = ['dept_chengguan', 'dept_zhujian', 'dept_gongan', 'dept_shuiwu'];
  for (const n of who) T[n] ??= await srv.login(n);
  const depts = Object.fromEntries((await api('GET', '/api/v1/depts')).json.depts.map(d => [d.code, d.id]));
  const c = await api('POST', '/api/v1/cases', { title: '违法搭建', body: '小区楼顶有人搭建彩钢房' + Date.now(), category: '0103', area: G1 }, 'resident1');
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  const reg = await api('POST', `/api/v1/cases/${id}/register`, {}, 'dispatcher');
  assert.equal(reg.json.state, 'dispatched');
  assert.equal(reg.json.dept_id, depts.chengguan);
  const full = (await api('GET', `/api/v1/cases/${id}`, undefined, 'dispatcher')).json;
  assert.ok(full.owners.some(o => o.role === 'co' && o.dept_id === depts.zhujian), JSON.stringify(full.owners));
  // the whistle summons a third department
  const wh = await api('POST', `/api/v1/cases/${id}/whistle`, { dept_ids: [depts.gongan] }, 'dispatcher');
  assert.equal(wh.status, 201, wh.text);

  const listed = async (n) => (await api('GET', '/api/v1/cases?limit=500', undefined, n)).json.cases.some(k => k.id === id);
  for (const n of ['dept_zhujian', 'dept_gongan']) {
    assert.equal((await api('GET', `/api/v1/cases/${id}`, undefined, n)).status, 200, n + ' detail');
    assert.equal((await api('GET', `/api/v1/cases/${id}/audit`, undefined, n)).status, 200, n + ' audit');
    assert.ok(await listed(n), n + ' must find the case in its own list');
    for (const a of ['accept', 'handle', 'feedback', 'return'])
      assert.equal((await api('POST', `/api/v1/cases/${id}/${a}`, { note: 'x', reason: 'x' }, n)).status, 403, `${n} ${a}`);
    const part = await api('POST', `/api/v1/cases/${id}/assist`, { note: n + ' 已派员到场配合' }, n);
    assert.equal(part.status, 200, part.text);
  }
  // a department not involved sees nothing and may do nothing
  assert.equal((await api('GET', `/api/v1/cases/${id}`, undefined, 'dept_shuiwu')).status, 404);
  assert.equal((await api('GET', `/api/v1/cases/${id}/audit`, undefined, 'dept_shuiwu')).status, 404);
  assert.ok(!(await listed('dept_shuiwu')));
  assert.equal((await api('POST', `/api/v1/cases/${id}/assist`, { note: 'x' }, 'dept_shuiwu')).status, 404);
  assert.equal((await api('POST', `/api/v1/cases/${id}/accept`, {}, 'dept_shuiwu')).status, 404);
  // the lead drives it; the co-handlers' parts are in the trace
  assert.equal((await api('POST', `/api/v1/cases/${id}/accept`, {}, 'dept_chengguan')).status, 200);
  const tl = (await api('GET', `/api/v1/cases/${id}`, undefined, 'dispatcher')).json.timeline;
  assert.deepEqual(tl.filter(e => e.action === 'assist').map(e => e.role), ['dept_staff', 'dept_staff']);
  assert.equal(tl.filter(e => e.action === 'accept').length, 1);
  // the reporter's phone stays with the lead
  assert.equal((await api('GET', `/api/v1/cases/${id}/contact`, undefined, 'dept_zhujian')).status, 404);
});

test('a whistle summoning many departments names every one (no buffer cut or overflow)', async () => {
  // 16 departments with names of 63 bytes: the old 600-byte list was cut (and could overflow by one)
  const names = Array.from({ length: 16 }, (_, i) => `测试部门${String(i).padStart(2, '0')}` + '联'.repeat(17));
  dbQuery(srv.db, names.map((n, i) => `INSERT INTO depts(code, name, name_en) VALUES('sec${i}', '${n}', 'Test ${i}');`).join('\n'));
  const depts = (await api('GET', '/api/v1/depts')).json.depts.filter(d => d.code.startsWith('sec'));
  assert.equal(depts.length, 16);
  const c = await api('POST', '/api/v1/cases', { title: '联合执法', body: '需要多个部门到场' + Date.now(), category: '0103', area: G1 }, 'resident1');
  await api('POST', `/api/v1/cases/${c.json.id}/register`, {}, 'dispatcher');
  const wh = await api('POST', `/api/v1/cases/${c.json.id}/whistle`, { dept_ids: depts.map(d => d.id) }, 'dispatcher');
  assert.equal(wh.status, 201, wh.text);
  const e = (await api('GET', `/api/v1/cases/${c.json.id}`, undefined, 'dispatcher')).json.timeline.find(x => x.action === 'whistle');
  for (const d of depts) assert.ok(e.reason.includes(`"${d.code}"`), 'the whistle entry must name ' + d.code);
});

test('readings: a staff session is checked in real time, also when the platform clock is simulated', async () => {
  const sim = await startServer();
  try {
    const adm = await sim.login('admin');
    const d = await sim.api('POST', '/api/v1/devices', { token: adm, body: { id: 'clk-noise-1', type: 'noise', grid: G1, lon: 116.39, lat: 39.91 } });
    assert.equal(d.status, 201, d.text);
    // the simulated clock two days ahead: a session made now expires (real time) in 12 h
    const start = new Date(Date.now() + 48 * H).toISOString().slice(0, 16);
    const r = jiceng(['clock', 'set', '--db', sim.db, '--start', start]);
    assert.equal(r.status, 0, r.stderr);
    for (let i = 0; i < 100 && (await sim.api('GET', '/api/v1/clock')).json.now_ms < Date.now() + 24 * H; i++)
      await new Promise(res => setTimeout(res, 100));
    const disp = await sim.login('dispatcher');
    assert.equal((await sim.api('GET', '/api/v1/me', { token: disp })).status, 200);
    const rd = await sim.api('POST', '/api/v1/readings', { token: disp, body: { readings: [{ device: 'clk-noise-1', values: { db: 50 } }] } });
    assert.equal(rd.status, 200, 'the session was checked against the simulated clock: ' + rd.text);
    assert.equal(rd.json.accepted, 1);
  } finally { await sim.cleanup(); }
});

test('webhooks: http(s) only, no credentials in the URL; internal addresses allowed (an admin power)', async () => {
  const add = (name, url) => api('POST', '/api/v1/webhooks', { name, url, kinds: 'dispatched' });
  for (const url of ['ftp://10.0.0.5/hook', 'file:///etc/passwd', 'gopher://10.0.0.5/', 'http://user:secret@10.0.0.5/sms',
    'https://token@sms.example.gov.cn/hook', 'https://:pw@sms.example.gov.cn/', 'http://a b/', 'http://', 'https:///path']) {
    const r = await add('bad-' + url.length, url);
    assert.equal(r.status, 400, url + ' ' + r.text);
  }
  const list = (await api('GET', '/api/v1/webhooks')).json.webhooks;
  assert.ok(!list.some(h => h.name.startsWith('bad-')), 'nothing stored');
  // an SMS gateway on the internal network
  const ok = await add('sms-gw', 'http://10.20.0.5:8080/sms?src=jiceng');
  assert.equal(ok.status, 201, ok.text);
  const put = await api('PUT', `/api/v1/webhooks/${ok.json.id}`, { url: 'http://ops:pw@10.20.0.5:8080/sms' });
  assert.equal(put.status, 400, put.text);
  assert.equal((await api('GET', '/api/v1/webhooks')).json.webhooks.find(h => h.id === ok.json.id).url, 'http://10.20.0.5:8080/sms?src=jiceng');
  assert.equal((await api('PUT', `/api/v1/webhooks/${ok.json.id}`, { active: false })).status, 200);
});
