// 7k-brief.test.mjs -- statistics for leaders in the browser: the dashboard's
// 领导视图 shows the API's figures for the range in the address (cases in, 三率
// with 环比 and 同比); the daily brief prints on one A4 page holding its
// sections (pdftotext) and its workbook downloads; English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, filler } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, SHOTS, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  const res = await srv.login('resident1');
  for (const area of ['110101001001001', '110101001002001'])
    await srv.api('POST', '/api/v1/cases', { token: res, body: { title: '简报 ' + filler(), category: '0104', area } });
  await new Promise((r) => setTimeout(r, 1500)); // the daily counts follow within a tick
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

const day = (ms = Date.now()) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 10);
const pct = (x) => (x.den ? (Math.round((x.num / x.den) * 1000) / 10).toFixed(1) + '%' : '—');

test('the dashboard shows the figures of the range in the address, as the API counts them', async () => {
  const disp = await srv.login('dispatcher');
  const today = day();
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/dashboard', 'dashboard');
  await page.waitForSelector('#lead-body .tiles');
  await page.fill('#lead-from', today);
  await page.fill('#lead-to', today);
  await page.click('#lead-range button[type=submit]');
  await page.waitForFunction((d) => location.hash.includes('from=' + d) && location.hash.includes('to=' + d), today);
  await page.waitForSelector('#lead-body .tiles');
  const api = (await srv.api('GET', `/api/v1/stats/range?from=${today}&to=${today}`, { token: disp })).json;
  const v = (k) => page.textContent(`.lead-tile[data-lead=${k}] .tile-v`);
  assert.equal(await v('intake'), String(api.now.intake));
  assert.equal(await v('intake_rate'), pct(api.now.intake_rate));
  assert.equal(await v('ontime_close'), pct(api.now.ontime_close));
  assert.equal(await v('satisfaction'), pct(api.now.satisfaction));
  assert.match(await page.textContent('#lead-periods'), new RegExp(api.prev.from));
  assert.match(await page.textContent('.lead-tile[data-lead=intake]'), /环比/);
  await shot(page, '90-dashboard-leader');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('the daily brief: one A4 page with its sections; the workbook downloads; English', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/brief', 'brief');
  await page.waitForSelector('#sheet[data-kind=daily]');
  const file = join(SHOTS, '91-brief-daily.pdf');
  await page.pdf({ path: file, preferCSSPageSize: true, printBackground: true });
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  assert.match(info, /^Pages:\s+1$/m, 'one page');
  assert.match(info, /^Page size:.*\(A4\)/m);
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
  for (const want of ['东华门街道', '工作日报', '总体情况', '来件数', '受理率', '按期办结率', '满意率', '来件分类', '超期未办结', '预警'])
    assert.ok(text.includes(want), want + ' in:\n' + text);
  const href = await page.getAttribute('#brief-xlsx', 'href');
  const got = await page.evaluate(async (u) => { const r = await fetch(u); return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }, href);
  assert.equal(got[0], 200);
  assert.match(got[1], /spreadsheetml/);
  assert.ok(got[2] > 1000);
  // the weekly brief of a community, from the controls
  await page.selectOption('#brief-kind', 'weekly');
  await page.waitForSelector('#sheet[data-kind=weekly]');
  await page.selectOption('#brief-area', '110101001002');
  await page.waitForFunction(() => location.hash.includes('area=110101001002'));
  await page.waitForSelector('#sheet[data-kind=weekly]');
  assert.match(await page.textContent('#sheet-street'), /银闸社区/);
  await page.screenshot({ path: join(SHOTS, '92-brief-weekly.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();

  const en = await openPage(browser, srv, { lang: 'en' });
  await uiLogin(en, 'community1');
  await visit(en, '/brief', 'brief');
  await en.waitForSelector('#sheet');
  assert.match(await en.textContent('#page-title'), /Daily brief/);
  assert.match(await en.textContent('#sheet-street'), /多福巷社区/, 'a community\'s staff get their community');
  assert.deepEqual(en.errors, []);
  assert.deepEqual(await noI18nGaps(en), []);
  await en.context().close();
});
