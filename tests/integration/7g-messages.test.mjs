// 7g-messages.test.mjs -- the message centre in the browser: the header's
// 消息 count equals the API's, a new dispatch arrives live (count and list,
// no reload), one message marked read, a case's messages read by opening the
// case, all marked read; English complete at 375 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, filler } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

const badge = (page) => page.getAttribute('#msg-link', 'data-unread').then(Number);

test('messages: live count, list, mark one, open a case, mark all', async () => {
  const res = await srv.login('resident1');
  const disp = await srv.login('dispatcher');
  const dept = await srv.login('dept_chengguan');
  const apiCount = async () => (await srv.api('GET', '/api/v1/notifications/count', { token: dept })).json.unread;
  const report = async (title) => {
    const k = (await srv.api('POST', '/api/v1/cases', { token: res, body: { title: title + ' ' + filler(), category: '0104', area: '110101001001002' } })).json;
    const r = await srv.api('POST', `/api/v1/cases/${k.id}/register`, { token: disp });
    assert.equal(r.json.state, 'dispatched', r.text);
    return k;
  };
  // the demo's own dispatches are produced by the first ticks
  await new Promise((r) => setTimeout(r, 1500));

  const page = await openPage(browser, srv);
  await uiLogin(page, 'dept_chengguan');
  await page.waitForFunction(async () => document.querySelector('#msg-link')?.dataset.unread !== undefined);
  await page.waitForFunction((n) => document.querySelector('#msg-link').dataset.unread === String(n), await apiCount());
  const n0 = await badge(page);
  assert.equal(await page.isVisible('#msg-count'), n0 > 0);

  await visit(page, '/messages', 'messages');
  await page.waitForSelector('#msg-list');
  // a new dispatch arrives while the page is open: count and list, no reload
  const marker = await page.evaluate(() => { window.__noReload = 1; return 1; });
  const k1 = await report('广告乱贴');
  await page.waitForSelector(`#msg-list li[data-kind=dispatched] a[href="#/case/${k1.id}"]`, { timeout: 10000 });
  await page.waitForFunction((n) => Number(document.querySelector('#msg-link').dataset.unread) === n, n0 + 1);
  assert.equal(await page.evaluate(() => window.__noReload), marker, 'no reload');
  assert.equal(await page.textContent('#msg-tab-count'), String(n0 + 1));
  assert.equal(await apiCount(), n0 + 1);
  await shot(page, '80-messages');

  // mark one read: it leaves the unread tab, the count drops, the API agrees
  const li = page.locator(`#msg-list li[data-kind=dispatched]:has(a[href="#/case/${k1.id}"])`);
  const id = Number(await li.getAttribute('data-id'));
  await li.locator('button[data-mark-read]').click();
  await page.waitForSelector(`#msg-list li[data-id="${id}"]`, { state: 'detached' });
  await page.waitForFunction((n) => Number(document.querySelector('#msg-link').dataset.unread) === n, n0);
  const all = (await srv.api('GET', '/api/v1/notifications?limit=200', { token: dept })).json.notifications;
  assert.equal(all.find((x) => x.id === id).read, true);

  // opening a case reads its messages
  const k2 = await report('路边垃圾');
  await page.waitForFunction((n) => Number(document.querySelector('#msg-link').dataset.unread) === n, n0 + 1, { timeout: 10000 });
  await page.click(`#msg-list a[href="#/case/${k2.id}"]`);
  await page.waitForSelector('.page[data-page=case]');
  await page.waitForFunction((n) => Number(document.querySelector('#msg-link').dataset.unread) === n, n0);
  assert.equal(await apiCount(), n0);

  // mark all read
  await report('井盖丢失');
  await page.waitForFunction((n) => Number(document.querySelector('#msg-link').dataset.unread) === n, n0 + 1, { timeout: 10000 });
  await visit(page, '/messages', 'messages');
  await page.waitForSelector('#msg-list li');
  await page.click('#msg-all-read');
  await page.waitForFunction(() => document.querySelector('#msg-link').dataset.unread === '0');
  await page.waitForSelector('#msg-status:not(:empty)');
  assert.equal(await apiCount(), 0);
  assert.equal(await page.isVisible('#msg-count'), false);
  await visit(page, '/messages?tab=all', 'messages');
  await page.waitForSelector('#msg-list li[data-read=true]');
  assert.equal(await page.$$eval('#msg-list li[data-read=false]', (l) => l.length), 0);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('messages: a resident hears that her report is closed; English at 375 px', async () => {
  const res = await srv.login('resident2');
  const disp = await srv.login('dispatcher');
  const dept = await srv.login('dept_chengguan');
  const w = await srv.login('worker2');
  const k = (await srv.api('POST', '/api/v1/cases', { token: res, body: { title: '楼道堆物 ' + filler(), category: '0104', area: '110101001002001' } })).json;
  for (const [tok, a, body] of [[disp, 'register'], [dept, 'accept'], [dept, 'feedback', { note: '已清理' }], [w, 'verify'], [disp, 'close']]) {
    const r = await srv.api('POST', `/api/v1/cases/${k.id}/${a}`, { token: tok, body: body || {} });
    assert.equal(r.status, 200, a + ' ' + r.text);
  }
  const page = await openPage(browser, srv, { viewport: { width: 375, height: 740 }, lang: 'en' });
  await uiLogin(page, 'resident2');
  await page.waitForFunction(() => Number(document.querySelector('#msg-link')?.dataset.unread) >= 1, null, { timeout: 10000 });
  await visit(page, '/messages', 'messages');
  await page.waitForSelector(`#msg-list li[data-kind=closed] a[href="#/case/${k.id}"]`);
  const text = await page.textContent('#msg-list');
  assert.match(text, /Closed/);
  assert.match(text, /please rate/);
  assert.match(await page.textContent('#msg-link'), /Messages/);
  assert.ok(!/[\u4e00-\u9fff]/.test(await page.textContent('.page[data-page=messages] h1')), 'the heading is English');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(overflow, false, 'no horizontal scrolling at 375 px');
  await shot(page, '81-messages-en-375');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});
