// 77-warnings.test.mjs -- early warnings (预警研判) in the browser: a quiet
// backdated baseline plus a planted spike raise warnings (community and street
// series); the page's numbers equal the API's; the dispatcher acknowledges
// one and opens a case from another through the UI; hotspots are listed and
// highlighted on the map as the API ranks them; the settings tab of the
// designer saves and shows the server's validation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

const DAY = 86400e3, TZ = 8 * 3600e3;
const C3 = '110101001005', GRID3 = '110101001005001', CAT = '0103';
const BASE = [1, 2, 1, 0, 1, 2, 1, 1, 0, 1, 2, 1];
const SPIKE = 12;
const today0 = Math.floor((Date.now() + TZ) / DAY) * DAY - TZ;
let dir, srv, browser, disp;

before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  dir = mkdtempSync(join(tmpdir(), 'jiceng-warn-ui-'));
  const db = join(dir, 'test.db');
  assert.equal(jiceng(['init', db]).status, 0);
  assert.equal(jiceng(['demo', '--db', db]).status, 0);
  const rows = [];
  BASE.forEach((n, i) => {
    const at = today0 - (BASE.length - i) * DAY + 10 * 3600e3;
    for (let k = 0; k < n; k++) rows.push(`('旧违建${i}-${k}','楼顶旧搭建','${CAT}','web','closed','${GRID3}',${at},${at},1)`);
  });
  execFileSync('sqlite3', [db, 'INSERT INTO cases(title, body, category, source, state, area, created_at, updated_at, version) VALUES ' + rows.join(',') + ';']);
  srv = await startServer({ db, dir });
  browser = await launch();
  disp = await srv.login('dispatcher');
  const c3 = await srv.login('community3');
  for (let i = 0; i < SPIKE; i++) {
    const r = await srv.api('POST', '/api/v1/cases', { token: c3, body: { title: `${i + 1}号楼顶违章加盖`, body: `第${i + 1}栋楼顶新搭了彩钢房`, category: CAT, area: GRID3, lon: 116.4125, lat: 39.907 } });
    assert.equal(r.status, 201, r.text);
  }
  assert.equal((await srv.api('POST', '/api/v1/warnings/run', { token: disp })).status, 200);
});
after(async () => { await browser?.close(); await srv?.stop(); if (dir) rmSync(dir, { recursive: true, force: true }); });

const fix = (v) => Number(v).toFixed(2).replace(/\.?0+$/, '');

test('warnings: numbers equal the API; acknowledge one, open a case from another; hotspots on the map', async () => {
  const open = (await srv.api('GET', '/api/v1/warnings?state=open', { token: disp })).json.warnings;
  const comm = open.find((w) => w.series.category === CAT && w.series.area === C3);
  const street = open.find((w) => w.series.category === CAT && w.series.area === '110101001');
  assert.ok(comm && street, JSON.stringify(open));

  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await page.click('#nav2 a[data-nav2=warnings]');
  await page.waitForSelector(`.warning[data-warning="${comm.id}"]`);
  await page.waitForSelector('#hotspot-table');
  // every open warning is shown with the API's numbers
  assert.equal(Number(await page.getAttribute('#warning-count', 'data-n')), open.length);
  for (const w of open) {
    const nums = await page.$$eval(`.warning[data-warning="${w.id}"] [data-num] dd`, (dds) => dds.map((d) => d.textContent));
    assert.deepEqual(nums, [String(w.observed), fix(w.expected), fix(w.threshold)], 'warning ' + w.id);
    assert.match(await page.textContent(`.warning[data-warning="${w.id}"] .explain-text`), /判定方法：C2 滞后基线检测/);
  }
  assert.match(await page.textContent(`.warning[data-warning="${comm.id}"] h2`), /东厂社区违章搭建 \d+ 件，往常约/);
  assert.doesNotMatch(await page.textContent('#warning-list'), /[A-Za-z]{4,}/, 'plain Chinese, no statistics jargon in Latin letters');
  assert.equal(await page.$$eval(`.warning[data-warning="${comm.id}"] .spark-bar`, (b) => b.length), comm.params.series.length);
  // hotspots: table rows and map highlight equal the API
  const hs = (await srv.api('GET', '/api/v1/hotspots?days=7&level=community', { token: disp })).json.areas;
  const hot = hs.filter((a) => a.hotspot).map((a) => a.area).sort();
  assert.ok(hot.includes(C3), JSON.stringify(hs.slice(0, 3)));
  assert.deepEqual((await page.$$eval('#hotspot-table tr[data-hot="1"]', (r) => r.map((x) => x.dataset.area))).sort(), hot);
  for (const a of hs.filter((x) => x.observed > 0))
    assert.equal(await page.textContent(`#hotspot-table tr[data-area="${a.area}"] td[data-k=observed]`), String(a.observed));
  await page.waitForSelector('#hot-map path[data-hot]');
  const hotGrids = await page.$$eval('#hot-map path[data-hot="1"]', (ps) => [...new Set(ps.map((p) => p.dataset.area.slice(0, 12)))].sort());
  assert.deepEqual(hotGrids, hot);
  await shot(page, '77-warnings-open');

  // acknowledge the street warning
  await page.click(`.warning[data-warning="${street.id}"] button[data-warn-action=ack]`);
  await page.waitForSelector(`.warning[data-warning="${street.id}"]`, { state: 'detached' });
  assert.equal((await srv.api('GET', '/api/v1/warnings/' + street.id, { token: disp })).json.state, 'acknowledged');
  // dismiss needs a reason (checked in the page, nothing sent)
  await page.click(`.warning[data-warning="${comm.id}"] button[data-warn-action=dismiss]`);
  await page.waitForSelector(`.warning[data-warning="${comm.id}"] .alert.error`);
  // open a case from the community warning
  await page.fill(`.warning[data-warning="${comm.id}"] input[name=reason]`, '集中整治楼顶违建');
  await page.click(`.warning[data-warning="${comm.id}"] button[data-warn-action=case]`);
  await page.waitForSelector(`.warning[data-warning="${comm.id}"]`, { state: 'detached' });
  const after = (await srv.api('GET', '/api/v1/warnings/' + comm.id, { token: disp })).json;
  assert.equal(after.state, 'escalated');
  assert.ok(after.case_id > 0);
  const kase = (await srv.api('GET', '/api/v1/cases/' + after.case_id, { token: disp })).json;
  assert.equal(kase.source, 'warning');
  assert.equal(kase.category, CAT);

  // the decided ones under their tabs, with the case link
  await page.click('.tabs a[data-tab=escalated]');
  await page.waitForSelector(`.warning[data-warning="${comm.id}"][data-state=escalated] a[data-warn-case="${after.case_id}"]`);
  await page.click('.tabs a[data-tab=acknowledged]');
  await page.waitForSelector(`.warning[data-warning="${street.id}"][data-state=acknowledged] button[data-warn-action=case]`);
  await shot(page, '77-warnings-acknowledged');
  // the dashboard's warning tile equals the API's open count
  await visit(page, '/dashboard', 'dashboard');
  await page.waitForSelector('.tile[data-stat=warnings_open]');
  const st = (await srv.api('GET', '/api/v1/stats', { token: disp })).json;
  assert.equal(Number(await page.textContent('.tile[data-stat=warnings_open] .tile-v')), st.totals.warnings_open);
  assert.equal(st.totals.warnings_open, open.length - 2);
  // the decisions in the audit log, worded from their codes (they were English text)
  const adm = await srv.login('admin');
  const entry = async (action) => (await srv.api('GET', '/api/v1/audit?action=' + action, { token: adm })).json.entries[0];
  const word = (e) => page.evaluate(async (x) => (await import('/js/reasons.js')).reasonText(x, { composed: true }), e);
  assert.match(await word(await entry('warning_case')), new RegExp(`东厂社区.*违章搭建：\\d{4}-\\d{2}-\\d{2} 实际 \\d+ 件，转为案件 ${kase.no}（集中整治楼顶违建）$`));
  assert.match(await word(await entry('warning_ack')), /违章搭建：\d{4}-\d{2}-\d{2} 实际 \d+ 件$/);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('warning settings in the designer; a 375 px phone; community staff without settings', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/designer?tab=warnings', 'designer');
  await page.waitForSelector('#warn-config');
  await page.selectOption('#warn-config select[name=method]', 'ears-c3');
  await page.fill('#warn-config input[name=min_count]', '4');
  await page.$eval('#warn-config', (f) => { f.dataset.old = '1'; });
  await page.click('#warn-config button[type=submit]');
  // saved: the page re-renders the form from the server's settings
  await page.waitForSelector('#warn-config:not([data-old])');
  assert.equal(await page.inputValue('#warn-config select[name=method]'), 'ears-c3');
  const cfg = (await srv.api('GET', '/api/v1/warnings/config', { token: disp })).json;
  assert.equal(cfg.method, 'ears-c3');
  assert.equal(cfg.min_count, 4);
  await page.fill('#warn-config input[name=baseline]', '40');
  await page.$eval('#warn-config', (f) => { f.noValidate = true; });
  await page.click('#warn-config button[type=submit]');
  await page.waitForSelector('#warn-config .alert.error');
  assert.match(await page.textContent('#warn-config .alert.error'), /基线天数.*3 至 28/);
  assert.equal((await srv.api('GET', '/api/v1/warnings/config', { token: disp })).json.baseline, 7);
  await shot(page, '77-warning-settings');
  page.errors = page.errors.filter((e) => !/status of 400/.test(e));
  assert.deepEqual(page.errors, []);
  await page.context().close();

  const phone = await openPage(browser, srv, { viewport: { width: 375, height: 800 } });
  await uiLogin(phone, 'community3');
  await visit(phone, '/warnings?state=all', 'warnings');
  await phone.waitForSelector('.warning');
  const over = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 1, 'no horizontal scroll at 375 px: ' + over);
  const mine = (await srv.api('GET', '/api/v1/warnings', { token: await srv.login('community3') })).json.warnings;
  assert.equal(await phone.$$eval('.warning', (w) => w.length), mine.length);
  assert.ok(mine.every((w) => w.series.area === C3));
  await shot(phone, '77-warnings-phone');
  assert.equal(await phone.$('#nav2 a[data-nav2=designer]'), null);
  await phone.go('/designer?tab=warnings');
  await phone.waitForSelector('[data-forbidden]');
  assert.deepEqual(phone.errors, []);
  await phone.context().close();
});
