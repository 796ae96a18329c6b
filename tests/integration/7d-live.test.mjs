// 7d-live.test.mjs -- live updates in the browser (js/live.js): the dispatcher
// has the queue open; a resident reports through the API; the new case shows
// in the queue without a reload (marked new), with the 新案件 toast, and the
// 实时 indicator is green. With the case page open, the department accepts
// through the API and the page shows 已签收 without a reload. Logging out
// closes the stream (indicator gone), logging in again reopens it.
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

test('live: a new case appears in the open queue, an accept on the open case page', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await page.waitForSelector('.page[data-page=queue] #queue-status');
  await page.waitForSelector('#live[data-live=on]', { timeout: 5000 });
  assert.match(await page.textContent('#live'), /实时/);
  // The bulk note is kept across the live refresh (the queue refreshes in place).
  await page.fill('input[name=bulk_note]', '请尽快处理');
  await page.evaluate(() => { window.__noReload = 1; });
  const hash = await page.evaluate(() => location.hash);

  const res = await srv.login('resident1');
  const r = await srv.api('POST', '/api/v1/cases', { token: res, body: {
    title: '实时推送测试：路灯不亮', body: '南池子大街路灯整晚不亮。', category: '9901', area: '110101001001002', source: 'web' } });
  assert.equal(r.status, 201, r.text);
  const { id, no } = r.json;
  const t0 = Date.now();
  await page.waitForSelector(`#queue-status ~ .card tr[data-id="${id}"]`, { timeout: 8000 });
  console.log(`# the new case showed after ${Date.now() - t0} ms`);
  assert.equal(await page.evaluate(() => window.__noReload), 1, 'no reload');
  assert.equal(await page.evaluate(() => location.hash), hash, 'same address (filters kept)');
  assert.equal(await page.inputValue('input[name=bulk_note]'), '请尽快处理', 'the bulk note is kept');
  assert.ok(await page.$(`tr.live-new[data-id="${id}"]`), 'the new row is marked');
  await page.waitForFunction((n) => document.querySelector('#toast.show')?.textContent.includes(`新案件 ${n} 已上报`), no, { timeout: 8000 });
  assert.equal(await page.getAttribute('#live', 'data-live'), 'on');
  await shot(page, '7d-01-live-queue');

  // 城管's inbox is open (the generic soft refresh); register + dispatch to 城管 through the API.
  const deptPage = await openPage(browser, srv);
  await uiLogin(deptPage, 'dept_chengguan');
  await deptPage.waitForSelector('.page[data-page=inbox] [role=tabpanel]');
  await deptPage.waitForSelector('#live[data-live=on]', { timeout: 5000 });
  await deptPage.evaluate(() => { window.__noReload = 1; });
  const tok = await srv.login('dispatcher');
  const cg = (await srv.api('GET', '/api/v1/depts')).json.depts.find((d) => d.code === 'chengguan');
  let a = await srv.api('POST', `/api/v1/cases/${id}/register`, { token: tok, body: {} });
  assert.equal(a.status, 200, a.text);
  if (a.json.state !== 'dispatched' || a.json.dept_id !== cg.id) {
    a = await srv.api('POST', `/api/v1/cases/${id}/dispatch`, { token: tok, body: { dept_id: cg.id } });
    assert.equal(a.status, 200, a.text);
  }
  await deptPage.waitForSelector(`.page[data-page=inbox] tr[data-id="${id}"]`, { timeout: 8000 });
  assert.equal(await deptPage.evaluate(() => window.__noReload), 1, 'no reload of the inbox');
  assert.deepEqual(deptPage.errors, []);
  await deptPage.context().close();
  await visit(page, '/case/' + id, 'case');
  await page.waitForSelector('dd[data-field=state] .badge');
  assert.equal(await caseState(page), 'dispatched');
  await page.evaluate(() => { window.__noReload = 2; });
  const dept = await srv.login('dept_chengguan');
  a = await srv.api('POST', `/api/v1/cases/${id}/accept`, { token: dept, body: {} });
  assert.equal(a.status, 200, a.text);
  // The page redraws itself, or -- when it judges the user busy with a form --
  // offers "本页数据有更新 刷新" instead of losing their input: either way the
  // update arrived live.
  await page.waitForFunction(() => document.querySelector('dd[data-field=state] .badge')?.dataset.state === 'accepted' ||
    document.querySelector('#live-stale'), null, { timeout: 8000 });
  if (await page.$('#live-stale')) await page.click('#live-stale button');
  await page.waitForFunction(() => document.querySelector('dd[data-field=state] .badge')?.dataset.state === 'accepted', null, { timeout: 8000 });
  assert.equal(await page.evaluate(() => window.__noReload), 2, 'no reload');
  assert.equal(await page.evaluate(() => location.hash), '#/case/' + id);
  await shot(page, '7d-02-live-case');

  // Logout closes the stream; a new login opens it again.
  await page.click('#logout');
  await page.waitForSelector('#login-form');
  assert.equal(await page.$('#live'), null, 'no indicator when logged out');
  await uiLogin(page, 'dispatcher');
  await page.waitForSelector('#live[data-live=on]', { timeout: 5000 });

  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
});
