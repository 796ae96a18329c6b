// 64-attach.test.mjs -- documents on cases (docs/api.md "Attachments"): the
// type is decided by the bytes (PDF, OOXML by the names inside the ZIP,
// OpenDocument by its mimetype entry, the older Office container by the name
// among doc/xls/ppt); macro-enabled and disguised files are refused; at most
// 10 MB; content-addressed; linked by the uploader only; downloaded with the
// document's type, Content-Disposition: attachment, nosniff, a sandbox, and
// only by who may see a case it is on. Then the browser: a department's
// feedback with a PDF, listed and downloaded on the case page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, filler } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser, files;
const T = {};
before(async () => {
  files = mkdtempSync(join(tmpdir(), 'jiceng-docs-'));
  srv = await startServer({ extraArgs: ['--photos', files] });
  for (const n of ['dispatcher', 'resident1', 'dept_chengguan', 'dept_shichang', 'community1', 'community2']) T[n] = await srv.login(n);
  browser = haveChromium() ? await launch() : null;
});
after(async () => { await browser?.close(); await srv?.cleanup(); rmSync(files, { recursive: true, force: true }); });

// ---- fixtures: real file layouts, written here --------------------------------------
const CRC = new Uint32Array(256).map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = (b) => { let c = 0xffffffff; for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
// A ZIP of stored (uncompressed) entries, as office programs write them.
function zip(entries) {
  const locals = [], centrals = [];
  let off = 0;
  for (const [name, text] of entries) {
    const n = Buffer.from(name), d = Buffer.from(text), crc = crc32(d);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(d.length, 18); lh.writeUInt32LE(d.length, 22); lh.writeUInt16LE(n.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(d.length, 20); ch.writeUInt32LE(d.length, 24); ch.writeUInt16LE(n.length, 28); ch.writeUInt32LE(off, 42);
    locals.push(lh, n, d);
    centrals.push(ch, n);
    off += 30 + n.length + d.length;
  }
  const cd = Buffer.concat(centrals), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}
const CT = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>';
const docx = () => zip([['[Content_Types].xml', CT], ['word/document.xml', '<w:document/>' + filler()]]);
const xlsx = () => zip([['[Content_Types].xml', CT], ['xl/workbook.xml', '<workbook/>' + filler()]]);
const docm = () => zip([['[Content_Types].xml', CT], ['word/document.xml', '<w:document/>'], ['word/vbaProject.bin', 'macro']]);
const odt = () => zip([['mimetype', 'application/vnd.oasis.opendocument.text'], ['content.xml', '<office:document-content/>' + filler()]]);
const pdf = () => Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${filler()}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);
const ole = () => Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504, 1), Buffer.from(filler())]);

const upload = (tok, body, name, type = 'application/octet-stream') =>
  srv.api('POST', '/api/v1/attachments', { token: tok, body, headers: { 'content-type': type, 'x-filename': encodeURIComponent(name) } });

test('the bytes decide: accepted types, refused ones; content-addressed; 10 MB', async () => {
  const ok = [[pdf(), '整改报告.pdf', 'pdf', 'application/pdf'], [docx(), '处置说明.docx', 'docx', 'wordprocessingml'],
    [xlsx(), '清单.xlsx', 'xlsx', 'spreadsheetml'], [odt(), '记录.odt', 'odt', 'opendocument.text'], [ole(), '旧版.doc', 'doc', 'msword'],
    [pdf(), 'C:\\材料\\名字叫错了.docx', 'pdf', 'application/pdf']];
  for (const [bytes, name, ext, type] of ok) {
    const r = await upload(T.dept_chengguan, bytes, name);
    assert.equal(r.status, 201, name + ' ' + r.text);
    assert.equal(r.json.id, createHash('sha256').update(bytes).digest('hex'));
    assert.ok(r.json.name.endsWith('.' + ext), 'the name takes the type of the bytes: ' + r.json.name);
    assert.ok(!r.json.name.includes('\\') && !r.json.name.includes('/'));
    assert.match(r.json.type, new RegExp(type.replace('.', '\\.')));
    assert.ok(existsSync(join(files, 'docs', r.json.id.slice(0, 2), `${r.json.id}.${ext}`)), 'stored by its hash');
  }
  const refused = [[docm(), '宏.docm'], [zip([['a.txt', 'x']]), '压缩包.zip'], [Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]), '报告.pdf'],
    [ole(), '旧版.pdf'], [Buffer.from('<html><script>alert(1)</script>'), 'x.pdf'], [Buffer.from('GIF89a....'), 'x.doc']];
  for (const [bytes, name] of refused) assert.equal((await upload(T.dept_chengguan, bytes, name)).status, 415, name);
  assert.equal((await upload(T.dept_chengguan, Buffer.alloc(0), 'empty.pdf')).status, 400);
  const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(10 * 1024 * 1024)]);
  assert.equal((await upload(T.dept_chengguan, big, 'big.pdf')).status, 413);
  assert.equal((await upload(T.resident1, pdf(), 'x.pdf')).status, 403, 'residents add photos, not documents');
  assert.equal((await upload(null, pdf(), 'x.pdf')).status, 401);
});

test('linked by the uploader; downloaded safely, only by who may see the case', async () => {
  const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '附件测试 ' + filler(), category: '0104', area: '110101001001001' } })).json;
  const reg = (await srv.api('POST', `/api/v1/cases/${k.id}/register`, { token: T.dispatcher })).json;
  assert.equal(reg.state, 'dispatched');
  const bytes = pdf();
  const up = (await upload(T.dept_chengguan, bytes, '整改报告 2026.pdf')).json;
  // another user may not link it (nor read it) before it is on a case they see
  assert.equal((await srv.api('POST', `/api/v1/cases/${k.id}/attachments`, { token: T.dispatcher, body: { attachment_id: up.id } })).status, 400);
  assert.equal((await srv.api('GET', up.url, { token: T.dispatcher })).status, 404);
  assert.equal((await srv.api('POST', `/api/v1/cases/${k.id}/attachments`, { token: T.dept_chengguan, body: { attachment_id: 'xyz' } })).status, 400);
  const l = await srv.api('POST', `/api/v1/cases/${k.id}/attachments`, { token: T.dept_chengguan, body: { attachment_id: up.id } });
  assert.equal(l.status, 201, l.text);
  assert.equal((await srv.api('POST', `/api/v1/cases/${k.id}/attachments`, { token: T.dept_chengguan, body: { attachment_id: up.id } })).status, 409);
  const list = (await srv.api('GET', `/api/v1/cases/${k.id}/attachments`, { token: T.dispatcher })).json.attachments;
  assert.deepEqual(list.map((a) => [a.id, a.name, a.size]), [[up.id, '整改报告 2026.pdf', bytes.length]]);
  const c = (await srv.api('GET', '/api/v1/cases/' + k.id, { token: T.dispatcher })).json;
  assert.equal(c.timeline.at(-1).action, 'attachment_add');
  assert.equal(c.trace.verified, true);
  // the download: the bytes, its type, as an attachment that no browser renders
  const res = await fetch(srv.url + up.url, { headers: { authorization: 'Bearer ' + T.dispatcher } });
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  assert.match(res.headers.get('content-disposition'), /^attachment; filename="document\.pdf"; filename\*=UTF-8''%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A%202026\.pdf$/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.headers.get('content-security-policy'), /sandbox/);
  assert.match(res.headers.get('cache-control'), /no-store/);
  // who may see the case may read it; others get 404
  for (const [who, status] of [['community1', 200], ['dept_chengguan', 200], ['community2', 404], ['dept_shichang', 404], ['resident1', 200]])
    assert.equal((await srv.api('GET', up.url, { token: T[who] })).status, status, who);
  assert.equal((await srv.api('GET', up.url)).status, 401, 'no login, no document');
  assert.equal((await srv.api('GET', `/api/v1/cases/${k.id}/attachments`, { token: T.community2 })).status, 404);
});

test('the browser: a department\'s feedback with a PDF; listed and downloaded on the case page', async () => {
  assert.ok(browser, '/usr/bin/chromium is missing');
  const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '反馈附件 ' + filler(), category: '0104', area: '110101001001002' } })).json;
  await srv.api('POST', `/api/v1/cases/${k.id}/register`, { token: T.dispatcher });
  await srv.api('POST', `/api/v1/cases/${k.id}/accept`, { token: T.dept_chengguan });
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dept_chengguan');
  await visit(page, '/case/' + k.id, 'case');
  await page.click('button[data-action=feedback]');
  await page.fill('form[data-form=feedback] textarea[name=note]', '已清运，见报告');
  await page.setInputFiles('form[data-form=feedback] input.doc-input', [{ name: '清运报告.pdf', mimeType: 'application/pdf', buffer: pdf() },
    { name: '病毒.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ not a pdf') }]);
  await page.waitForSelector('.doc-item[data-state=ok]');
  await page.waitForSelector('.doc-item[data-state=failed]');
  assert.match(await page.textContent('.doc-item[data-state=failed]'), /不是可接受的文档类型/);
  await page.click('form[data-form=feedback] button[type=submit]');
  await page.waitForSelector('#case-docs:not([hidden]) a');
  assert.equal(await page.textContent('#case-docs a'), '清运报告.pdf');
  const href = await page.getAttribute('#case-docs a', 'href');
  const got = await page.evaluate(async (u) => { const r = await fetch(u); return [r.status, r.headers.get('content-type'), new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))]; }, href);
  assert.deepEqual(got, [200, 'application/pdf', '%PDF-']);
  const list = (await srv.api('GET', `/api/v1/cases/${k.id}/attachments`, { token: T.dispatcher })).json.attachments;
  assert.equal(list.length, 1, 'only the good one is linked');
  await shot(page, '93-case-documents');
  assert.deepEqual(page.errors.filter((e) => !/status of 415/.test(e)), []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});
