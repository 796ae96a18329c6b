// 7a-photos.test.mjs -- photos in the web UI: a resident reports with a small
// PNG (generated here) chosen through the file input; it is uploaded, linked
// to the new case and shown as a thumbnail on the case page; the department
// adds a photo with its feedback; both are listed by the API. At 375 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser, photoDir;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  // The default store (var/photos) is not created by the server: give it a directory.
  photoDir = mkdtempSync(join(tmpdir(), 'jiceng-ui-photos-'));
  srv = await startServer({ extraArgs: ['--photos', join(photoDir, 'store')] });
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); if (photoDir) rmSync(photoDir, { recursive: true, force: true }); });

// A w x h RGB PNG of one colour.
function crc32(buf) {
  let c, crc = 0xffffffff;
  for (const b of buf) { c = (crc ^ b) & 0xff; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; crc = (crc >>> 8) ^ c; }
  return (crc ^ 0xffffffff) >>> 0;
}
function png(w, h, [r, g, b]) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([r, g, b], y * (w * 3 + 1) + 1 + x * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

test('photos: resident reports with a photo, the department feeds back with one, the case page shows both', async () => {
  const page = await openPage(browser, srv, { viewport: { width: 375, height: 812 } });
  await uiLogin(page, 'resident1');
  await page.waitForSelector('.page[data-page=report] #report-map path[data-area]');
  await page.check('.cat-opt[data-code="0101"] input');
  await page.click('#report-map path[data-area="110101001001001"]');
  assert.equal(await page.inputValue('select[name=area]'), '110101001001001');
  await page.fill('textarea[name=body]', '东华门大街路口有人占道摆摊，附照片。');
  await page.setInputFiles('#report-form input[type=file]', { name: 'stall.png', mimeType: 'image/png', buffer: png(48, 32, [200, 40, 30]) });
  await page.waitForSelector('#report-form .photo-item:not([data-state=uploading])');
  assert.equal(await page.getAttribute('#report-form .photo-item', 'data-state'), 'ok', await page.textContent('#report-form .photo-item') + page.errors.join());
  const pid = await page.getAttribute('#report-form .photo-item', 'data-photo-id');
  assert.match(pid, /^[0-9a-f]{64}$/);
  await shot(page, '7a-01-report-photo-375');
  await page.click('#report-form button[type=submit]');
  await page.waitForSelector('.done[data-case-id]');
  const id = await page.getAttribute('.done', 'data-case-id');

  const tok = await srv.login('dispatcher');
  let r = await srv.api('GET', `/api/v1/cases/${id}/photos`, { token: tok });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.photos.map((p) => p.id), [pid], 'the chosen photo is linked to the new case');

  await visit(page, '/case/' + id, 'case');
  await page.waitForSelector(`#case-photos .photo-item[data-photo-id="${pid}"] img`);
  await page.waitForFunction(() => { const i = document.querySelector('#case-photos img'); return i && i.complete && i.naturalWidth === 48; });
  await shot(page, '7a-02-case-photo-375');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);

  // The department: register + dispatch + accept through the API, feedback with a photo in the UI.
  const depts = (await srv.api('GET', '/api/v1/depts')).json.depts;
  const cg = depts.find((d) => d.code === 'chengguan');
  r = await srv.api('POST', `/api/v1/cases/${id}/register`, { token: tok, body: {} });
  assert.equal(r.status, 200, r.text);
  if (r.json.state !== 'dispatched') {
    r = await srv.api('POST', `/api/v1/cases/${id}/dispatch`, { token: tok, body: { dept_id: cg.id } });
    assert.equal(r.status, 200, r.text);
  }
  const dtok = await srv.login('dept_chengguan');
  r = await srv.api('POST', `/api/v1/cases/${id}/accept`, { token: dtok, body: {} });
  assert.equal(r.status, 200, r.text);

  const dp = await openPage(browser, srv, { lang: 'en' });
  await uiLogin(dp, 'dept_chengguan');
  await visit(dp, '/case/' + id, 'case');
  await dp.click('.actions button[data-action=feedback]');
  await dp.waitForSelector('.actions form[data-form=feedback] input[type=file]');
  await dp.fill('.actions form[data-form=feedback] textarea[name=note]', '已劝离摊贩，现场已清理。');
  await dp.setInputFiles('.actions form[data-form=feedback] input[type=file]', { name: 'after.png', mimeType: 'image/png', buffer: png(40, 40, [30, 160, 60]) });
  await dp.waitForSelector('.actions form[data-form=feedback] .photo-item[data-state=ok]');
  await dp.click('.actions form[data-form=feedback] button[type=submit]');
  await dp.waitForSelector('dd[data-field=state] .badge[data-state=feedback]');
  await dp.waitForFunction(() => document.querySelectorAll('#case-photos img').length === 2);
  assert.match(await dp.textContent('#case-photos h2'), /Photos \(2\)/);
  await shot(dp, '7a-03-feedback-photo-en');
  r = await srv.api('GET', `/api/v1/cases/${id}/photos`, { token: tok });
  assert.equal(r.json.photos.length, 2);
  assert.deepEqual(dp.errors, []);
  assert.deepEqual(await noI18nGaps(dp), []);

  // A file that is not an image is refused by the server and shown as failed.
  await visit(page, '/report', 'report');
  await page.waitForSelector('#report-form input[type=file]', { state: 'attached' });
  await page.setInputFiles('#report-form input[type=file]', { name: 'x.png', mimeType: 'image/png', buffer: Buffer.from('not a png at all') });
  await page.waitForSelector('#report-form .photo-item[data-state=failed]');
});
