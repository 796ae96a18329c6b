// 70-ui.test.mjs -- the whole case loop through the web UI in a real browser:
// a resident reports -> the dispatcher registers and dispatches -> the
// department accepts and gives feedback -> the grid worker verifies -> the
// dispatcher closes -> the resident rates. Screenshots go to build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, caseState, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

async function act(page, action, fill = {}) {
  await page.click(`.actions button[data-action="${action}"]`);
  if (Object.keys(fill).length) {
    const form = `.actions form[data-form="${action}"]`;
    await page.waitForSelector(form);
    for (const [name, value] of Object.entries(fill)) {
      if (name === 'rating') await page.check(`${form} input[name=rating][value=${value}]`);
      else if (name === 'dept_id') await page.selectOption(`${form} select[name=dept_id]`, String(value));
      else await page.fill(`${form} [name=${name}]`, value);
    }
    await page.click(`${form} button[type=submit]`);
  }
}

async function waitState(page, state) {
  await page.waitForSelector(`dd[data-field=state] .badge[data-state="${state}"]`, { timeout: 10000 });
}

test('the case loop through the UI, every role on its own page', async () => {
  const pages = [];
  // 1. Resident reports: category search, "use my location", map pin, text.
  const res = await openPage(browser, srv, { geolocation: { latitude: 39.907, longitude: 116.4005 }, permissions: ['geolocation'] });
  pages.push(res);
  await uiLogin(res, 'resident1');
  await res.waitForSelector('.page[data-page=report] #report-map path[data-area]');
  await shot(res, '01-resident-report');
  await res.fill('#cat-search', '井盖');
  const visible = await res.$$eval('.cat-opt', (els) => els.filter((e) => !e.hidden).map((e) => e.dataset.code));
  assert.deepEqual(visible, ['0201'], 'search narrows the categories');
  await res.check('.cat-opt[data-code="0201"] input');
  assert.equal(await res.inputValue('input[name=title]'), '井盖缺损', 'title prefilled from the category');
  await res.click('#use-location');
  await res.waitForFunction(() => document.querySelector('select[name=area]').value === '110101001001002');
  // Then pin it on the map in worker1's grid instead.
  await res.click('#report-map path[data-area="110101001001001"]');
  assert.equal(await res.inputValue('select[name=area]'), '110101001001001');
  await res.fill('input[name=title]', '人行道井盖缺失');
  await res.fill('textarea[name=body]', '学校门口人行道的井盖不见了，很危险。');
  await res.fill('input[name=phone]', '13700137000');
  await shot(res, '02-resident-report-filled');
  await res.click('#report-form button[type=submit]');
  await res.waitForSelector('.done[data-case-no]');
  const no = await res.getAttribute('.done', 'data-case-no');
  const id = Number(await res.getAttribute('.done', 'data-case-id'));
  assert.match(no, /^JC\d{8}-\d+$/);
  await shot(res, '03-resident-report-done');

  // The API holds the case as reported, with the pin and the grid.
  const disTok = await srv.login('dispatcher');
  let r = await srv.api('GET', '/api/v1/cases/' + id, { token: disTok });
  assert.equal(r.status, 200);
  assert.equal(r.json.state, 'reported');
  assert.equal(r.json.area, '110101001001001');
  assert.equal(r.json.category, '0201');
  assert.ok(Math.abs(r.json.lon - 116.3975) < 0.0016 && Math.abs(r.json.lat - 39.907) < 0.0021, 'pin inside grid 1');

  // 2. Dispatcher: queue shows it; register; dispatch to the default department.
  const dis = await openPage(browser, srv);
  pages.push(dis);
  await uiLogin(dis, 'dispatcher');
  await dis.waitForSelector(`table.cases tr[data-no="${no}"]`);
  await shot(dis, '04-dispatcher-queue');
  // Filters: state=reported and the category keep it; state=closed drops it.
  await visit(dis, '/queue?state=reported&category=0201', 'queue');
  await dis.waitForSelector(`table.cases tr[data-no="${no}"]`);
  await visit(dis, '/queue?state=closed', 'queue');
  await dis.waitForSelector('#queue-status:not(:empty)');
  assert.equal(await dis.$(`tr[data-no="${no}"]`), null);
  await visit(dis, '/queue', 'queue');
  await dis.click(`tr[data-no="${no}"] a.case-link`);
  await dis.waitForSelector('.page[data-page=case] .trace[data-trace=verified]');
  assert.match(await dis.textContent('.case-head .trace'), /留痕已验证/);
  await waitState(dis, 'reported');
  await act(dis, 'register');
  // Registering may dispatch automatically by the responsibility list; if it
  // does not, dispatch by hand to the preselected default department.
  await dis.waitForSelector('dd[data-field=state] .badge:is([data-state=registered], [data-state=dispatched])');
  if (await caseState(dis) === 'registered') {
    await dis.click('.actions button[data-action=dispatch]');
    const zhujian = (await srv.api('GET', '/api/v1/depts')).json.depts.find((d) => d.code === 'zhujian');
    assert.equal(await dis.inputValue('.actions form[data-form=dispatch] select[name=dept_id]'), String(zhujian.id), 'default department of 0201 preselected');
    await dis.click('.actions form[data-form=dispatch] button[type=submit]');
  }
  await waitState(dis, 'dispatched');
  await dis.waitForSelector('dd[data-field=deadline] .countdown');
  await shot(dis, '05-dispatcher-case-dispatched');
  r = await srv.api('GET', '/api/v1/cases/' + id, { token: disTok });
  const deptCode = (await srv.api('GET', '/api/v1/depts')).json.depts.find((d) => d.id === r.json.dept_id).code;
  assert.equal(await dis.textContent('dd[data-field=dept]'), (await srv.api('GET', '/api/v1/depts')).json.depts.find((d) => d.id === r.json.dept_id).name);

  // 3. Department: inbox, accept, feedback with a note.
  const dept = await openPage(browser, srv);
  pages.push(dept);
  await uiLogin(dept, 'dept_' + deptCode);
  await dept.waitForSelector(`.page[data-page=inbox] tr[data-no="${no}"] .countdown`);
  await shot(dept, '06-dept-inbox');
  await dept.click(`tr[data-no="${no}"] a.case-link`);
  await waitState(dept, 'dispatched');
  await act(dept, 'accept');
  await waitState(dept, 'accepted');
  await act(dept, 'feedback', { note: '已更换新井盖并加固。' });
  await waitState(dept, 'feedback');
  await shot(dept, '07-dept-case-feedback');

  // 4. Grid worker: verification task in the grid, verify on the spot.
  const worker = await openPage(browser, srv);
  pages.push(worker);
  await uiLogin(worker, 'worker1');
  await worker.waitForSelector(`.page[data-page=tasks] li.task[data-no="${no}"]`);
  await shot(worker, '08-worker-tasks');
  await worker.fill(`li.task[data-no="${no}"] textarea[name=note]`, '现场核查，井盖已更换。');
  await worker.click(`li.task[data-no="${no}"] button[data-action=verify]`);
  await worker.waitForSelector(`li.task[data-no="${no}"]`, { state: 'detached' });

  // 5. Dispatcher closes.
  await dis.reload();
  await waitState(dis, 'verified');
  await act(dis, 'close');
  await waitState(dis, 'closed');

  // 6. Resident: my cases shows it closed; rate it.
  await visit(res, '/mine', 'mine');
  await res.waitForSelector(`tr[data-no="${no}"][data-state=closed]`);
  await shot(res, '09-resident-mine');
  await res.click(`tr[data-no="${no}"] a.btn`);
  await waitState(res, 'closed');
  await act(res, 'rate', { rating: 'satisfied' });
  await waitState(res, 'rated');
  // Follow by number: the resident sees the key steps (受理, 办理中, 已办结, 回访) all done and
  // the answer; the full trace, verified, stays with the staff (the API below).
  await visit(res, '/track?no=' + no, 'track');
  await res.waitForSelector('.track-out .citizen-steps');
  assert.deepEqual(await res.$$eval('.track-out .citizen-steps li', (els) => els.map((e) => e.dataset.status)), ['done', 'done', 'done', 'done']);
  assert.equal(await res.$('.track-out .timeline'), null);
  await shot(res, '10-resident-track');
  const steps = ['report', 'register', 'dispatch', 'accept', 'feedback', 'verify', 'close', 'rate'];

  r = await srv.api('GET', '/api/v1/cases/' + id, { token: disTok });
  assert.equal(r.json.state, 'rated');
  assert.equal(r.json.rating, 'satisfied');
  assert.equal(r.json.trace.verified, true);
  assert.deepEqual(r.json.timeline.map((e) => e.action), steps);
  const actors = r.json.timeline.map((e) => e.actor);
  assert.ok(['dispatcher', 'dispatch'].includes(actors[2]), 'dispatched by hand or by the responsibility list: ' + actors[2]);
  actors[2] = 'dispatcher';
  assert.deepEqual(actors, ['resident1', 'dispatcher', 'dispatcher', 'dept_' + deptCode, 'dept_' + deptCode, 'worker1', 'dispatcher', 'resident1']);

  for (const p of pages) {
    assert.deepEqual(p.errors, [], 'no console errors');
    assert.deepEqual(await noI18nGaps(p), [], 'no missing translations');
    await p.context().close();
  }
});

test('grid worker files a patrol finding; dispatcher uses the other actions', async () => {
  const worker = await openPage(browser, srv);
  await uiLogin(worker, 'worker2');
  await visit(worker, '/patrol', 'patrol');
  await worker.waitForSelector('#report-map path[data-area="110101001002001"]'); // the map shows the worker's grid
  assert.equal(await worker.inputValue('select[name=area]'), '110101001002001', 'defaults to my grid');
  await worker.fill('#cat-search', '垃圾');
  await worker.check('.cat-opt[data-code="0104"] input');
  await worker.fill('textarea[name=body]', '巡查发现垃圾桶满溢。');
  await shot(worker, '11-worker-patrol');
  await worker.click('#report-form button[type=submit]');
  await worker.waitForSelector('.done[data-case-id]');
  const id = Number(await worker.getAttribute('.done', 'data-case-id'));
  const tok = await srv.login('dispatcher');
  const c = (await srv.api('GET', '/api/v1/cases/' + id, { token: tok })).json;
  assert.equal(c.source, 'patrol');
  assert.equal(c.area, '110101001002001');
  // a grid worker's own finding is registered and routed at once
  assert.equal(c.state, 'dispatched');

  // the dispatcher's actions on a resident's report that waits for registration
  const rtok = await srv.login('resident1');
  const rep = (await srv.api('POST', '/api/v1/cases', { token: rtok, body: { title: '楼道堆物', body: '楼道里堆满杂物。', category: '0102', area: '110101001002001' } })).json;
  const dis = await openPage(browser, srv);
  await uiLogin(dis, 'dispatcher');
  await visit(dis, '/case/' + rep.id, 'case');
  await waitState(dis, 'reported');
  const shown = await dis.$$eval('.actions button[data-action]', (els) => els.map((e) => e.dataset.action));
  assert.deepEqual(shown, ['register', 'escalate', 'merge', 'void']);
  await act(dis, 'escalate', { note: '请优先处理' });
  await dis.waitForSelector('dd[data-field=escalation]:has-text("1")');
  await act(dis, 'void', { reason: '重复上报' });
  await waitState(dis, 'voided');
  assert.deepEqual(await dis.$$eval('.actions button[data-action]', (els) => els.length), 0);
  // Suspend and resume an open case: it returns to the state it was in.
  const open = (await srv.api('GET', '/api/v1/cases?state=open', { token: tok })).json.cases.find((k) => ['registered', 'dispatched', 'accepted', 'handling'].includes(k.state));
  await visit(dis, '/case/' + open.id, 'case');
  await waitState(dis, open.state);
  await act(dis, 'suspend', { reason: '等待物业配合' });
  await waitState(dis, 'suspended');
  await act(dis, 'resume');
  await waitState(dis, open.state);
  // A refused action shows the API's error and changes nothing: merge into a case that does not exist.
  const other = (await srv.api('GET', '/api/v1/cases?state=reported', { token: tok })).json.cases[0];
  await visit(dis, '/case/' + other.id, 'case');
  await act(dis, 'merge', { target_id: '999999' });
  await dis.waitForSelector('.actions .alert.error');
  await waitState(dis, 'reported');
  assert.equal((await srv.api('GET', '/api/v1/cases/' + other.id, { token: tok })).json.state, 'reported');
  const errs = dis.errors.filter((e) => !/status of 4\d\d/.test(e));
  assert.deepEqual(errs, [], 'no console errors besides the refused request');
  assert.deepEqual(worker.errors, []);
  await worker.context().close();
  await dis.context().close();
});
