// 7l-search.test.mjs -- find and sort in the queue (the UI over GET
// /api/v1/cases?q=...): a keyword search and a case-number search list what
// the API lists; filters by rating, dates and group; the filter is in the
// address (a link shares it); the 上报时间 heading turns the order; "load
// more" follows the cursor without repeating a case; 导出 Excel exports what
// the filter lists (GET /api/v1/cases/export.xlsx).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, filler } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser, T = {}, boiler = [];
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  for (const n of ['dispatcher', 'resident1', 'dept_chengguan']) T[n] = await srv.login(n);
  const mk = (title, area) => srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title, body: filler(), category: '0104', area } }).then((r) => r.json);
  for (let i = 0; i < 3; i++) boiler.push(await mk('锅炉房漏水 ' + i, '110101001001001'));
  // enough other cases for a second page
  for (let i = 0; i < 6; i++) await Promise.all(Array.from({ length: 10 }, (_, j) => mk('批量 ' + i + '-' + j + ' ' + filler(), '110101001002001')));
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

const ids = (page) => page.$$eval('table.cases tbody tr', (t) => t.map((r) => Number(r.dataset.id)));
const api = async (q) => (await srv.api('GET', '/api/v1/cases?limit=500&' + q, { token: T.dispatcher })).json.cases.map((c) => c.id);

test('search, filters in the address, order and pages', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/queue?state=', 'queue');
  await page.fill('#queue-q', '锅炉房');
  await page.press('#queue-q', 'Enter');
  await page.waitForFunction(() => location.hash.includes('q=%E9%94%85') || decodeURIComponent(location.hash).includes('q=锅炉房'));
  await page.waitForSelector('#queue-status:not(:empty)');
  assert.deepEqual((await ids(page)).sort(), boiler.map((b) => b.id).sort());
  assert.deepEqual((await ids(page)).sort(), (await api('q=' + encodeURIComponent('锅炉房'))).sort());
  // 导出 Excel: the workbook holds the cases of the filter, and only those
  const href = await page.getAttribute('#queue-xlsx', 'href');
  assert.match(decodeURIComponent(href), /^\/api\/v1\/cases\/export\.xlsx\?.*q=锅炉房/);
  const got = await page.evaluate(async (u) => { const r = await fetch(u); return [r.status, r.headers.get('content-type'), [...new Uint8Array(await r.arrayBuffer())]]; }, href);
  assert.equal(got[0], 200);
  assert.match(got[1], /spreadsheetml/);
  const dir = mkdtempSync(join(tmpdir(), 'jiceng-7l-'));
  writeFileSync(join(dir, 'q.xlsx'), Buffer.from(got[2]));
  const sheet = execFileSync('unzip', ['-p', join(dir, 'q.xlsx'), 'xl/worksheets/sheet1.xml'], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual((sheet.match(/JC\d{8}-\d+/g) || []).sort(), boiler.map((b) => b.no).sort(), 'the export is the filtered list');
  // a link with the filter opens the same list
  const url = page.url();
  const p2 = await openPage(browser, srv);
  await uiLogin(p2, 'dispatcher');
  await p2.goto(url);
  await p2.waitForSelector('table.cases tbody tr');
  assert.deepEqual((await ids(p2)).sort(), boiler.map((b) => b.id).sort());
  assert.equal(await p2.inputValue('#queue-q'), '锅炉房');
  await p2.context().close();
  // a case number
  await visit(page, '/queue?state=&q=' + boiler[1].no, 'queue');
  await page.waitForSelector('table.cases tbody tr');
  assert.deepEqual(await ids(page), [boiler[1].id]);
  // a rating, dates
  const k = boiler[0];
  for (const [a, tok, body] of [['register', T.dispatcher], ['accept', T.dept_chengguan], ['feedback', T.dept_chengguan, { note: '已修' }], ['verify', T.dispatcher], ['close', T.dispatcher], ['rate', T.resident1, { rating: 'unsatisfied' }]]) {
    const r = await srv.api('POST', `/api/v1/cases/${k.id}/${a}`, { token: tok, body: body || {} });
    assert.ok(r.status < 300, a + ' ' + r.text);
  }
  await visit(page, '/queue?state=', 'queue');
  await page.selectOption('select[name=rating]', 'unsatisfied');
  await page.waitForFunction(() => location.hash.includes('rating=unsatisfied'));
  await page.waitForSelector('#queue-status:not(:empty)');
  assert.deepEqual((await ids(page)).sort(), (await api('rating=unsatisfied')).sort());
  assert.ok((await ids(page)).includes(k.id));
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  await visit(page, `/queue?state=&from=${today}&to=${today}&group=01`, 'queue');
  await page.waitForSelector('#queue-status:not(:empty)');
  assert.equal(await page.inputValue('input[name=from]'), today);
  const first = await ids(page);
  assert.deepEqual(first, (await api(`from=${today}&to=${today}&group=01`)).slice(0, first.length), 'newest first, as the API');
  // the order: the 上报时间 heading turns it
  await page.click('th a[data-sort=created]');
  await page.waitForFunction(() => location.hash.includes('sort=oldest'));
  await page.waitForSelector('#queue-status:not(:empty)');
  const oldest = await ids(page);
  for (let i = 1; i < oldest.length; i++) assert.ok(oldest[i] > oldest[i - 1], 'oldest first');
  // the next page: no case twice, the pages together are the API's list
  await visit(page, '/queue?state=open', 'queue');
  await page.waitForSelector('table.cases tbody tr');
  assert.equal((await ids(page)).length, 50);
  await page.click('.btn-row.center button');
  await page.waitForFunction(() => document.querySelectorAll('table.cases tbody tr').length > 50);
  const two = await ids(page);
  assert.equal(new Set(two).size, two.length, 'no case twice');
  assert.deepEqual(two, (await api('state=open')).slice(0, two.length));
  await shot(page, '94-queue-search');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});
