// 7e-designer-settings.test.mjs -- the designer's settings forms in a real
// browser: working hours (GET/PUT /api/v1/calendar/hours), evaluation settings
// (GET/PUT /api/v1/eval/config) and burden limits (GET/PUT
// /api/v1/burden/config). Each: change -> saved (the API has it) -> a reload
// shows it; an invalid value shows the server's message next to the form and
// changes nothing. The page reloads keep the login (HttpOnly cookie).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser, token;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  token = await srv.login('dispatcher');
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

const apiGet = async (path) => (await srv.api('GET', path, { token })).json;
const only400 = (page) => page.errors.filter((e) => !/status of 400/.test(e));

async function reloadTab(page, tab, sel) {
  await page.reload();
  await page.waitForSelector(`#designer-panel[data-tab=${tab}] ${sel}`);
}

test('working hours: change, saved, shown after a reload; overlapping periods refused with the server message', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/designer?tab=hours', 'designer');
  await page.waitForSelector('#hours-form li[data-interval]');
  const api0 = await apiGet('/api/v1/calendar/hours');
  const shown = await page.$$eval('#hours-list li', (lis) => lis.map((li) => [...li.querySelectorAll('input')].map((i) => i.value)));
  assert.deepEqual(shown, api0.intervals, 'the form shows what the API has');
  assert.match(await page.textContent('#hours-total'), /7/);

  // Change: start at 08:30 and add an evening period 18:00-19:00.
  await page.fill('#hours-list li:nth-child(1) input[name=start]', '08:30');
  await page.click('#hours-add');
  await page.fill('#hours-list li:nth-child(3) input[name=start]', '18:00');
  await page.fill('#hours-list li:nth-child(3) input[name=end]', '19:00');
  assert.match(await page.textContent('#hours-total'), /8\.5/);
  await shot(page, '7e-01-hours');
  await page.click('#hours-form button[type=submit]');
  await page.waitForFunction(() => /工作时间已保存/.test(document.querySelector('#toast.show')?.textContent || ''));
  const want = [['08:30', '12:00'], ['13:30', '17:30'], ['18:00', '19:00']];
  assert.deepEqual((await apiGet('/api/v1/calendar/hours')).intervals, want, 'saved');
  await reloadTab(page, 'hours', '#hours-list li[data-interval]');
  assert.deepEqual(await page.$$eval('#hours-list li', (lis) => lis.map((li) => [...li.querySelectorAll('input')].map((i) => i.value))), want, 'a reload shows it');

  // Invalid: period 2 starts before period 1 ends.
  await page.fill('#hours-list li:nth-child(2) input[name=start]', '11:00');
  await page.click('#hours-form button[type=submit]');
  await page.waitForSelector('#hours-error .alert.error');
  assert.match(await page.textContent('#hours-error'), /时段 2/, 'names the period, in Chinese');
  assert.doesNotMatch(await page.textContent('#hours-error'), /[A-Za-z]{4,}/, 'no English in the Chinese page');
  assert.deepEqual((await apiGet('/api/v1/calendar/hours')).intervals, want, 'nothing changed');
  await shot(page, '7e-02-hours-refused');
  // Back to the defaults for the other tests.
  assert.equal((await srv.api('PUT', '/api/v1/calendar/hours', { token, body: { intervals: api0.intervals } })).status, 200);
  assert.deepEqual(only400(page), []);
  assert.equal(page.errors.length, 1, 'one deliberate 400');
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('evaluation settings: change, saved, shown after a reload; grades out of order refused', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/designer?tab=evalcfg', 'designer');
  await page.waitForSelector('#eval-config input[name=min_cases]');
  const c0 = await apiGet('/api/v1/eval/config');
  assert.equal(Number(await page.inputValue('#eval-config input[name=min_cases]')), c0.min_cases);
  assert.equal(Number(await page.inputValue('#eval-config input[name="weight.satisfaction"]')), c0.weights.satisfaction);
  assert.equal(Number(await page.inputValue('#eval-config input[name="grade.A"]')), c0.grades.A);
  // The indicator labels come from the evaluation page's strings.
  assert.match(await page.textContent('#eval-config'), /满意率/);

  await page.fill('#eval-config input[name=min_cases]', '15');
  await page.fill('#eval-config input[name="weight.satisfaction"]', '0.3');
  await page.fill('#eval-config input[name=dispatch_limit_h]', '3');
  await shot(page, '7e-03-eval-config');
  await page.click('#eval-config button[type=submit]');
  await page.waitForFunction(() => /考核设置已保存/.test(document.querySelector('#toast.show')?.textContent || ''));
  const c1 = await apiGet('/api/v1/eval/config');
  assert.equal(c1.min_cases, 15);
  assert.equal(c1.weights.satisfaction, 0.3);
  assert.equal(c1.dispatch_limit_h, 3);
  assert.equal(c1.weights.response, c0.weights.response, 'untouched values kept');
  // The evaluation itself uses the new minimum at once.
  const now = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  assert.equal((await apiGet('/api/v1/eval?period=' + now + '&unit=dept')).min_cases, 15);
  await reloadTab(page, 'evalcfg', 'input[name=min_cases]');
  assert.equal(await page.inputValue('#eval-config input[name=min_cases]'), '15');
  assert.equal(await page.inputValue('#eval-config input[name="weight.satisfaction"]'), '0.3');

  // Invalid: grade B above grade A.
  await page.fill('#eval-config input[name="grade.B"]', '95');
  await page.click('#eval-config button[type=submit]');
  await page.waitForSelector('#eval-config-error .alert.error');
  assert.match(await page.textContent('#eval-config-error'), /A 级 > B 级 > C 级 > D 级/);
  assert.equal((await apiGet('/api/v1/eval/config')).grades.B, c0.grades.B, 'nothing changed');
  // A weight out of range names the field.
  await page.fill('#eval-config input[name="grade.B"]', String(c0.grades.B));
  await page.fill('#eval-config input[name="weight.rework"]', '2');
  await page.click('#eval-config button[type=submit]');
  await page.waitForFunction(() => /返工率权重/.test(document.querySelector('#eval-config-error')?.textContent || ''));
  await shot(page, '7e-04-eval-config-refused');
  assert.equal((await apiGet('/api/v1/eval/config')).weights.rework, c0.weights.rework);
  assert.deepEqual(only400(page), []);
  assert.equal(page.errors.length, 2, 'two deliberate 400s');
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('burden limits: change, saved, shown after a reload; a negative limit refused', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/designer?tab=burden', 'designer');
  const limitSel = '#burden-config input[name="limit.tasks_per_community_month"]';
  await page.waitForSelector(limitSel);
  const b0 = await apiGet('/api/v1/burden/config');
  assert.equal(Number(await page.inputValue(limitSel)), b0.values['limit.tasks_per_community_month']);
  assert.equal(Number(await page.inputValue('#burden-config input[name="hours.report"]')), b0.values['hours.report']);

  await page.fill(limitSel, '5');
  await page.fill('#burden-config input[name="hours.report"]', '4.5');
  await shot(page, '7e-05-burden-config');
  await page.click('#burden-config button[type=submit]');
  await page.waitForFunction(() => /已保存 2 项设置/.test(document.querySelector('#toast.show')?.textContent || ''));
  const b1 = await apiGet('/api/v1/burden/config');
  assert.equal(b1.values['limit.tasks_per_community_month'], 5);
  assert.equal(b1.values['hours.report'], 4.5);
  assert.equal(b1.values['hours.form'], b0.values['hours.form']);
  await reloadTab(page, 'burden', 'input[name="hours.report"]');
  assert.equal(await page.inputValue(limitSel), '5');
  assert.equal(await page.inputValue('#burden-config input[name="hours.report"]'), '4.5');

  await page.fill(limitSel, '-1');
  await page.click('#burden-config button[type=submit]');
  await page.waitForSelector('#burden-config-error .alert.error');
  const msg = await page.textContent('#burden-config-error');
  assert.match(msg, /上限/, 'names the setting');
  assert.match(msg, /0 至/);
  assert.doesNotMatch(msg, /[A-Za-z]{4,}/);
  assert.equal(await page.getAttribute(limitSel, 'aria-invalid'), 'true');
  assert.equal((await apiGet('/api/v1/burden/config')).values['limit.tasks_per_community_month'], 5, 'nothing changed');
  await shot(page, '7e-06-burden-refused');
  assert.deepEqual(only400(page), []);
  assert.equal(page.errors.length, 1);
  await page.context().close();
});

test('the settings forms in English at 375 px', async () => {
  const p = await openPage(browser, srv, { viewport: { width: 375, height: 800 }, lang: 'en' });
  await uiLogin(p, 'admin');
  for (const [tab, sel] of [['hours', '#hours-form li'], ['evalcfg', '#eval-config input'], ['burden', '#burden-config input']]) {
    await visit(p, '/designer?tab=' + tab, 'designer');
    await p.waitForSelector(sel);
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 376), tab + ': no horizontal scroll');
  }
  assert.match(await p.textContent('#burden-config'), /Estimated hours per task/);
  await shot(p, '7e-07-burden-375-en');
  assert.deepEqual(p.errors, []);
  assert.deepEqual(await noI18nGaps(p), []);
  await p.context().close();
});
