// 7n-search-bounded.test.mjs -- a search of two terms that are each common
// but rarely meet costs a bounded page (src/caselist_sqlite.c merges the
// terms' lists itself and counts every id stepped towards the page's 10,000):
// on a store of 40,000 cases written by bench-fill, where 厂社 and 多福 (two
// community names) are each in thousands of cases and together only in the
// oldest case, the first page holds none of them while `next` is not null;
// following `next` reaches the old case, and the cases found page by page
// are those a scan of every case finds, in both orders.  The queue page says
// that older cases are not searched yet and its 继续查找更早的案件 button
// follows the cursor to the case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, dbQuery } from './lib.mjs';
import { launch, openPage, uiLogin, visit, haveChromium } from './ui-lib.mjs';

const Q = '厂社 多福';
let dir, db, srv, browser, token, old;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  dir = mkdtempSync(join(tmpdir(), 'jiceng-7n-'));
  db = join(dir, 's.db');
  assert.equal(jiceng(['init', db]).status, 0);
  assert.equal(jiceng(['demo', '--db', db]).status, 0);
  // the old case, made through the API before the store is filled
  srv = await startServer({ db, dir });
  const res = await srv.api('POST', '/api/v1/cases', { token: await srv.login('resident1'),
    body: { title: '建材厂社区多福巷路口井盖缺失', body: '请尽快处理，夜里很危险。', category: '0104', area: '110101001001001' } });
  assert.equal(res.status, 201, res.text);
  old = res.json.id;
  await srv.stop();
  const f = jiceng(['bench-fill', '--db', db, '--cases', '40000']);
  assert.equal(f.status, 0, f.stderr + f.stdout);
  srv = await startServer({ db, dir });
  token = await srv.login('dispatcher');
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.stop(); rmSync(dir, { recursive: true, force: true }); });

// every case whose texts hold both words (SQLite reads them all)
const scan = (asc) => dbQuery(db, "SELECT id FROM cases WHERE (title || ' ' || body || ' ' || coalesce(address, '')) LIKE '%厂社%'" +
  ` AND (title || ' ' || body || ' ' || coalesce(address, '')) LIKE '%多福%' ORDER BY id ${asc ? 'ASC' : 'DESC'}`).split('\n').filter(Boolean).map(Number);

test('two common terms that rarely meet: bounded pages, and every page followed finds what a scan finds', async () => {
  const common = (w) => Number(dbQuery(db, `SELECT count(*) FROM cases WHERE title || ' ' || body || ' ' || coalesce(address, '') LIKE '%${w}%'`));
  assert.ok(common('厂社') > 5000 && common('多福') > 3000, 'both terms are common');
  for (const asc of [false, true]) {
    const want = scan(asc);
    assert.ok(want.includes(old));
    const got = [];
    let cursor = null, pages = 0, emptyWithNext = 0;
    do {
      const r = await srv.api('GET', `/api/v1/cases?limit=50&q=${encodeURIComponent(Q)}${asc ? '&sort=oldest' : ''}${cursor ? '&cursor=' + cursor : ''}`, { token });
      assert.equal(r.status, 200, r.text);
      got.push(...r.json.cases.map((c) => c.id));
      if (!r.json.cases.length && r.json.next != null) emptyWithNext++;
      cursor = r.json.next;
    } while (cursor != null && ++pages < 100);
    assert.deepEqual(got, want);
    if (!asc) assert.ok(emptyWithNext >= 1, 'the first page stopped at its budget, none found, with a cursor');
  }
});

test('the queue page offers to search older cases and finds the old one', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/queue?state=&q=' + encodeURIComponent(Q), 'queue');
  await page.waitForSelector('#queue-none-yet');
  const more = page.locator('.btn-row.center button');
  assert.equal((await more.textContent()).trim(), '继续查找更早的案件');
  assert.equal(await page.locator('table.cases tbody tr').count(), 0);
  for (let i = 0; i < 20 && !(await page.locator(`table.cases tbody tr[data-id="${old}"]`).count()); i++) {
    await more.click();
    await page.waitForFunction(() => !document.querySelector('.btn-row.center button').disabled);
  }
  assert.deepEqual(await page.$$eval('table.cases tbody tr', (t) => t.map((r) => Number(r.dataset.id))), scan(false));
  await page.context().close();
});
