// 71-dashboard.test.mjs -- the community cloud dashboard in a real browser:
// every number on it (tiles from GET /api/v1/stats, ECharts bar and line
// charts, the per-community table with the base numbers of
// GET /api/v1/base/summary, the map's grid colouring and pins) equals what the
// API answers, and the stats equal the case list's counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

const STATES = ['reported', 'registered', 'dispatched', 'accepted', 'handling', 'feedback', 'verified',
  'closed', 'rated', 'returned', 'suspended', 'deferred', 'voided', 'merged'];
let srv, browser, tok;

before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  // The demo street plus its fictional base data (people, households, ...).
  const dir = mkdtempSync(join(tmpdir(), 'jiceng-dash-'));
  const db = join(dir, 'test.db');
  for (const args of [['init', db], ['demo', '--db', db], ['base', 'seed', '--db', db, '--seed', '7']]) {
    const r = jiceng(args);
    assert.equal(r.status, 0, r.stderr);
  }
  srv = await startServer({ db, dir });
  srv.tmp = dir;
  browser = await launch();
  tok = await srv.login('dispatcher');
  // More cases in several communities and states, so the charts have shape.
  const res = await srv.login('resident2');
  const specs = [
    ['0104', '110101001002001', 116.4035, 39.907], ['0301', '110101001002003', 116.4035, 39.911],
    ['0202', '110101001005002', 116.4125, 39.907], ['0501', '110101001009001', 116.4035, 39.915],
    ['0104', '110101001001003', 116.3975, 39.911], ['0601', '110101001015004', 116.4065, 39.927],
  ];
  for (const [category, area, lon, lat] of specs) {
    const r = await srv.api('POST', '/api/v1/cases', { token: res, body: { title: '测试 ' + category, category, area, lon, lat } });
    assert.equal(r.status, 201, r.text);
  }
  const list = (await srv.api('GET', '/api/v1/cases?state=reported', { token: tok })).json.cases;
  await srv.api('POST', `/api/v1/cases/${list[0].id}/register`, { token: tok });
  await srv.api('POST', `/api/v1/cases/${list[1].id}/void`, { token: tok, body: { reason: '重复' } });
});
after(async () => { await browser?.close(); await srv?.stop(); if (srv?.tmp) (await import('node:fs')).rmSync(srv.tmp, { recursive: true, force: true }); });

async function count(query) {
  const r = await srv.api('GET', '/api/v1/cases?limit=500&' + query, { token: tok });
  assert.equal(r.status, 200);
  assert.ok(!r.json.next_before, 'fits one page');
  return r.json.cases;
}

async function checkDashboard(page, areaQuery) {
  const q = areaQuery ? `area=${areaQuery}&` : '';
  const byState = {};
  for (const s of STATES) byState[s] = (await count(q + 'state=' + s)).length;
  const all = await count(q.replace(/&$/, ''));
  const open = await count(q + 'state=open');
  assert.equal(all.length, Object.values(byState).reduce((a, b) => a + b, 0));

  await page.waitForSelector('#chart-state[data-chart] canvas');
  await page.waitForSelector('#chart-daily[data-chart]');
  const series = JSON.parse(await page.getAttribute('#chart-state', 'data-series'));
  assert.deepEqual(series, byState, 'state chart data = API counts');
  const chart = JSON.parse(await page.getAttribute('#chart-state', 'data-chart'));
  assert.deepEqual(Object.values(chart), STATES.map((s) => byState[s]), 'numbers held by the ECharts bar chart');
  // Categories
  const cats = {};
  for (const c of all) cats[c.category] = (cats[c.category] || 0) + 1;
  for (const [code, n] of Object.entries(cats)) assert.equal((await count(q + 'category=' + code)).length, n);
  assert.deepEqual(JSON.parse(await page.getAttribute('#chart-category', 'data-series')), cats, 'category chart = API');
  assert.deepEqual(Object.values(JSON.parse(await page.getAttribute('#chart-category', 'data-chart'))).reduce((a, b) => a + b, 0), all.length);
  // The server's statistics equal the listings.
  const st = (await srv.api('GET', '/api/v1/stats?days=14' + (areaQuery ? '&area=' + areaQuery : ''), { token: tok })).json;
  assert.equal(st.totals.total, all.length);
  assert.equal(st.totals.open, open.length);
  assert.deepEqual(st.by_state, byState);
  // Line chart: new cases per day sum to the cases created in the last 14 days (all of them here).
  const daily = JSON.parse(await page.getAttribute('#chart-daily', 'data-chart'));
  assert.equal(Object.values(daily).reduce((a, b) => a + b, 0), all.length);
  assert.deepEqual(Object.values(daily), st.per_day.map((d) => d.created));
  // Tiles and the table
  const tile = async (k) => Number(await page.textContent(`.tile[data-stat=${k}] .tile-v`));
  assert.equal(await tile('total'), all.length);
  assert.equal(await tile('open'), open.length);
  assert.equal(await tile('closed'), byState.closed + byState.rated);
  for (const k of ['overdue', 'escalated', 'ownerless', 'warnings_open', 'alarms_active']) assert.equal(await tile(k), st.totals[k], 'tile ' + k);
  const overdue = await count(q + 'state=open&overdue=1');
  assert.equal(await tile('overdue'), overdue.length);
  const foot = await page.$$eval('#dash-table tfoot td', (tds) => tds.map((td) => Number(td.textContent)));
  assert.deepEqual(foot.slice(0, 3), [all.length, open.length, overdue.length]);
  for (const row of await page.$$eval('#dash-table tbody tr', (trs) => trs.map((tr) => [tr.dataset.area, Number(tr.querySelector('td').textContent)]))) {
    assert.equal(row[1], (await count('area=' + row[0])).length, 'community row ' + row[0]);
  }
  // Base numbers (tiles and the table's base columns) equal GET /api/v1/base/summary.
  const base = (await srv.api('GET', '/api/v1/base/summary' + (areaQuery ? '?area=' + areaQuery : ''), { token: tok })).json;
  const want = areaQuery ? base.communities.find((c) => c.area === areaQuery) : base.total;
  assert.ok(want.people > 100, JSON.stringify(want));
  for (const k of ['people', 'households', 'elders_living_alone', 'houses', 'organisations'])
    assert.equal(Number((await page.textContent(`#base-tiles [data-base=${k}] .tile-v`)).replace(/,/g, '')), want[k], 'base ' + k);
  const rows = await page.$$eval('#dash-table tbody tr', (trs) => trs.map((tr) => [tr.dataset.area, [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))]));
  for (const [area, tds] of rows) {
    const b = base.communities.find((c) => c.area === area);
    assert.deepEqual(tds.slice(3), [b.people, b.households, b.elders_living_alone, b.houses, b.organisations], 'base row ' + area);
  }
  assert.deepEqual(foot.slice(3), [want.people, want.households, want.elders_living_alone, want.houses, want.organisations], 'base sums');
  // Map: grid colouring by open load and one pin per open case with a location.
  await page.waitForSelector('#dash-map path[data-open]');
  const loads = await page.$$eval('#dash-map path[data-open]', (ps) => ps.reduce((a, p) => a + Number(p.dataset.open), 0));
  assert.equal(loads, open.length);
  assert.equal(await page.$$eval('#dash-map .case-pin', (ps) => ps.length), open.filter((c) => c.lat != null).length);
  return { total: all.length, open: open.length };
}

test('dashboard numbers equal the API, street and community scope', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/dashboard', 'dashboard');
  const street = await checkDashboard(page, '');
  assert.ok(street.total >= 12 && street.open >= 8, JSON.stringify(street));
  await shot(page, '12-dispatcher-dashboard');
  // Narrow to one community with the scope selector.
  await page.selectOption('#dash-scope', '110101001002');
  await page.waitForFunction(() => location.hash.includes('area=110101001002'));
  await page.waitForSelector('.page[data-page=dashboard] #chart-state[data-chart]');
  const com = await checkDashboard(page, '110101001002');
  assert.ok(com.total >= 2 && com.total < street.total, JSON.stringify(com));
  await shot(page, '13-dashboard-community');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('community staff see their community only; English dashboard', async () => {
  const page = await openPage(browser, srv, { lang: 'en' });
  await uiLogin(page, 'community1');
  await visit(page, '/dashboard', 'dashboard');
  await page.waitForSelector('#chart-state[data-chart] canvas');
  assert.equal(await page.textContent('h1'), 'Community cloud');
  const ctok = await srv.login('community1');
  const mine = (await srv.api('GET', '/api/v1/cases?limit=500', { token: ctok })).json.cases;
  assert.ok(mine.every((c) => c.area.startsWith('110101001001')));
  assert.equal(Number(await page.textContent('.tile[data-stat=total] .tile-v')), mine.length);
  await shot(page, '14-community-dashboard-en');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});
