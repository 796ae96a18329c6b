// 76-queue.test.mjs -- the dispatcher queue's flag chips (超期/无主/督办/吹哨)
// and bulk actions: select several reported cases -> register them, then
// escalate them with a note; the 督办 chip then lists exactly them.
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

test('queue: flag chips filter like the API, bulk register and escalate', async () => {
  const res = await srv.login('resident1');
  const disp = await srv.login('dispatcher');
  const ids = [];
  for (let i = 0; i < 3; i++) {
    // Different categories and grids, no point: the duplicate merger leaves them apart.
    const r = await srv.api('POST', '/api/v1/cases', { token: res, body: { title: '批量测试 ' + i, category: ['0104', '0203', '1201'][i], area: ['110101001001002', '110101001001003', '110101001002002'][i] } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    ids.push(r.json.id);
  }
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/queue?state=reported', 'queue');
  await page.waitForSelector('table.cases');
  for (const id of ids.slice(0, 2)) await page.check(`tr[data-id="${id}"] input.row-sel`);
  assert.match(await page.textContent('#sel-count'), /2/);
  await shot(page, '40-queue-bulk');
  await page.click('button[data-bulk=register]');
  await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`) && document.querySelector('table.cases, .empty'), ids[0]);
  for (const id of ids.slice(0, 2)) {
    const c = (await srv.api('GET', '/api/v1/cases/' + id, { token: disp })).json;
    assert.notEqual(c.state, 'reported', 'registered (and maybe dispatched automatically)');
  }
  assert.equal((await srv.api('GET', '/api/v1/cases/' + ids[2], { token: disp })).json.state, 'reported', 'the unselected one is untouched');

  // Escalate the two from the open list, then the 督办 chip shows them.
  await visit(page, '/queue', 'queue');
  await page.waitForSelector(`tr[data-id="${ids[0]}"]`);
  for (const id of ids.slice(0, 2)) await page.check(`tr[data-id="${id}"] input.row-sel`);
  await page.click('button[data-bulk=escalate]');
  await page.waitForSelector('[role=alert]');
  await page.fill('input[name=bulk_note]', '请加快办理');
  await page.click('button[data-bulk=escalate]');
  await page.waitForSelector(`tr[data-id="${ids[0]}"] .badge.esc`);
  await page.click('a[data-chip=escalated]');
  await page.waitForSelector('a[data-chip=escalated][aria-pressed=true]');
  await page.waitForSelector('table.cases');
  const shown = (await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.id)))).sort();
  const api = (await srv.api('GET', '/api/v1/cases?state=open&escalated=1&limit=500', { token: disp })).json.cases.map((c) => c.id).sort();
  assert.deepEqual(shown, api);
  assert.ok(ids.slice(0, 2).every((id) => shown.includes(id)));
  assert.match(page.url(), /escalated=1/);
  // Every chip lists what the API lists.
  for (const k of ['overdue', 'ownerless', 'whistle']) {
    await visit(page, `/queue?state=open&${k}=1`, 'queue');
    await page.waitForSelector('#queue-status:not(:empty)');
    const n = (await srv.api('GET', `/api/v1/cases?state=open&${k}=1&limit=500`, { token: disp })).json.cases.length;
    assert.equal(await page.$$eval('table.cases tbody tr', (t) => t.length), n, k);
  }
  await shot(page, '41-queue-chips');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});
