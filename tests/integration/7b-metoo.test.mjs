// 7b-metoo.test.mjs -- "我也遇到 / me too" on the report form: resident1's open
// report is listed for resident2 once the same category and a point within
// 300 m are chosen (public Open311 list); pressing 我也遇到 sends the same text,
// the server merges it, the page names the original and links to it, and
// the original case opens for resident2. A far point lists nothing.
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

test('me too: a nearby open report of the same category, merged into it', async () => {
  const t1 = await srv.login('resident1');
  const orig = await srv.api('POST', '/api/v1/cases', { token: t1, body: {
    title: '井盖缺损', body: '东华门小学门口人行道的井盖不见了，晚上很危险。', category: '0201', area: '110101001001002', lat: 39.9071, lon: 116.4006, source: 'web' } });
  assert.equal(orig.status, 201, orig.text);

  const page = await openPage(browser, srv, { viewport: { width: 375, height: 812 }, geolocation: { latitude: 39.9072, longitude: 116.4008 }, permissions: ['geolocation'] });
  await uiLogin(page, 'resident2');
  await page.waitForSelector('.page[data-page=report] #report-map path[data-area]');
  await page.check('.cat-opt[data-code="0201"] input');
  assert.equal(await page.isHidden('#metoo'), true, 'nothing before a point is chosen');
  await page.click('#use-location');
  await page.waitForSelector(`#metoo li[data-request="${orig.json.no}"]`);
  assert.match(await page.textContent('#metoo'), /东华门小学门口/);
  await shot(page, '7b-01-metoo-list-375');

  await page.click(`#metoo button[data-metoo="${orig.json.no}"]`);
  await page.waitForSelector('.done[data-merged-into]');
  assert.equal(await page.getAttribute('.done', 'data-merged-into'), String(orig.json.id));
  assert.match(await page.textContent('.done .merged-text'), new RegExp(`已合并到 ${orig.json.no}`));
  await shot(page, '7b-02-metoo-merged-375');
  await page.click('#follow-original');
  await page.waitForSelector('.page[data-page=case] dd[data-field=no]');
  assert.equal(await page.textContent('dd[data-field=no]'), orig.json.no);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);

  // A point far away (about 900 m north): nothing is offered.
  await page.context().setGeolocation({ latitude: 39.915, longitude: 116.404 });
  await visit(page, '/report', 'report');
  await page.waitForSelector('#report-map path[data-area]');
  await page.check('.cat-opt[data-code="0201"] input');
  await page.click('#use-location');
  await page.waitForFunction(() => document.querySelector('#pin-text').textContent !== '正在定位…');
  assert.match(await page.textContent('#pin-text'), /已标注/, 'the far point is inside a grid');
  await page.waitForTimeout(600);
  assert.equal(await page.isHidden('#metoo'), true);
});
