// 7g-escalation.test.mjs -- 督办 as a supervisor reads it (issue 23, item 1):
// a case overdue for days shows one reminder, one 超时督办 and one 领导督办 in
// its timeline, worded in Chinese; the supervisor's own 督办 are counted apart
// and three in a row fold into one line; 临期 and 逾期 are not shown together;
// the designer's 督办设置 saves the levels and intervals and words a refusal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng, filler } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser, T = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function clock(at, speed = 1) {
  const r = jiceng(['clock', 'set', '--db', srv.db, '--start', at + '+08:00', '--speed', String(speed)]);
  assert.equal(r.status, 0, r.stderr);
  await sleep(1600);
}
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  for (const n of ['resident1', 'dispatcher', 'supervisor']) T[n] = await srv.login(n);
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

test('an overdue case: one line per step, the supervisor counted apart, repeated 督办 folded', async () => {
  await clock('2026-11-23T09:00:00');
  const c = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '占道经营', body: filler(), category: '0101', lon: 116.3975, lat: 39.907 } })).json;
  assert.equal((await srv.api('POST', `/api/v1/cases/${c.id}/register`, { token: T.dispatcher, body: {} })).status, 200);
  await clock('2026-11-23T10:45:00');
  await clock('2026-11-23T11:30:00');
  await clock('2026-11-23T11:31:00', 20000);
  await sleep(8000);
  await clock('2026-11-26T10:00:00');
  for (const note of ['请尽快签收', '再次督办', '第三次督办'])
    assert.equal((await srv.api('POST', `/api/v1/cases/${c.id}/escalate`, { token: T.supervisor, body: { note } })).status, 200);

  const page = await openPage(browser, srv);
  await uiLogin(page, 'supervisor');
  await visit(page, '/case/' + c.id, 'case');
  await page.waitForSelector('.o-timeline .tl-item');
  const timer = await page.$$eval('.o-timeline > ol > .tl-item', (els) => els.map((e) => [e.dataset.action, e.dataset.run || '', e.querySelector('.tl-who')?.textContent || '', e.querySelector('.tl-reason')?.textContent || '']));
  const byTimer = timer.filter(([, , who]) => who.includes('平台（时限计时）'));
  assert.deepEqual(byTimer.map(([a]) => a), ['remind', 'escalate', 'escalate'], JSON.stringify(timer));
  assert.match(byTimer[0][3], /受理时限已用 80%，将于 .* 到期/);
  assert.equal(byTimer[1][3], '受理已超过时限，超时督办');
  assert.equal(byTimer[2][3], '受理超时仍未办结，升级为领导督办');
  const run = timer.find(([a, n]) => a === 'escalate' && n === '3');
  assert.ok(run, 'the three 督办 of the supervisor in one line: ' + JSON.stringify(timer));
  assert.match(await page.textContent('.tl-run'), /督办（共 3 次）/);
  assert.match(await page.textContent('dd[data-field=escalation]'), /人工督办 3 次/);
  assert.match(await page.textContent('dd[data-field=escalation]'), /领导督办/);
  assert.equal(await page.getAttribute('[data-card=phases] tr[data-phase=accept] .badge.esc', 'data-level'), '2');
  assert.equal(await page.$('.case-head .badge.flag[data-flag=reminded]'), null, '临期 gives way to 逾期');
  assert.ok(await page.$('.case-head .badge.flag[data-flag=overdue]'));
  const text = await page.textContent('.o-timeline');
  assert.doesNotMatch(text, /[A-Za-z]{4,}/, 'no English and no hashes in the timeline: ' + text);
  await shot(page, '7g-01-escalated-case');
  assert.deepEqual(await noI18nGaps(page), []);
  assert.deepEqual(page.errors, []);
});

test('督办设置: saved, shown after a reload; a value out of range refused in Chinese, naming the setting', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/designer?tab=escalation', 'designer');
  await page.waitForSelector('#esc-config input[name=remind_pct]');
  assert.equal(await page.inputValue('#esc-config input[name=remind_pct]'), '80');
  await page.fill('#esc-config input[name=remind_pct]', '120');
  await page.click('#esc-config button[type=submit]');
  await page.waitForSelector('#esc-config-error .alert.error');
  const msg = await page.textContent('#esc-config-error');
  assert.match(msg, /提醒时点.*50 至 95/);
  assert.doesNotMatch(msg, /[A-Za-z]{4,}/);
  await page.fill('#esc-config input[name=remind_pct]', '70');
  await page.uncheck('#esc-leader');
  await page.fill('#esc-config input[name=leader_after_h]', '14');
  await page.click('#esc-config button[type=submit]');
  await page.waitForFunction(() => /督办设置已保存/.test(document.querySelector('#toast.show')?.textContent || ''));
  const cfg = (await srv.api('GET', '/api/v1/escalation/config', { token: T.dispatcher })).json;
  assert.deepEqual([cfg.remind_pct, cfg.leader_level, cfg.leader_after_h], [70, false, 14]);
  await page.reload();
  await page.waitForSelector('#esc-config input[name=remind_pct]');
  assert.equal(await page.inputValue('#esc-config input[name=remind_pct]'), '70');
  assert.equal(await page.isChecked('#esc-leader'), false);
  await shot(page, '7g-02-escalation-settings');
  assert.deepEqual(page.errors.filter((e) => !/status of 400/.test(e)), []);
});
