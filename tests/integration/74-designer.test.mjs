// 74-designer.test.mjs -- 基层设计 in a real browser: a responsibility-list CSV
// with an unknown department is refused with its row error and the version
// is unchanged; a good one becomes the new version; the routing preview then
// shows the department and legal basis of the new entry for a clicked point;
// a calendar correction appears in the year view; an invalid alarm rule shows
// the server's validation error, a valid one is listed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

const BASIS = '《东华门街道噪声治理试点办法》第三条：街道综合执法队先行处置';

test('designer: list upload (refused, then accepted), routing preview, calendar, alarm rules', async () => {
  const v0 = (await srv.api('GET', '/api/v1/duties/versions')).json.versions.find((v) => v.active).version;
  const csv = (await srv.api('GET', '/api/v1/duties/csv')).text.replace(/\s*$/, '\n');
  const good = csv + `S-0301-T,0301,110101001,chengguan,,${BASIS},1wh,2wd,4wh,0\n`;
  const bad = good + 'X-0302,0302,110101001,chengguang,,某条例,1wh,2wd,4wh,0\n';
  const badRow = bad.trim().split('\n').length;

  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await page.click('#nav2 a[data-nav2=designer]');
  await page.waitForSelector('.page[data-page=designer] #duty-table tbody tr');
  assert.equal(await page.$$eval('#duty-table tbody tr', (t) => t.length), csv.trim().split('\n').length - 1, 'the active list as a table');
  assert.equal(await page.getAttribute('#duty-download', 'href'), '/api/v1/duties/csv');

  // Refused: the row error is shown, the version is unchanged.
  await page.setInputFiles('#duty-upload input[type=file]', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.click('#duty-upload button[type=submit]');
  await page.waitForSelector('[data-import-error] pre.errors');
  const errText = await page.textContent('[data-import-error] pre.errors');
  assert.match(errText, new RegExp(`第 ${badRow} 行：部门编码“chengguang”不存在`), 'the row and the error, in Chinese: ' + errText);
  assert.doesNotMatch(errText.replace('chengguang', '').replace('lead_dept', ''), /[A-Za-z]{4,}/);
  await shot(page, '50-designer-list-refused');
  assert.equal((await srv.api('GET', '/api/v1/duties/versions')).json.versions.find((v) => v.active).version, v0);

  // Accepted: a new version is listed as active.
  await page.setInputFiles('#duty-upload input[type=file]', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.fill('#duty-upload input[name=note]', '噪声街道级试点');
  await page.click('#duty-upload button[type=submit]');
  await page.waitForSelector(`#duty-versions tr[data-version="${v0 + 1}"][data-active="1"]`);
  assert.match(await page.textContent(`#duty-versions tr[data-version="${v0 + 1}"]`), /噪声街道级试点/);
  await page.waitForSelector('#duty-table tr[data-entry="S-0301-T"]');
  await shot(page, '51-designer-list');

  // Routing preview: 0301 at a point in community 2 -> the new street entry.
  await page.click('.tabs a[data-tab=explain]');
  await page.waitForSelector('#explain-map path[data-area="110101001002001"]');
  await page.selectOption('#designer-panel select[name=category]', '0301');
  await page.click('#explain-map path[data-area="110101001002001"]');
  await page.waitForSelector('[data-explain="S-0301-T"]');
  assert.equal(await page.textContent('#explain-result dd[data-field=legal_basis]'), BASIS);
  assert.match(await page.textContent('#explain-result dd[data-field=lead]'), /城市管理/);
  // In community 1 the community entry still wins.
  await page.selectOption('#designer-panel select[name=area]', '110101001001002');
  await page.waitForSelector('[data-explain="C-0301-110101001001"]');
  await page.click('#explain-map path[data-area="110101001002001"]');
  await page.waitForSelector('[data-explain="S-0301-T"]');
  await shot(page, '52-designer-explain');

  // Calendar: a correction appears in the year view and the list; then removed.
  await visit(page, '/designer?tab=calendar&year=2026', 'designer');
  await page.waitForSelector('#cal-year td[data-date="2026-10-01"].holiday');
  await page.fill('#cal-form input[name=date]', '2026-12-07');
  await page.selectOption('#cal-form select[name=kind]', 'holiday');
  await page.fill('#cal-form input[name=name]', '台风停工');
  await page.click('#cal-form button[type=submit]');
  await page.waitForSelector('#cal-year td[data-date="2026-12-07"].holiday.overridden');
  assert.match(await page.textContent('#cal-corrections li[data-date="2026-12-07"]'), /台风停工/);
  const day = (await srv.api('GET', '/api/v1/calendar?year=2026')).json.days.find((d) => d.date === '2026-12-07');
  assert.equal(day?.kind, 'holiday');
  await shot(page, '53-designer-calendar');
  await page.click('#cal-corrections button[data-remove="2026-12-07"]');
  await page.waitForSelector('#cal-year td[data-date="2026-12-07"]:not(.holiday)');

  // Alarm rules: the server's validation error is shown, then a valid rule is listed.
  await page.click('.tabs a[data-tab=rules]');
  await page.waitForSelector('#rule-table tbody tr');
  const before = await page.$$eval('#rule-table tbody tr', (t) => t.length);
  await page.click('#rule-new');
  await page.selectOption('#rule-form select[name=type]', 'water_level');
  await page.selectOption('#rule-form select[name=kind]', 'threshold');
  await page.fill('#rule-form input[name=name]', '积水超警戒');
  await page.fill('#rule-form input[name=metric]', 'level');
  await page.fill('#rule-form input[name=high]', '20');
  await page.fill('#rule-form input[name=low]', '30');
  await page.click('#rule-form button[type=submit]');
  await page.waitForSelector('#rule-form [data-rule-error]');
  assert.match(await page.textContent('#rule-form [data-rule-error]'), /下限须低于上限/, 'the refusal in Chinese');
  await shot(page, '54-designer-rule-error');
  await page.fill('#rule-form input[name=low]', '10');
  await page.click('#rule-form button[type=submit]');
  await page.waitForFunction((n) => document.querySelectorAll('#rule-table tbody tr').length === n + 1, before);
  assert.match(await page.textContent('#rule-table'), /积水超警戒/);
  await shot(page, '55-designer-rules');

  // The only console errors are the browser's notes on the two deliberate 400 answers.
  assert.deepEqual(page.errors.filter((e) => !/status of 400/.test(e)), []);
  assert.equal(page.errors.length, 2);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('the designer is for admin and dispatchers only, and fits 375 px in English', async () => {
  const sup = await openPage(browser, srv);
  await uiLogin(sup, 'supervisor');
  await sup.go('/designer');
  await sup.waitForSelector('[data-forbidden]');
  await sup.context().close();
  const p = await openPage(browser, srv, { viewport: { width: 375, height: 800 }, lang: 'en' });
  await uiLogin(p, 'admin');
  await visit(p, '/designer?tab=calendar&year=2026', 'designer');
  await p.waitForSelector('#cal-year td[data-date="2026-01-01"]');
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 376), 'no horizontal scroll');
  await shot(p, '56-designer-calendar-375-en');
  assert.deepEqual(p.errors, []);
  assert.deepEqual(await noI18nGaps(p), []);
  await p.context().close();
});
