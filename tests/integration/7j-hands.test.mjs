// 7j-hands.test.mjs -- the dispatcher's hands in the browser: bulk dispatch
// from the queue (to one department, or each by the list), 改派 and 撤回 on
// the case page, 回访 after an unsatisfied rating (the record on the case page
// and the 回访率 column of the evaluation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, filler } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium, caseState } from './ui-lib.mjs';

let srv, browser, T = {}, depts;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  for (const n of ['dispatcher', 'resident1', 'dept_chengguan']) T[n] = await srv.login(n);
  depts = Object.fromEntries((await srv.api('GET', '/api/v1/depts')).json.depts.map((d) => [d.code, d.id]));
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

const act = async (tok, id, action, body = {}) => {
  const r = await srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: tok, body });
  assert.ok(r.status < 300, `${action}: ${r.text}`);
  return r.json;
};
const report = async (grid) => (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '占道 ' + filler(), category: '0104', area: grid } })).json;
const kase = async (id) => (await srv.api('GET', '/api/v1/cases/' + id, { token: T.dispatcher })).json;

test('bulk dispatch from the queue; 改派 and 撤回 on the case page', async () => {
  // two registered cases without a department (dispatched, then recalled)
  const ids = [];
  for (const g of ['110101001001001', '110101001002001']) {
    const k = await report(g);
    await act(T.dispatcher, k.id, 'register');
    await act(T.dispatcher, k.id, 'recall', { reason: '重新研判' });
    ids.push(k.id);
  }
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/queue?state=registered', 'queue');
  for (const id of ids) await page.check(`tr[data-id="${id}"] input.row-sel`);
  await page.selectOption('select[name=bulk_dept]', String(depts.shichang));
  await page.click('button[data-bulk=dispatch]');
  await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`) && document.querySelector('table.cases, .empty'), ids[0]);
  for (const id of ids) {
    const c = await kase(id);
    assert.equal(c.state, 'dispatched');
    assert.equal(c.dept_id, depts.shichang, 'to the department chosen');
  }
  await shot(page, '88-queue-bulk-dispatch');

  // 改派: to another department with a reason
  await visit(page, '/case/' + ids[0], 'case');
  await page.click('button[data-action=redispatch]');
  await page.selectOption('form[data-form=redispatch] select[name=dept_id]', String(depts.chengguan));
  await page.fill('form[data-form=redispatch] textarea[name=reason]', '属城管职责');
  await page.click('form[data-form=redispatch] button[type=submit]');
  await page.waitForSelector('.tl-item[data-action=redispatch]');
  let c = await kase(ids[0]);
  assert.equal(c.dept_id, depts.chengguan);
  assert.equal(c.timeline.at(-1).reason, '属城管职责');
  // 撤回: before the department accepts
  await page.click('button[data-action=recall]');
  await page.fill('form[data-form=recall] textarea[name=reason]', '派单信息有误');
  await page.click('form[data-form=recall] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('dd[data-field=state] .badge')?.dataset.state === 'registered');
  assert.equal(await caseState(page), 'registered');
  c = await kase(ids[0]);
  assert.equal(c.dept_id, null);
  // an accepted case offers 改派 but not 撤回
  await act(T.dispatcher, ids[1], 'redispatch', { dept_id: depts.chengguan, reason: '改派城管' });
  await act(T.dept_chengguan, ids[1], 'accept');
  await visit(page, '/case/' + ids[1], 'case');
  await page.waitForSelector('button[data-action=redispatch]');
  assert.equal(await page.$('button[data-action=recall]'), null);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('回访 after an unsatisfied rating: recorded on the case page and counted in 回访率', async () => {
  const k = await report('110101001001002');
  await act(T.dispatcher, k.id, 'register');
  await act(T.dept_chengguan, k.id, 'accept');
  await act(T.dept_chengguan, k.id, 'feedback', { note: '已清理' });
  await act(T.dispatcher, k.id, 'verify');
  await act(T.dispatcher, k.id, 'close');
  await act(T.resident1, k.id, 'rate', { rating: 'unsatisfied' });
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/case/' + k.id, 'case');
  await page.waitForSelector('#followups');
  assert.match(await page.textContent('#followups'), /尚未回访/);
  await page.click('button[data-action=followup]');
  await page.selectOption('form[data-form=followup] select[name=result]', 'basic');
  await page.fill('form[data-form=followup] textarea[name=note]', '已电话说明，居民表示理解');
  await page.click('form[data-form=followup] button[type=submit]');
  await page.waitForSelector('#followups li[data-result=basic]');
  assert.match(await page.textContent('#followups'), /回访后基本满意/);
  assert.match(await page.textContent('#followups'), /居民表示理解/);
  const list = (await srv.api('GET', `/api/v1/cases/${k.id}/followups`, { token: T.dispatcher })).json.followups;
  assert.deepEqual(list.map((f) => f.result), ['basic']);
  await shot(page, '89-followup');
  // the evaluation shows the street's follow-up rate, as the API counts it
  // (the evaluation's ticker counts the follow-up within a tick of its write: wait for
  // the API to count it, then the page must show the same)
  const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  let api;
  for (let i = 0; i < 100; i++) {
    api = (await srv.api('GET', `/api/v1/eval?period=${month}&unit=street`, { token: T.dispatcher })).json.rows[0].indicators.followup;
    if (api.num >= 1) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(`${api.num}/${api.den}`, '1/1', JSON.stringify(api));
  await visit(page, `/eval?period=${month}&unit=street`, 'eval');
  await page.waitForSelector('td[data-k=followup]');
  assert.equal(await page.textContent('td[data-k=followup] .nd'), `${api.num}/${api.den}`);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});
