// 7i-print.test.mjs -- the printable 派单单 and 督办单 of a case: opened from the
// case page, the QR code decodes (jsQR, in the page) to the case's address,
// and Chromium's print to PDF (page.pdf, the print stylesheet) gives ONE A4
// page whose text (pdftotext, poppler-utils) holds the street, the case
// number, the routing basis, the deadlines, the escalation note and the
// signature lines. A resident may not open it; the English form is English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, ROOT, dbQuery } from './lib.mjs';
import { launch, openPage, uiLogin, visit, SHOTS, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser, kase, route;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  const res = await srv.login('resident1');
  const disp = await srv.login('dispatcher');
  const sup = await srv.login('supervisor');
  kase = (await srv.api('POST', '/api/v1/cases', { token: res, body: { title: '井盖缺失 需尽快处理', body: '东华门大街12号门前井盖缺失，夜间行人易跌落。', category: '0104', area: '110101001001002', address: '东华门大街12号' } })).json;
  const r = await srv.api('POST', `/api/v1/cases/${kase.id}/register`, { token: disp });
  assert.equal(r.json.state, 'dispatched', r.text);
  assert.equal((await srv.api('POST', `/api/v1/cases/${kase.id}/escalate`, { token: sup, body: { note: '请于今日内完成整改并反馈' } })).status, 200);
  kase = (await srv.api('GET', '/api/v1/cases/' + kase.id, { token: disp })).json;
  route = kase.route;
  assert.ok(route?.legal_basis, 'the demo list gives a legal basis');
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

// The text of a PDF and its page count and size (poppler-utils).
function pdf(path) {
  const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
  const info = execFileSync('pdfinfo', [path], { encoding: 'utf8' });
  return { text, pages: Number(/^Pages:\s+(\d+)/m.exec(info)[1]), size: /^Page size:\s+(.*)$/m.exec(info)[1] };
}
const squash = (s) => s.replace(/\s+/g, '');

async function qrText(page) {
  await page.addScriptTag({ path: join(ROOT, 'node_modules/jsqr/dist/jsQR.js') });
  return page.evaluate(async () => {
    const svg = document.querySelector('.sheet-qr svg');
    const img = new Image();
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    await img.decode();
    const cv = document.createElement('canvas');
    cv.width = cv.height = 400;
    const g = cv.getContext('2d');
    g.drawImage(img, 0, 0, 400, 400);
    return window.jsQR(g.getImageData(0, 0, 400, 400).data, 400, 400)?.data ?? null;
  });
}

test('派单单: from the case page, QR to the case, one A4 page with the routing basis, deadlines and signatures', async () => {
  // bypassCSP: the test's own decoder (jsQR) is injected into the page, which the
  // UI's Content-Security-Policy (script-src 'self') rightly refuses
  const page = await openPage(browser, srv, { bypassCSP: true });
  await uiLogin(page, 'dispatcher');
  await visit(page, '/case/' + kase.id, 'case');
  await page.click('a[data-print=dispatch]');
  await page.waitForSelector('#sheet[data-form=dispatch] .sheet-qr svg');
  assert.equal(await page.textContent('#sheet-no'), kase.no);
  // the QR code and the address under it name the case by its number (not the store's id)
  const link = await qrText(page);
  assert.equal(link, `${srv.url}/#/case/${kase.no}`, 'the QR code links to the case by its number');
  assert.equal(await page.textContent('#sheet-url'), link);
  const file = join(SHOTS, '86-print-dispatch.pdf');
  await page.pdf({ path: file, preferCSSPageSize: true, printBackground: true });
  const p = pdf(file);
  assert.equal(p.pages, 1, 'one page');
  const [w, hgt] = /^([\d.]+) x ([\d.]+) pts/.exec(p.size).slice(1).map(Number);
  assert.ok(Math.abs(w - 595.28) < 1 && Math.abs(hgt - 841.89) < 1, 'A4 (210 x 297 mm): ' + p.size);
  const text = squash(p.text);
  for (const want of ['东华门街道', '派单单', kase.no, '井盖缺失需尽快处理', '东华门大街12号', '派单依据', squash(route.legal_basis).slice(0, 20),
    '办理时限', '签收人（签字）', '派单人（签字）', '核查人（签字）', '处置结果'])
    assert.ok(text.includes(squash(want)), `the PDF has "${want}":\n${p.text}`);
  // the accept deadline as shown on the page, in Beijing time
  const dl = await page.textContent('#sheet [data-phase=accept] td:nth-child(4)');
  assert.ok(text.includes(squash(dl)), 'the deadline ' + dl);
  assert.ok(!/案件调度|退出登录|基层设计/.test(p.text), 'nothing of the app around it');
  await page.screenshot({ path: join(SHOTS, '86-print-dispatch.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  // the link opens the case
  await page.goto(link);
  await page.waitForSelector('.case-head');
  assert.equal(await page.textContent('.case-head h1'), kase.title, 'the scanned link shows the case');
  assert.ok((await page.textContent('#main')).includes(kase.no));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('督办单: the escalation note, one A4 page; English; a resident may not open it', async () => {
  // a store of an earlier build: its timer counted a 督办 per further time limit in the
  // case's counter ("督办 187 次"); the form counts the supervisors' own from the trace
  dbQuery(srv.db, `UPDATE cases SET escalation = 187 WHERE id = ${kase.id};`);
  const page = await openPage(browser, srv, { lang: 'en' });
  await uiLogin(page, 'supervisor');
  await visit(page, `/print/${kase.id}?form=supervise`, 'print');
  await page.waitForSelector('#sheet[data-form=supervise] .sheet-qr svg');
  assert.match(await page.textContent('#sheet-opinion'), /请于今日内完成整改并反馈/);
  assert.match(await page.textContent('#sheet-esc'), /^Escalations by staff: 1\b/, 'the supervisor\'s one, not the old counter');
  assert.match(await page.textContent('#page-title'), /Supervision order/);
  const file = join(SHOTS, '87-print-supervise-en.pdf');
  await page.pdf({ path: file, preferCSSPageSize: true });
  const p = pdf(file);
  assert.equal(p.pages, 1);
  assert.match(p.size, /\(A4\)/);
  for (const want of ['Supervision order', kase.no, 'Instruction:', '请于今日内完成整改并反馈', 'Supervisor (signature)', 'Head of department (signature)'])
    assert.ok(squash(p.text).includes(squash(want)), `the PDF has "${want}":\n${p.text}`);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();

  const res = await openPage(browser, srv);
  await uiLogin(res, 'resident1');
  await res.go(`/print/${kase.id}?form=dispatch`);
  await res.waitForSelector('[data-forbidden]');
  await res.context().close();
});
