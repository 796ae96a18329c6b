// 71-dashboard.test.mjs -- the community cloud dashboard in a real browser:
// every number on it (tiles, ECharts bar and line charts, the per-community
// table, the map's grid colouring and pins) equals what the API answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

const STATES = ['reported', 'registered', 'dispatched', 'accepted', 'handling', 'feedback', 'verified',
  'closed', 'rated', 'returned', 'suspended', 'deferred', 'voided', 'merged'];
let srv, browser, tok;

before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
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
after(async () => { await browser?.close(); await srv?.cleanup(); });

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
  // Line chart: new cases per day sum to the cases created in the last 14 days (all of them here).
  const daily = JSON.parse(await page.getAttribute('#chart-daily', 'data-chart'));
  assert.equal(Object.values(daily).reduce((a, b) => a + b, 0), all.length);
  // Tiles and the table
  const tile = async (k) => Number(await page.textContent(`.tile[data-stat=${k}] .tile-v`));
  assert.equal(await tile('total'), all.length);
  assert.equal(await tile('open'), open.length);
  assert.equal(await tile('closed'), byState.closed + byState.rated);
  const foot = await page.$$eval('#dash-table tfoot td', (tds) => tds.map((td) => Number(td.textContent)));
  assert.deepEqual([foot[0], foot[1], foot[3]], [all.length, open.length, byState.closed + byState.rated]);
  for (const row of await page.$$eval('#dash-table tbody tr', (trs) => trs.map((tr) => [tr.dataset.area, Number(tr.querySelector('td').textContent)]))) {
    assert.equal(row[1], (await count('area=' + row[0])).length, 'community row ' + row[0]);
  }
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
