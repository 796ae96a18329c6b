// 91-people-ui.test.mjs -- 一人一档 in the browser: a dispatcher imports a
// department's spreadsheet (preview with the proposed column mapping, a column
// set by hand, then the import), decides a pair of the review queue, opens a
// person's merged record with where each field came from, and reads the full
// ID number only after stating a purpose (the read is in the trace); the API
// masks ID numbers and phones and keeps persons out of other communities'
// sight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, SHARED, dbQuery } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

const ERDEV = join(SHARED, 'data/er-dev');
let srv, browser, work;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  work = mkdtempSync(join(tmpdir(), 'jiceng-people-ui-'));
  // two departments through the CLI (the server reads the same key file)
  for (const [key, name] of [['gongan', '公安户籍'], ['minzheng', '民政救助台账']]) {
    const r = jiceng(['people', 'import', '--db', srv.db, '--source', key, '--name', name, join(ERDEV, `source_${key}.csv`), '--quiet']);
    assert.equal(r.status, 0, r.stderr);
  }
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); if (work) rmSync(work, { recursive: true, force: true }); });

test('import with the mapping shown and set, review a pair, a person with provenance, an audited unmasked read', { skip: !existsSync(ERDEV) && 'no ../shared' }, async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/people', 'people');
  await page.waitForSelector('#pp-sources tbody tr');
  const names = await page.$$eval('#pp-sources tbody th', (a) => a.map((x) => x.textContent));
  assert.deepEqual(names.sort(), ['公安户籍', '民政救助台账'].sort());
  // a table the platform has not seen: a pupil register with a title line
  const file = join(work, '在校学生.csv');
  writeFileSync(file, '\ufeff东城区在校学生花名册,,,,,\r\n学籍号,学生姓名,性别,身份证件号,家长姓名,家庭住址\r\n' +
    'G001,何晨一,男,110103197312112717,何平,东城区东花市南里东区社区东花市南里东区6楼5门1702\r\n' +
    'G002,张新,女,11010120150101001X,张强,幸福里3-2-101\r\n');
  await page.fill('#pp-src-name', '区教委学籍名册');
  await page.setInputFiles('#pp-file', file);
  await page.click('#pp-dry');
  await page.waitForSelector('#pp-mapping');
  assert.match(await page.textContent('#pp-dry-summary'), /表头在第 2 行；共 2 行：新增 2/);
  const field = (header) => page.$eval(`#pp-mapping select[aria-label="${header}"]`, (s) => s.value);
  assert.equal(await field('学生姓名'), 'name');
  assert.equal(await field('身份证件号'), 'id_number');
  assert.equal(await field('家长姓名'), 'attr');
  await page.selectOption('#pp-mapping select[aria-label="家庭住址"]', 'address');
  await page.selectOption('#pp-mapping select[aria-label="性别"]', 'attr'); // set by hand: kept as an attribute
  assert.equal(await page.$eval('#pp-mapping select[aria-label="性别"]', (x) => x.closest('tr').querySelector('.pp-how').textContent), '人工指定');
  assert.match(await page.$eval('#pp-mapping select[aria-label="学籍号"]', (x) => x.closest('tr').querySelector('.pp-how').textContent), /记录编号/);
  assert.ok(await page.$eval('#pp-progress', (x) => x.hidden), 'no progress bar after a preview');
  await shot(page, 'people-import');
  await page.click('#pp-go');
  await page.waitForSelector('#pp-imported');
  assert.match(await page.textContent('#pp-imported'), /已导入 2 行：新增 2/);
  // the mapping set by hand was saved with the source
  const tok = await srv.login('dispatcher');
  const src = (await srv.api('GET', '/api/v1/people/sources', { token: tok })).json.sources.find((s) => s.name === '区教委学籍名册');
  assert.equal(src.mapping['性别'], 'attr');
  assert.equal(src.mapping['学生姓名'], 'name');
  assert.equal(src.records, 2);
  // renaming a source keeps its mapping
  assert.equal((await srv.api('PUT', '/api/v1/people/sources/' + src.key, { token: tok, body: { name: '区教委学籍名册（2026）' } })).status, 200);
  const renamed = (await srv.api('GET', '/api/v1/people/sources', { token: tok })).json.sources.find((s) => s.key === src.key);
  assert.equal(renamed.name, '区教委学籍名册（2026）');
  assert.deepEqual(renamed.mapping, src.mapping);

  // a header the proposal cannot read (甲, 乙, 丙, 丁; two columns of names, so the values do not
  // say which is the person's): the preview shows the form and says what is missing,
  // the column is set there, and the import goes through; the API refuses the import without it
  const odd = join(work, '台账.csv');
  writeFileSync(odd, '编号,甲,乙,丙,丁\nK1,何晨一,110103197312112717,东花市南里东区6楼5门1702,王建国\nK2,张新,11010120150101001X,幸福里3-2-101,李秀英\nK3,刘芳,11010119800415612X,幸福里3-2-102,赵敏\n');
  const refused = await srv.api('POST', '/api/v1/people/sources/oddsrc/import?file=x.csv', { token: tok, body: readFileSync(odd, 'utf8'), headers: { 'content-type': 'text/csv' } });
  assert.equal(refused.status, 400);
  assert.match(refused.json.error.message, /no name column/);
  await visit(page, '/people', 'people');
  await page.waitForSelector('#pp-file-pick');
  await page.fill('#pp-src-name', '社区走访台账');
  await page.setInputFiles('#pp-file', odd);
  await page.click('#pp-dry');
  await page.waitForSelector('#pp-missing');
  assert.match(await page.textContent('#pp-missing'), /没有识别出“姓名”列/);
  assert.equal(await field('乙'), 'id_number', 'the ID numbers found by their values');
  await page.selectOption('#pp-mapping select[aria-label="甲"]', 'name');
  await page.click('#pp-go');
  await page.waitForSelector('#pp-imported');
  assert.match(await page.textContent('#pp-imported'), /已导入 3 行：新增 3/);

  // the review queue (the administrator's: er-dev's pairs lie mostly outside the demo street)
  const adminPage = await openPage(browser, srv);
  await uiLogin(adminPage, 'admin');
  await visit(adminPage, '/people/review', 'people');
  await adminPage.waitForSelector('#pp-pending');
  const before = Number((await adminPage.textContent('#pp-pending')).match(/待核对 (\d+) 对/)[1]);
  assert.ok(before > 0, 'a review queue');
  const first = await adminPage.$('.pp-pair');
  const a = await first.getAttribute('data-a');
  await shot(adminPage, 'people-review');
  await first.$eval('.pp-different', (b) => b.click());
  await adminPage.waitForFunction((a) => !document.querySelector(`.pp-pair[data-a="${a}"]`), a);
  assert.deepEqual(adminPage.errors, []);
  const q = (await srv.api('GET', '/api/v1/people/review?limit=500', { token: await srv.login('admin') })).json;
  assert.equal(q.decided, 1);
  assert.equal(q.pending, before - 1);

  // a person (of another street: the administrator's): provenance, masked until a purpose is stated
  const list = (await srv.api('GET', '/api/v1/people/persons?q=' + encodeURIComponent('何晨一'), { token: await srv.login('admin') })).json.persons;
  assert.equal(list.length, 1);
  const p = list[0];
  assert.ok(p.records >= 3, 'the pupil register joined the police and civil-affairs records');
  assert.match(p.id_number, /^110103\*{8}2717$/);
  await visit(adminPage, '/people/person/' + p.id, 'people');
  await adminPage.waitForSelector('#pp-golden');
  assert.match(await adminPage.textContent('#pp-g-id_number'), /^110103\*+2717$/);
  assert.match(await adminPage.textContent('#pp-golden'), /公安户籍（编号/);
  assert.equal(await adminPage.$$eval('#pp-records tbody tr', (r) => r.length), p.records);
  const audits = () => Number(dbQuery(srv.db, "SELECT count(*) FROM audit WHERE action = 'people.unmask'"));
  assert.equal(audits(), 0);
  await adminPage.fill('#pp-purpose', '核实学生资助申请人身份');
  await adminPage.click('#pp-unmask');
  await adminPage.waitForSelector('#pp-clear-values');
  assert.match(await adminPage.textContent('#pp-clear-values'), /110103197312112717/);
  assert.equal(audits(), 1);
  const reason = dbQuery(srv.db, "SELECT reason FROM audit WHERE action = 'people.unmask'");
  assert.match(reason, /核实学生资助申请人身份/);
  await shot(adminPage, 'people-person');
  // the audit log words these entries in the reader's language, with the purpose
  await visit(adminPage, '/audit', 'audit');
  await adminPage.waitForFunction(() => /查看人员 \d+ 的完整身份证号/.test(document.querySelector('#main').textContent));
  const log = await adminPage.textContent('#main');
  assert.match(log, /用途：核实学生资助申请人身份/);
  assert.match(log, /导入“区教委学籍名册”的文件 在校学生\.csv：2 行，新增 2/);
  assert.match(log, /核对两条人员记录：不是同一人/);
  assert.doesNotMatch(log, /unmasked|people_|未命名来源/);
  await visit(adminPage, '/people/person/' + p.id, 'people');
  // nothing in English, no missing words, no errors
  const body = await adminPage.textContent('#main');
  assert.doesNotMatch(body, /\b(undefined|null|attr|id_number|gongan|minzheng)\b/);
  assert.deepEqual(await noI18nGaps(page), []);
  assert.deepEqual(adminPage.errors, []);
  assert.equal(jiceng(['audit', 'verify', '--db', srv.db]).status, 0);
});

test('API: masked answers, scope, purpose required, roles', { skip: !existsSync(ERDEV) && 'no ../shared' }, async () => {
  const admin = await srv.login('admin');
  const r = await srv.api('GET', '/api/v1/people/persons', { token: admin });
  assert.equal(r.status, 200);
  assert.ok(r.json.persons.length > 0);
  for (const p of r.json.persons) {
    assert.doesNotMatch(p.id_number, /^\d{18}$|^\d{17}X$/, 'an ID number in clear');
    assert.ok(!p.phone || /\*\*\*\*/.test(p.phone), 'a phone in clear');
  }
  const id = r.json.persons[0].id;
  // no purpose, no read
  let u = await srv.api('POST', `/api/v1/people/persons/${id}/unmask`, { token: admin, body: {} });
  assert.equal(u.status, 400);
  u = await srv.api('POST', `/api/v1/people/persons/${id}/unmask`, { token: admin, body: { purpose: '查' } });
  assert.equal(u.status, 400);
  // a supervisor sees names masked and may not unmask; a resident and a department see nothing
  const sup = await srv.login('supervisor');
  const s = await srv.api('GET', '/api/v1/people/persons', { token: sup });
  assert.equal(s.status, 200);
  for (const p of s.json.persons) assert.match(p.name, /\*/);
  assert.equal((await srv.api('POST', `/api/v1/people/persons/${id}/unmask`, { token: sup, body: { purpose: '核实身份信息' } })).status, 403);
  for (const who of ['resident1', 'dept_minzheng', 'worker1']) {
    const t = await srv.login(who);
    assert.equal((await srv.api('GET', '/api/v1/people/persons', { token: t })).status, 403, who);
    assert.equal((await srv.api('GET', `/api/v1/people/persons/${id}`, { token: t })).status, 403, who);
  }
  // community staff: only persons of their community (多福巷社区, 110101001001, of er-dev's)
  const c1 = await srv.login('community1');
  const cl = await srv.api('GET', '/api/v1/people/persons', { token: c1 });
  assert.equal(cl.status, 200);
  assert.ok(cl.json.persons.length > 0);
  for (const p of cl.json.persons) assert.match(p.community, /^110101001001/);
  const other = r.json.persons.find((p) => !String(p.community).startsWith('110101001001'));
  assert.equal((await srv.api('GET', `/api/v1/people/persons/${other.id}`, { token: c1 })).status, 404, 'not revealed');
  assert.equal((await srv.api('POST', `/api/v1/people/persons/${other.id}/unmask`, { token: c1, body: { purpose: '核实身份信息' } })).status, 404);
  // importing is for the street and the administrator
  assert.equal((await srv.api('POST', '/api/v1/people/sources/x/import', { token: c1, body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } })).status, 403);
  // a bad file over the API: the reason names the row, nothing written
  const disp = await srv.login('dispatcher');
  const bad = await srv.api('POST', '/api/v1/people/sources/gongan/import?file=x.csv', { token: disp, body: '编号,姓名,身份证号\n1,张伟,11010119981225673X\n1,王芳,110103194201267122\n', headers: { 'content-type': 'text/csv' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /row 3: record id '1' already on row 2/);
  const src = (await srv.api('GET', '/api/v1/people/sources', { token: disp })).json.sources.find((x) => x.key === 'gongan');
  assert.equal(src.records, 1031);
});

test('many uses: the community cloud counts, the work list\'s figures and a form come from the golden records', async () => {
  const gen = join(work, 'demo-gen');
  let r = jiceng(['people', 'generate', '--db', srv.db, '--out', gen, '--persons', '1500', '--layout', 'other', '--seed', '9']);
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['source_laoling.xlsx', 'source_yibao.csv', 'source_zhujian.csv', 'source_jiaoyu.csv']) {
    r = jiceng(['people', 'import', '--db', srv.db, '--source', f.replace(/^source_|\..*$/g, ''), join(gen, f), '--quiet']);
    assert.equal(r.status, 0, r.stderr);
  }
  const c1 = await srv.login('community1');
  const counts = (await srv.api('GET', '/api/v1/people/counts', { token: c1 })).json.communities;
  assert.equal(counts.length, 1);
  const mine = counts[0];
  assert.equal(mine.area, '110101001001');
  assert.ok(mine.people > 50 && mine.elders_living_alone > 0, JSON.stringify(mine));
  // the dashboard's base numbers are these, marked as collected from the departments
  const base = (await srv.api('GET', '/api/v1/base/summary', { token: c1 })).json;
  const b = base.communities.find((x) => x.area === '110101001001');
  assert.equal(b.from_departments, true);
  assert.equal(b.people, mine.people);
  assert.equal(b.households, mine.households);
  assert.equal(b.elders_living_alone, mine.elders_living_alone);
  // people with a disability and students, which only the departments' data knows
  assert.ok(mine.students > 0, JSON.stringify(mine));
  assert.equal(b.disabled, mine.disabled);
  assert.equal(b.students, mine.students);
  assert.ok(b.households < b.people, 'people living together make one household');
  assert.equal(base.fictional, false);
  // and the community cloud says where they come from
  const page = await openPage(browser, srv);
  await uiLogin(page, 'community1');
  await visit(page, '/dashboard', 'dashboard');
  await page.waitForSelector('#dash-from-people');
  assert.match(await page.textContent('#dash-from-people'), /一人一档/);
  assert.equal(Number((await page.textContent('#base-tiles [data-base=students] .tile-v')).replace(/,/g, '')), mine.students);
  assert.equal(Number((await page.textContent('#base-tiles [data-base=disabled] .tile-v')).replace(/,/g, '')), mine.disabled);
  assert.match(await page.textContent('#base-tiles'), /在校学生/);
  assert.doesNotMatch(await page.textContent('#main'), /虚构数据/);
  assert.deepEqual(page.errors, []);
  // the work list answers a data request from these figures
  const q = (sql) => dbQuery(srv.db, sql);
  assert.equal(Number(q("SELECT value FROM base_counts WHERE area = '110101001001' AND field = 'population' ORDER BY as_of DESC LIMIT 1")), mine.people);
  // a department's data request for them (students and people with a disability too) is answered
  // from the store, never sent to the community,
  // and counted as work taken off it
  const dm = await srv.login('dept_minzheng');
  const req = await srv.api('POST', '/api/v1/tasks', { token: dm, body: { title: '常住人口与独居老人数', kind: 'data_request', item: 'WL-D12', communities: ['110101001001'], fields: ['population', 'households', 'elders_living_alone', 'disabled', 'students'] } });
  assert.equal(req.status, 201, req.text);
  assert.equal(req.json.decision, 'answered_from_store');
  assert.deepEqual(req.json.answer['110101001001'], { population: mine.people, households: mine.households, elders_living_alone: mine.elders_living_alone, disabled: mine.disabled, students: mine.students });
  const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  const burden = (await srv.api('GET', `/api/v1/burden?month=${month}`, { token: await srv.login('dispatcher') })).json;
  assert.equal(burden.communities.find((c) => c.community === '110101001001').answered_from_store, 1);
  // a person's household, as the counts have it: the members are in the same community, each
  // sees the others, and the person page lists them with links
  const plist = (await srv.api('GET', '/api/v1/people/persons', { token: c1 })).json.persons;
  let withHh = null;
  for (const p of plist.slice(0, 40)) {
    const full = (await srv.api('GET', `/api/v1/people/persons/${p.id}`, { token: c1 })).json;
    if (full.household.length) { withHh = full; break; }
  }
  assert.ok(withHh, 'a person with a household among the first 40');
  for (const m of withHh.household) {
    const other = (await srv.api('GET', `/api/v1/people/persons/${m.id}`, { token: c1 })).json;
    assert.equal(other.community, withHh.community);
    assert.ok(other.household.some((x) => x.id === withHh.id), `member ${m.id} does not list ${withHh.id}`);
    if (withHh.household_no) assert.equal(other.household_no, withHh.household_no);
  }
  await visit(page, '/people/person/' + withHh.id, 'people');
  await page.waitForSelector('#pp-household');
  assert.equal(await page.$$eval('#pp-household li a', (as) => as.length), withHh.household.length);
  assert.match(await page.textContent('#pp-h-h'), new RegExp(`同户人员（共 ${withHh.household.length + 1} 人）`));
  assert.deepEqual(page.errors, []);
  // a department's form filled from the store, as XLSX, audited
  const x = await fetch(srv.url + '/api/v1/people/report?template=elders_alone', { headers: { authorization: 'Bearer ' + c1 } });
  assert.equal(x.status, 200);
  assert.match(x.headers.get('content-disposition'), /attachment; filename="elders_alone\.xlsx"/);
  const bytes = Buffer.from(await x.arrayBuffer());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK');
  assert.equal(Number(q("SELECT count(*) FROM audit WHERE action = 'people.report'")), 1);
  const other = await fetch(srv.url + '/api/v1/people/report?template=elders_alone&area=110101001002', { headers: { authorization: 'Bearer ' + c1 } });
  assert.equal(other.status, 403);
  // the form's rows are the community's elders living alone (its XML holds their names)
  const f = join(work, 'form.xlsx');
  writeFileSync(f, bytes);
  const sheet = execFileSync('unzip', ['-p', f, 'xl/sharedStrings.xml'], { encoding: 'utf8' });
  assert.match(sheet, /独居老人花名册/);
  assert.doesNotMatch(sheet, /\d{17}[\dX]/, 'an ID number in clear');
});

// Every page in both languages: no missing words, no code or raw value where a person
// reads (the Chinese pages carry no Latin words but file names and format names), the
// review pair as one table with what the comparison found; a supervisor (who may not
// review) gets neither the review link nor a stray "null".
test('the pages in Chinese and English, for each role that has them', { skip: !existsSync(ERDEV) && 'no ../shared' }, async () => {
  const allowedLatin = /^(CSV|UTF|GB|Excel|xlsx)$/;
  for (const lang of ['zh-CN', 'en']) {
    for (const who of ['admin', 'supervisor']) {
      const page = await openPage(browser, srv, { lang });
      await uiLogin(page, who);
      const pid = (await srv.api('GET', '/api/v1/people/persons', { token: await srv.login(who) })).json.persons[0].id;
      const views = [['/people', '#pp-sources'], ['/people/person/' + pid, '#pp-golden']];
      if (who === 'admin') views.push(['/people/review', '.pp-pair']);
      for (const [hash, sel] of views) {
        await visit(page, hash, 'people');
        await page.waitForSelector(sel);
        const text = (await page.textContent('#main')).replace(/[\w.-]*\.(csv|xlsx)(?![a-z])/g, '');
        assert.doesNotMatch(text, /\b(undefined|null|NaN|attr|id_number|birth_date|same_pinyin|gongan|minzheng)\b/, `${lang} ${who} ${hash}`);
        if (lang === 'zh-CN') {
          const latin = (text.match(/[A-Za-z]{2,}/g) || []).filter((w) => !allowedLatin.test(w));
          assert.deepEqual(latin, [], `${who} ${hash}: Latin words on a Chinese page`);
        }
        if (hash === '/people/review') {
          const row = await page.$$eval('.pp-pair:first-of-type .pp-compare tbody tr', (rs) => rs.map((r) => r.querySelector('th').textContent));
          assert.ok(row.length >= 7, 'a row per field');
          assert.ok(await page.$('.pp-pair .pp-level[data-level=different], .pp-pair .pp-level[data-level=equal]'), 'what the comparison found');
        }
      }
      if (who === 'admin') { // the persons a page at a time
        await visit(page, '/people', 'people');
        await page.waitForSelector('#pp-person-list tbody tr');
        assert.equal(await page.$$eval('#pp-person-list tbody tr', (r) => r.length), 100);
        await page.click('#pp-more');
        await page.waitForFunction(() => document.querySelectorAll('#pp-person-list tbody tr').length > 100);
        const ids = await page.$$eval('#pp-person-list tbody tr', (r) => r.map((x) => x.dataset.id));
        assert.equal(new Set(ids).size, ids.length, 'no person twice');
      }
      if (who === 'supervisor') {
        await visit(page, '/people', 'people');
        await page.waitForSelector('#pp-sources');
        assert.equal(await page.$('#pp-review-link'), null, 'no review link for a role that may not review');
        assert.equal(await page.$('#pp-import'), null, 'no import for a role that may not import');
      } else {
        await visit(page, '/people', 'people');
        await page.waitForSelector('#pp-file-pick');
        assert.equal(await page.textContent('#pp-file-pick'), lang === 'en' ? 'Choose a file\u2026' : '选择文件…');
      }
      await shot(page, `people-${lang}-${who}`);
      assert.deepEqual(await noI18nGaps(page), [], `${lang} ${who}`);
      assert.deepEqual(page.errors, [], `${lang} ${who}`);
      await page.context().close();
    }
  }
});

test('the administrator withdraws a source from the page: its records deleted, the deletion in the trace', { skip: !existsSync(ERDEV) && 'no ../shared' }, async () => {
  const admin = await srv.login('admin');
  const src = (await srv.api('GET', '/api/v1/people/sources', { token: admin })).json.sources.find((s) => /区教委学籍名册/.test(s.name));
  assert.ok(src && src.records === 2, JSON.stringify((await srv.api("GET", "/api/v1/people/sources", { token: admin })).json.sources.map((s) => [s.key, s.name, s.records])));
  const page = await openPage(browser, srv);
  await uiLogin(page, 'admin');
  await visit(page, '/people', 'people');
  await page.waitForSelector(`#pp-sources tr[data-key="${src.key}"] .pp-withdraw`);
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await page.click(`#pp-sources tr[data-key="${src.key}"] .pp-withdraw`);
  await page.waitForFunction((k) => document.querySelector('#pp-sources') && !document.querySelector(`#pp-sources tr[data-key="${k}"]`), src.key);
  assert.match(asked, /将删除它的 2 条记录/);
  const q = (sql) => dbQuery(srv.db, sql);
  assert.equal(q(`SELECT count(*) FROM people_records WHERE source = '${src.key}'`), '0');
  assert.match(q("SELECT reason FROM audit WHERE action = 'people.withdraw'"), new RegExp(src.key));
  assert.equal(jiceng(['audit', 'verify', '--db', srv.db]).status, 0);
  // a dispatcher has no such button
  const disp = await openPage(browser, srv);
  await uiLogin(disp, 'dispatcher');
  await visit(disp, '/people', 'people');
  await disp.waitForSelector('#pp-sources');
  assert.equal(await disp.$('.pp-withdraw'), null);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(disp.errors, []);
});
