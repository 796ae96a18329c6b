// 0e-caselist.test.mjs -- the case lists, the search and the export over the API
// (GET /api/v1/cases, ?q=, keyset pages, GET /api/v1/cases/export.xlsx), on
// whichever backend the run gives (tests/run.sh runs it on SQLite, then again on
// PostgreSQL): who sees what (a matrix of roles), the filters, pages that neither
// repeat nor skip a case while cases are added, a Chinese text search before and
// after the text index took the new cases, bad input, and the export of a filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib.mjs';

const C1 = '110101001001', C2 = '110101001002'; // community1's and community2's areas
let srv, T = {}, depts = {}, me = {};
const made = []; // {id, no, reporter, area, dept, title}

async function report(who, title, area, extra = {}) {
  const r = await srv.api('POST', '/api/v1/cases', { token: T[who], body: { title, body: '请尽快处理' + title, category: '9901', area, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  me[who] = r.json.reporter_id;
  const c = { id: r.json.id, no: r.json.no, reporter: who, area, dept: null, title, state: r.json.state };
  made.push(c);
  return c;
}
async function act(c, action, who, body = {}) {
  const r = await srv.api('POST', `/api/v1/cases/${c.id}/${action}`, { token: T[who], body });
  assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.json)}`);
  c.state = r.json.state;
  return r.json;
}
// every page of a list, by its cursor
async function listAll(who, query = '', limit = 500) {
  const out = [];
  let cursor = null;
  for (let pages = 0; pages < 1000; pages++) {
    const r = await srv.api('GET', `/api/v1/cases?limit=${limit}&${query}${cursor ? '&cursor=' + cursor : ''}`, { token: T[who] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    out.push(...r.json.cases);
    if (!r.json.next) return out;
    cursor = r.json.next;
  }
  throw new Error('too many pages');
}
const ours = (list) => new Set(list.map((c) => c.id).filter((id) => made.some((m) => m.id === id)));
const idsOf = (arr) => new Set(arr.map((c) => c.id));

before(async () => {
  srv = await startServer();
  for (const n of ['resident1', 'resident2', 'dispatcher', 'community1', 'community2', 'dept_chengguan', 'dept_shuiwu', 'admin'])
    T[n] = await srv.login(n);
  for (const d of (await srv.api('GET', '/api/v1/depts')).json.depts) depts[d.code] = d.id;
  // two residents in two communities; some cases led by two departments
  for (let i = 0; i < 4; i++) {
    await report('resident1', `锅炉房漏水${i}号楼`, C1 + '001');
    await report('resident2', `路面坑洼第${i}处`, C2 + '001');
  }
  for (const [i, code] of [[0, 'chengguan'], [1, 'chengguan'], [2, 'shuiwu'], [3, 'shuiwu']]) {
    const c = made[i];
    await act(c, 'register', 'dispatcher');
    await act(c, 'dispatch', 'dispatcher', { dept_id: depts[code] });
    c.dept = depts[code];
  }
  await act(made[5], 'register', 'dispatcher');
});
after(async () => { await srv?.cleanup(); });

test('scopes: each role lists what it may see, and only that', async () => {
  const rule = {
    resident1: (c) => c.reporter_id === me.resident1,
    resident2: (c) => c.reporter_id === me.resident2,
    community1: (c) => c.area.startsWith(C1),
    community2: (c) => c.area.startsWith(C2),
    // led, co-handled or summoned (dispatch's; the case's own page agrees, below)
    dept_chengguan: () => true,
    dept_shuiwu: () => true,
    dispatcher: (c) => c.area.startsWith('110101001'),
    admin: () => true,
  };
  const want = {
    resident1: (m) => m.reporter === 'resident1', resident2: (m) => m.reporter === 'resident2',
    community1: (m) => m.area.startsWith(C1), community2: (m) => m.area.startsWith(C2),
    dept_chengguan: (m) => m.dept === depts.chengguan, dept_shuiwu: (m) => m.dept === depts.shuiwu,
    dispatcher: () => true, admin: () => true,
  };
  for (const who of Object.keys(rule)) {
    const list = await listAll(who, '', 3);
    for (const c of list) {
      assert.ok(rule[who](c), `${who} sees case ${c.id} (${c.area}, dept ${c.dept_id})`);
      if (!made.some((m) => m.id === c.id))
        assert.equal((await srv.api('GET', `/api/v1/cases/${c.id}`, { token: T[who] })).status, 200, `${who} may open case ${c.id}`);
    }
    assert.deepEqual([...ours(list)].sort(), made.filter(want[who]).map((m) => m.id).sort(), who);
    const ids = list.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, `${who}: a case twice`);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), `${who}: newest first`);
    // the same scope through the text index
    const found = await listAll(who, 'q=' + encodeURIComponent('漏水'));
    assert.deepEqual([...ours(found)].sort(), made.filter((m) => want[who](m) && m.title.includes('漏水')).map((m) => m.id).sort(), `${who} searching`);
  }
});

test('filters: state, category, area, department, oldest first, case number', async () => {
  const all = await listAll('admin');
  const check = async (query, pred) => {
    const got = await listAll('admin', query, 2);
    assert.deepEqual(got.map((c) => c.id), all.filter(pred).map((c) => c.id), query);
    return got;
  };
  await check('state=dispatched', (c) => c.state === 'dispatched');
  await check('state=open', (c) => !['closed', 'rated', 'voided', 'merged'].includes(c.state));
  await check('category=9901', (c) => c.category === '9901');
  await check('group=99', (c) => c.category.startsWith('99'));
  await check('area=' + C2, (c) => c.area.startsWith(C2));
  await check('dept=' + depts.shuiwu, (c) => c.dept_id === depts.shuiwu);
  await check('source=web', (c) => c.source === 'web');
  await check('state=registered&area=' + C2, (c) => c.state === 'registered' && c.area.startsWith(C2));
  assert.ok((await check('dept=' + depts.chengguan, (c) => c.dept_id === depts.chengguan)).length >= 2);
  // created on a day (Beijing time), inclusive; a day before it has none of ours
  const day = (t) => new Date(Date.parse(t) + 8 * 3600000).toISOString().slice(0, 10);
  const first = day(all.find((c) => c.id === made[0].id).created_at);
  const before = day(new Date(Date.parse(first + 'T00:00:00Z') - 86400000).toISOString());
  assert.ok((await check(`from=${first}&to=${first}`, (c) => day(c.created_at) === first)).length > 0);
  await check(`from=${before}&to=${before}`, (c) => day(c.created_at) === before);
  await check(`from=${before}`, (c) => day(c.created_at) >= before);
  await check(`to=${before}`, (c) => day(c.created_at) <= before);
  const oldest = await listAll('admin', 'sort=oldest', 4);
  assert.deepEqual(oldest.map((c) => c.id), all.map((c) => c.id).reverse());
  const byNo = await listAll('admin', 'q=' + encodeURIComponent(made[3].no));
  assert.deepEqual(byNo.map((c) => c.id), [made[3].id]);
  // a case number out of a resident's scope lists nothing
  assert.deepEqual(await listAll('resident2', 'q=' + encodeURIComponent(made[0].no)), []);
});

test('keyset pages list each case once while cases are added', async () => {
  const start = (await listAll('dispatcher')).map((c) => c.id);
  const seen = [];
  let cursor = null, pages = 0, added = 0;
  for (;;) {
    const r = await srv.api('GET', `/api/v1/cases?limit=3${cursor ? '&cursor=' + cursor : ''}`, { token: T.dispatcher });
    assert.equal(r.status, 200);
    seen.push(...r.json.cases.map((c) => c.id));
    pages++;
    // new cases between pages: newer than the cursor, so not on later pages
    await report('resident1', `新增案件${pages}`, C1 + '001');
    added++;
    if (!r.json.next) break;
    cursor = r.json.next;
  }
  assert.ok(pages >= 3, `pages: ${pages}`);
  assert.equal(new Set(seen).size, seen.length, 'no case twice');
  assert.deepEqual(seen, start, 'every case that was there, once, newest first');
  // oldest first, the new ones come at the end
  const oldest = await listAll('dispatcher', 'sort=oldest', 4);
  assert.deepEqual(oldest.slice(-added).map((c) => c.title), Array.from({ length: added }, (_, i) => `新增案件${i + 1}`));
});

test('text search in Chinese: new cases at once, and after the index took them', async () => {
  const a = await report('resident2', '小区东门窨井盖翘起', C2 + '001', { address: '幸福路十二号' });
  const b = await report('resident1', '窨井盖缺失', C1 + '001');
  const q = async (text, who = 'admin') => (await listAll(who, 'q=' + encodeURIComponent(text))).map((c) => c.id);
  const check = async () => {
    assert.deepEqual(await q('窨井盖翘起'), [a.id]);
    assert.deepEqual(await q('窨井'), [b.id, a.id]);
    assert.deepEqual(await q('幸福路'), [a.id], 'the address is searched');
    assert.deepEqual(await q('窨 东门'), [a.id], 'every word, a single character as a prefix');
    assert.deepEqual(await q('井窨'), [], 'the bigrams of the word, in its order');
    assert.deepEqual(await q('窨井', 'resident1'), [b.id], 'in scope');
    assert.deepEqual(await q('ＬＯＵ漏水'), [], 'full-width letters are folded, and must be there');
  };
  await check(); // at once: not indexed yet, read from the table
  // the ticker indexes new cases each second
  await new Promise((r) => setTimeout(r, 2500));
  await check();
  const lou = await q('漏水');
  assert.equal(lou.length, 4);
});

test('bad input gets 400 and changes nothing', async () => {
  const before = await listAll('admin');
  for (const query of ['q=' + encodeURIComponent('，。！'), 'q=' + encodeURIComponent('"*'), 'limit=0', 'limit=501', 'state=nope',
    'cursor=-1', 'sort=up', 'area=abc', 'from=2026-13-45', 'q=' + 'x'.repeat(101)]) {
    const r = await srv.api('GET', '/api/v1/cases?' + query, { token: T.admin });
    assert.equal(r.status, 400, query + ' ' + r.text);
    assert.ok(r.json.error.message, query);
  }
  // quotes and stars in a search are separators, not syntax
  assert.equal((await srv.api('GET', '/api/v1/cases?q=' + encodeURIComponent('"井盖" OR *'), { token: T.admin })).status, 200);
  assert.deepEqual((await listAll('admin')).map((c) => c.id), before.map((c) => c.id));
});

test('the export holds the filtered list in scope', async () => {
  const get = async (who, query) => {
    const res = await fetch(`${srv.url}/api/v1/cases/export.xlsx?${query}`, { headers: { authorization: 'Bearer ' + T[who] } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /spreadsheetml/);
    const dir = mkdtempSync(join(tmpdir(), 'jiceng-0e-'));
    writeFileSync(join(dir, 'x.xlsx'), Buffer.from(await res.arrayBuffer()));
    const xml = execFileSync('unzip', ['-p', join(dir, 'x.xlsx'), 'xl/worksheets/sheet1.xml'], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    return (xml.match(/JC\d{8}-\d+/g) || []).sort();
  };
  const nos = (list) => list.map((c) => c.no).sort();
  assert.deepEqual(await get('admin', 'q=' + encodeURIComponent('漏水')), nos(made.filter((m) => m.title.includes('漏水'))));
  assert.deepEqual(await get('admin', 'dept=' + depts.shuiwu), nos(await listAll('admin', 'dept=' + depts.shuiwu)));
  assert.deepEqual(await get('community2', ''), nos(await listAll('community2')));
  assert.deepEqual(await get('resident2', 'q=' + encodeURIComponent('漏水')), [], 'out of scope');
});
