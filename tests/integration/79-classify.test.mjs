// 79-classify.test.mjs -- the classifier hint of the report form in the
// browser: typing a seed-like text (debounced) brings chips of the top-3
// categories with probabilities equal to POST /api/v1/classify; clicking one
// selects the category; a vague text shows the "needs a human" note; on the
// new case's page staff see the recorded suggestion and that it agrees.
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

test('report form: classifier chips select the category; the case shows the suggestion to staff', async () => {
  const res = await srv.login('resident1');
  const TITLE = '小区门口路灯坏了', BODY = '小区门口的路灯好几天不亮了，晚上一片漆黑，老人走路看不清';
  const api = (await srv.api('POST', '/api/v1/classify', { token: res, body: { title: TITLE, body: BODY } })).json;
  assert.equal(api.top[0].category, '0202');

  const page = await openPage(browser, srv, { viewport: { width: 375, height: 800 } });
  await uiLogin(page, 'resident1');
  await visit(page, '/report', 'report');
  // a vague text: not confident, the note asks a human to choose
  await page.fill('#report-form textarea[name=body]', '有个问题');
  await page.waitForSelector('#cls-hint [data-needs-human]');
  await page.fill('#report-form input[name=title]', TITLE);
  await page.fill('#report-form textarea[name=body]', BODY);
  await page.waitForSelector('#cls-hint button[data-suggest="0202"]');
  await page.waitForFunction(() => !document.querySelector('#cls-hint [data-needs-human]'));
  const chips = await page.$$eval('#cls-hint button[data-suggest]', (bs) => bs.map((b) => [b.dataset.suggest, b.querySelector('.prob').textContent]));
  assert.deepEqual(chips, api.top.map((x) => [x.category, Math.round(x.prob * 100) + '%']), 'chips = API top 3');
  assert.equal(await page.$eval('input[name=category][value="0202"]', (i) => i.checked), false);
  await page.click('#cls-hint button[data-suggest="0202"]');
  assert.equal(await page.$eval('input[name=category][value="0202"]', (i) => i.checked), true);
  assert.equal(await page.getAttribute('#cls-hint button[data-suggest="0202"]', 'aria-pressed'), 'true');
  assert.equal(await page.inputValue('#report-form input[name=title]'), TITLE, 'the typed title is kept');
  assert.doesNotMatch(await page.textContent('#cls-hint'), /null|undefined/);
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 1, 'no horizontal scroll at 375 px: ' + over);
  await page.$eval('#cls-hint', (el) => el.scrollIntoView());
  await page.screenshot({ path: 'build/screenshots/79-classify-hint.png' });
  await page.selectOption('#report-form select[name=area]', '110101001001001');
  await page.click('#report-form button[type=submit]');
  await page.waitForSelector('.done[data-case-id]');
  const id = await page.getAttribute('.done', 'data-case-id');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();

  const kase = (await srv.api('GET', '/api/v1/cases/' + id, { token: res })).json;
  assert.equal(kase.category, '0202');
  const disp = await openPage(browser, srv);
  await uiLogin(disp, 'dispatcher');
  const dtok = await srv.login('dispatcher');
  let sug;
  for (let i = 0; i < 50; i++) {
    sug = await srv.api('GET', `/api/v1/cases/${id}/suggestion`, { token: dtok });
    if (sug.status === 200 && sug.json.top1) break; // null until the ticker has looked
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(sug.status, 200, sug.text);
  await visit(disp, '/case/' + id, 'case');
  await disp.click('#suggestion summary');
  await disp.waitForSelector('#suggestion [data-agrees]');
  assert.equal(await disp.getAttribute('#suggestion [data-agrees]', 'data-agrees'), String(sug.json.agrees));
  assert.deepEqual(await disp.$$eval('#suggestion ol li', (ls) => ls.map((l) => l.dataset.category)), sug.json.top.map((x) => x.category || x.label));
  await shot(disp, '79-case-suggestion');
  assert.deepEqual(disp.errors, []);
  await disp.context().close();
});
