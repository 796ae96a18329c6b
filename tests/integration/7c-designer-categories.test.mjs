// 7c-designer-categories.test.mjs -- 基层设计 → 事项类别 and the list-change
// preview. The categories table lists every category of the API; the edit
// form sends PUT /api/v1/categories/:code. While the server lacks that
// endpoint (404) the page says so and the save tests are skipped; likewise the
// preview (POST /api/v1/duties/preview): without it a list upload publishes at
// once (checked here), with it the preview is shown and confirmed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser, tok, haveCatPut, havePreview;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  tok = await srv.login('admin');
  // Probe with bodies the server must refuse (never 2xx): 404 = no endpoint.
  haveCatPut = (await srv.api('PUT', '/api/v1/categories/0101', { token: tok, body: { dept: 'no-such-dept' } })).status !== 404;
  havePreview = (await srv.api('POST', '/api/v1/duties/preview', { token: tok, body: 'x', headers: { 'content-type': 'text/csv' } })).status !== 404;
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

test('categories tab: the table equals the API; edit form; refusal message', async () => {
  const cats = (await srv.api('GET', '/api/v1/categories')).json.categories;
  const page = await openPage(browser, srv, { viewport: { width: 375, height: 812 } });
  await uiLogin(page, 'admin');
  await visit(page, '/designer?tab=categories', 'designer');
  await page.waitForSelector('#cat-table tbody tr');
  assert.deepEqual(await page.$$eval('#cat-table tbody tr', (rs) => rs.map((r) => r.dataset.category)), cats.map((k) => k.code));
  await page.fill('#cat-filter', '井盖');
  assert.deepEqual(await page.$$eval('#cat-table tbody tr', (rs) => rs.map((r) => r.dataset.category)), ['0201']);
  await page.click('#cat-table button[data-edit="0201"]');
  await page.waitForSelector('#cat-form[data-category="0201"]');
  assert.equal(await page.inputValue('#cat-form input[name=name]'), '井盖缺损');
  assert.equal(await page.inputValue('#cat-form select[name=dept]'), cats.find((k) => k.code === '0201').dept);
  await page.click('#cat-add-field');
  await page.fill('#cat-form [data-field-row] input[name=f_code]', 'size');
  await page.fill('#cat-form [data-field-row] input[name=f_name]', '井盖尺寸');
  await page.selectOption('#cat-form [data-field-row] select[name=f_type]', 'choice');
  await page.fill('#cat-form [data-field-row] input[name=f_choices]', '小, 中, 大');
  await shot(page, '7c-01-category-form-375');
  await page.click('#cat-form button[type=submit]');
  if (!haveCatPut) {
    await page.waitForSelector('#cat-form [data-cat-error="404"]');
    assert.match(await page.textContent('#cat-form [data-cat-error]'), /暂不支持/);
  } else {
    await page.waitForSelector('#cat-table tr[data-category="0201"]');
    const k = (await srv.api('GET', '/api/v1/categories')).json.categories.find((x) => x.code === '0201');
    assert.equal(k.fields[0].code, 'size');
    assert.deepEqual(k.fields[0].choices, ['小', '中', '大']);
  }
  assert.deepEqual(page.errors.filter((e) => !/404/.test(e)), []);
  assert.deepEqual(await noI18nGaps(page), []);
});

test('categories: a refused save shows the server message', async (t) => {
  if (!haveCatPut) { t.skip('PUT /api/v1/categories/:code answers 404 on this server'); return; }
  const page = await openPage(browser, srv, { lang: 'en' });
  await uiLogin(page, 'dispatcher');
  await visit(page, '/designer?tab=categories', 'designer');
  await page.click('#cat-new');
  await page.fill('#cat-form input[name=code]', '0999');
  await page.fill('#cat-form input[name=name]', '测试类别');
  await page.selectOption('#cat-form select[name=dept]', { index: 1 });
  await page.click('#cat-add-field');
  await page.selectOption('#cat-form [data-field-row] select[name=f_type]', 'choice');
  await page.fill('#cat-form [data-field-row] input[name=f_code]', 'c');
  await page.fill('#cat-form [data-field-row] input[name=f_name]', 'c');
  await page.click('#cat-form button[type=submit]'); // a choice field without choices
  await page.waitForSelector('#cat-form [data-cat-error="400"]');
  await shot(page, '7c-02-category-refused');
});

test('list upload: preview when the server has it, else published at once', async () => {
  const v0 = (await srv.api('GET', '/api/v1/duties/versions')).json.versions.find((v) => v.active).version;
  const csv = (await srv.api('GET', '/api/v1/duties/csv')).text.replace(/\s*$/, '\n') +
    'S-0201-T,0201,110101001,chengguan,,《测试办法》第一条,1wh,2wd,4wh,0\n';
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/designer?tab=duties', 'designer');
  await page.waitForSelector('#duty-table tbody tr');
  await page.setInputFiles('#duty-upload input[type=file]', { name: 'l.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('#duty-upload button[type=submit]');
  if (havePreview) {
    const p = (await srv.api('POST', '/api/v1/duties/preview', { token: tok, body: csv, headers: { 'content-type': 'text/csv' } })).json;
    if (p.changed.length) {
      await page.waitForSelector('#duty-preview');
      assert.equal(await page.getAttribute('#duty-preview', 'data-changed'), String(p.changed.length));
      assert.match(await page.textContent('#duty-preview'), new RegExp(`此清单将改变 ${p.changed.length} 个在办案件`));
      await shot(page, '7c-03-list-preview');
      await page.click('#preview-confirm');
    }
  }
  await page.waitForSelector(`#duty-versions tr[data-version="${v0 + 1}"][data-active="1"]`);
  assert.deepEqual(page.errors, []);
});
