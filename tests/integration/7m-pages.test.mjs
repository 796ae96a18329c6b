// 7m-pages.test.mjs -- long lists a page at a time: a resident's 我的诉求 and
// a department's inbox tab show 50 cases, then 再显示 for the next ones, and
// together they are every case (the 156-row resident list and
// 129-row done tab on one 7,800 px page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, filler } from './lib.mjs';
import { launch, openPage, uiLogin, visit, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  const res = await srv.login('resident2');
  const disp = await srv.login('dispatcher');
  for (let i = 0; i < 6; i++)
    await Promise.all(Array.from({ length: 10 }, async (_, j) => {
      const k = (await srv.api('POST', '/api/v1/cases', { token: res, body: { title: `分页 ${i}-${j} ${filler()}`, category: '0104', area: '110101001002001' } })).json;
      await srv.api('POST', `/api/v1/cases/${k.id}/register`, { token: disp });
    }));
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

async function pages(page) {
  await page.waitForSelector('table.cases tbody tr');
  assert.equal(await page.$$eval('table.cases tbody tr', (t) => t.length), 50, 'the first 50');
  assert.match(await page.textContent('.paged-more'), /再显示 \d+ 件/);
  while (await page.$('.paged-more')) await page.click('.paged-more');
  return page.$$eval('table.cases tbody tr', (t) => t.map((r) => Number(r.dataset.id)));
}

test('a resident\'s reports and a department\'s tab, 50 at a time', async () => {
  const res = await openPage(browser, srv);
  await uiLogin(res, 'resident2');
  await visit(res, '/mine', 'mine');
  const mine = await pages(res);
  const api = (await srv.api('GET', '/api/v1/cases?limit=500', { token: await srv.login('resident2') })).json.cases.map((c) => c.id);
  assert.deepEqual([...mine].sort(), [...api].sort());
  assert.equal(new Set(mine).size, mine.length);
  assert.deepEqual(await noI18nGaps(res), []);
  await res.context().close();

  const dept = await openPage(browser, srv);
  await uiLogin(dept, 'dept_chengguan');
  await visit(dept, '/inbox?tab=new', 'inbox');
  const inbox = await pages(dept);
  assert.ok(inbox.length >= 60);
  assert.equal(Number(await dept.textContent('a[data-tab=new] .count')), inbox.length, 'the tab counts them all');
  assert.deepEqual(dept.errors, []);
  await dept.context().close();
});
