// 78-worklist.test.mjs -- work-list admission (准入) in the browser: a
// department's task off its list is refused with the reason shown; an
// admitted one appears for the community, which marks it done; a data request
// is answered from the store; the street grants an exception to the refused
// task; the burden ledger and the evaluation table show the API's numbers
// (with the over-limit warning and a drill-down to the cases behind a figure).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

const C1 = '110101001001', C2 = '110101001002';
let srv, browser, disp;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  disp = await srv.login('dispatcher');
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

async function send(page, { title, kind = 'task', item, communities, fields }) {
  await page.fill('#task-form input[name=title]', title);
  await page.selectOption('#task-form select[name=kind]', kind);
  await page.selectOption('#task-form select[name=item]', item);
  for (const c of communities) await page.check(`#task-form input[name=communities][value="${c}"]`);
  for (const f of fields || []) await page.check(`#task-form input[name=fields][value="${f}"]`);
  const n = await page.$$eval('#task-list article.task', (a) => a.length).catch(() => 0);
  await page.click('#task-form button[type=submit]');
  await page.waitForFunction((n) => document.querySelectorAll('#task-list article.task').length === n + 1, n);
  return Number(await page.getAttribute('#task-list article.task', 'data-task'));
}

test('admission: refused with the reason, admitted and done, answered from the store, exception', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dept_minzheng');
  await page.click('#nav2 a[data-nav2=worklist]');
  await page.waitForSelector('#task-form');
  assert.equal(await page.$('#nav2 a[data-nav2=designer]'), null, 'no designer for departments');
  // WL-A06 may be requested by the police only: refused
  const refused = await send(page, { title: '流动人口拍照登记', item: 'WL-A06', communities: [C1] });
  const apiRef = (await srv.api('GET', '/api/v1/tasks/' + refused, { token: disp })).json;
  assert.equal(apiRef.decision, 'refused');
  assert.equal(await page.getAttribute(`article.task[data-task="${refused}"]`, 'data-decision'), 'refused');
  assert.match(await page.textContent(`article.task[data-task="${refused}"] [data-reason]`), /派出所|只能由/, 'the refusal worded in Chinese: ' + apiRef.reason);
  assert.doesNotMatch(await page.textContent(`article.task[data-task="${refused}"]`), /[A-Za-z]{4,}/);
  // a duty of the civil affairs bureau: admitted to two communities
  const admitted = await send(page, { title: '低保年审材料收集', kind: 'form', item: 'WL-D06', communities: [C1, C2] });
  assert.equal(await page.getAttribute(`article.task[data-task="${admitted}"]`, 'data-decision'), 'admitted');
  assert.equal(await page.$$eval(`article.task[data-task="${admitted}"] li[data-status=received]`, (l) => l.length), 2);
  // a data request the platform answers itself
  const answered = await send(page, { title: '各社区案件数', kind: 'data_request', item: 'WL-D06', communities: [C1], fields: ['cases_total', 'open_cases'] });
  const apiAns = (await srv.api('GET', '/api/v1/tasks/' + answered, { token: disp })).json;
  assert.equal(apiAns.decision, 'answered_from_store');
  const cells = await page.$$eval(`article.task[data-task="${answered}"] table.answer tbody td`, (t) => t.map((x) => Number(x.textContent)));
  assert.deepEqual(cells, [apiAns.answer[C1].cases_total, apiAns.answer[C1].open_cases]);
  // cases by category: the categories by name, not by code
  const byCat = await send(page, { title: '各类别案件数', kind: 'data_request', item: 'WL-D06', communities: [C1], fields: ['cases_by_category'] });
  const catAns = (await srv.api('GET', '/api/v1/tasks/' + byCat, { token: disp })).json.answer[C1].cases_by_category;
  const names = new Map((await srv.api('GET', '/api/v1/categories')).json.categories.map((k) => [k.code, k.name]));
  assert.ok(Object.keys(catAns).length > 0, JSON.stringify(catAns));
  const catCell = await page.textContent(`article.task[data-task="${byCat}"] table.answer tbody td`);
  for (const [code, n] of Object.entries(catAns)) assert.ok(catCell.includes(`${names.get(code)}：${n}`), `${code} by name: ${catCell}`);
  assert.doesNotMatch(catCell, /\d{4}：/, 'no category code');
  await shot(page, '78-worklist-dept');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();

  // the community sees the admitted task (not the refused or answered ones) and marks it done
  const com = await openPage(browser, srv, { viewport: { width: 375, height: 800 } });
  await uiLogin(com, 'community1');
  await visit(com, '/worklist', 'worklist');
  await com.waitForSelector(`article.task[data-task="${admitted}"][data-status=received]`);
  assert.equal(await com.$(`article.task[data-task="${refused}"]`), null);
  assert.equal(await com.$(`article.task[data-task="${answered}"]`), null);
  assert.equal(await com.$('#task-form'), null, 'communities do not send tasks');
  await com.click(`article.task[data-task="${admitted}"] button[data-task-action=done]`);
  await com.waitForSelector(`article.task[data-task="${admitted}"][data-status=done]`);
  const after = (await srv.api('GET', '/api/v1/tasks/' + admitted, { token: disp })).json;
  assert.equal(after.communities.find((c) => c.community === C1).status, 'done');
  assert.equal(after.communities.find((c) => c.community === C2).status, 'received');
  const over = await com.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 1, 'no horizontal scroll at 375 px: ' + over);
  await shot(com, '78-worklist-community');

  // the street grants an exception to the refused task (a reason is required)
  const st = await openPage(browser, srv);
  await uiLogin(st, 'dispatcher');
  await visit(st, '/worklist', 'worklist');
  await st.click(`article.task[data-task="${refused}"] button[data-task-action=exception]`);
  await st.waitForSelector(`article.task[data-task="${refused}"] .alert.error`);
  await st.fill(`article.task[data-task="${refused}"] input[name=exception_reason]`, '区创城督查，街道主任批准');
  await st.click(`article.task[data-task="${refused}"] button[data-task-action=exception]`);
  await st.waitForSelector(`article.task[data-task="${refused}"][data-decision=exception] [data-exception]`);
  assert.match(await st.textContent(`article.task[data-task="${refused}"] [data-exception]`), /区创城督查/);
  const exc = (await srv.api('GET', '/api/v1/tasks/' + refused, { token: disp })).json;
  assert.equal(exc.decision, 'exception');
  assert.equal(exc.exception.by, 'dispatcher');
  await shot(st, '78-worklist-exception');
  assert.deepEqual(st.errors, []);
  await st.context().close();
  // ... and now it reaches the community
  await com.reload();
  await com.waitForSelector(`article.task[data-task="${refused}"][data-status=received]`);
  assert.deepEqual(com.errors, []);
  await com.context().close();
});

test('burden ledger with the over-limit warning; evaluation table with drill-down', async () => {
  const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  // a limit of 1 task per sender and community a month: the two deliveries to C1 are over it
  let r = await srv.api('PUT', '/api/v1/burden/config', { token: disp, body: { key: 'limit.tasks_per_community_month', value: 1 } });
  assert.equal(r.status, 200, r.text);
  const b = (await srv.api('GET', '/api/v1/burden?month=' + month, { token: disp })).json;
  assert.ok(b.warnings.length >= 1, JSON.stringify(b));
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await page.click('#nav2 a[data-nav2=burden]');
  await page.waitForSelector('#burden-communities');
  assert.equal(await page.$$eval('#burden-warnings li', (l) => l.length), b.warnings.length);
  for (const row of b.communities) {
    const got = await page.$$eval(`#burden-communities tr[data-key="${row.community}"] td`, (t) => t.map((x) => Number(x.textContent)));
    assert.deepEqual(got, ['received', 'done', 'refused', 'exceptions', 'forms', 'reports', 'hours', 'answered_from_store'].map((k) => Math.round(row[k] * 10) / 10), row.community);
  }
  for (const row of b.depts) assert.equal(Number(await page.textContent(`#burden-depts tr[data-key="${row.dept}"] td[data-k=received]`)), row.received);
  await shot(page, '78-burden');

  const ev = (await srv.api('GET', `/api/v1/eval?period=${month}&unit=dept`, { token: disp })).json;
  assert.ok(ev.rows.length > 0, JSON.stringify(ev));
  await page.click('#nav2 a[data-nav2=eval]');
  await page.waitForSelector('#eval-table');
  assert.deepEqual(await page.$$eval('#eval-table tbody tr', (t) => t.map((x) => x.dataset.unit)), ev.rows.map((x) => x.unit));
  for (const x of ev.rows) {
    const sc = await page.textContent(`#eval-table tr[data-unit="${x.unit}"] td[data-k=score]`);
    assert.equal(sc, x.score == null ? '—' : (Math.round(x.score * 10) / 10).toFixed(1));
  }
  const row = ev.rows.find((x) => x.indicators.response?.den > 0);
  await page.click(`#eval-table tr[data-unit="${row.unit}"] td[data-k=response] button`);
  await page.waitForSelector('#drill-table');
  const d = (await srv.api('GET', `/api/v1/eval/cases?period=${month}&unit=${row.unit}&indicator=response`, { token: disp })).json;
  assert.deepEqual(await page.$$eval('#drill-table tbody tr', (t) => t.map((x) => Number(x.dataset.case))), d.case_ids);
  assert.match(await page.textContent('#eval-export'), /下载 Excel/);
  assert.doesNotMatch(await page.textContent('#main'), /jiceng|--db|xlsx/, 'no shell command for street staff');
  await shot(page, '78-eval');
  // the grid workers' table
  await page.click('.tabs a[data-tab=worker]');
  await page.waitForFunction(() => location.hash.includes('unit=worker'));
  await page.waitForSelector('#eval-table, #eval p.muted');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();

  // in English: the platform's fields and the departments in the evaluation by their English names
  const en = await openPage(browser, srv, { lang: 'en' });
  await uiLogin(en, 'dispatcher');
  await visit(en, '/worklist', 'worklist');
  await en.selectOption('#task-form select[name=kind]', 'data_request');
  const chips = await en.$$eval('#task-form input[name=fields]', (xs) => xs.map((x) => x.closest('label').textContent));
  assert.ok(chips.includes('Cases (all time) ✓'), chips.join(' | '));
  assert.deepEqual(chips.filter((c) => /[\u4e00-\u9fff]/.test(c)), [], 'no Chinese field names');
  const depts = new Map((await srv.api('GET', '/api/v1/depts')).json.depts.map((d) => [String(d.id), d.name_en]));
  await visit(en, `/eval?period=${month}&unit=dept`, 'eval');
  await en.waitForSelector('#eval-table tbody tr');
  for (const x of ev.rows) {
    const th = await en.textContent(`#eval-table tr[data-unit="${x.unit}"] th`);
    assert.ok(th.startsWith(depts.get(x.unit.split(':')[1])) && !/[\u4e00-\u9fff]/.test(th), `${x.unit}: ${th}`);
  }
  assert.deepEqual(en.errors, []);
  assert.deepEqual(await noI18nGaps(en), []);
  await en.context().close();

  // residents and grid workers have none of these pages
  const res = await openPage(browser, srv);
  await uiLogin(res, 'worker1');
  for (const n of ['worklist', 'burden', 'eval']) assert.equal(await res.$(`#nav2 a[data-nav2=${n}]`), null);
  await res.go('/burden');
  await res.waitForSelector('[data-forbidden]');
  await res.context().close();
});
