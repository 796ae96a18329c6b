// 7f-tiles.test.mjs -- `jiceng serve --tiles URL`: the dashboard map puts a
// tile layer under the vector grids. A tiny local tile server (node http)
// answers /{z}/{x}/{y}.png with a PNG and records the requests; with --tiles
// the browser asks it for tiles and the tile <img>s load; without --tiles no
// tile is requested and the grids are still drawn as vector shapes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { startServer, freePort } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, haveChromium } from './ui-lib.mjs';

// A 256x256 PNG of one colour, built here (signature, IHDR, IDAT, IEND).
function crc32(buf) {
  let c, crc = 0xffffffff;
  for (const b of buf) { c = (crc ^ b) & 0xff; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; crc = (crc >>> 8) ^ c; }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function solidPng(w, h, [r, g, b]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const row = Buffer.alloc(1 + 3 * w);
  for (let x = 0; x < w; x++) row.set([r, g, b], 1 + 3 * x);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const PNG = solidPng(256, 256, [214, 232, 246]);

let tileSrv, tilePort, tileHits = [], browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  tilePort = await freePort();
  tileSrv = http.createServer((req, res) => {
    const m = /^\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url);
    if (!m) { res.writeHead(404); res.end(); return; }
    tileHits.push(req.url);
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length, 'cache-control': 'no-store' });
    res.end(PNG);
  });
  await new Promise((r) => tileSrv.listen(tilePort, '127.0.0.1', r));
  browser = await launch();
});
after(async () => { await browser?.close(); await new Promise((r) => tileSrv ? tileSrv.close(r) : r()); });

const gridCount = async (srv) => (await srv.api('GET', '/api/v1/areas')).json.areas.filter((a) => a.level === 'grid' && a.geometry).length;

async function openDashboard(srv) {
  const page = await openPage(browser, srv);
  page.requestsTo = [];
  page.on('request', (r) => { if (r.url().includes(':' + tilePort + '/')) page.requestsTo.push(r.url()); });
  await uiLogin(page, 'dispatcher');
  await visit(page, '/dashboard', 'dashboard');
  await page.waitForSelector('#dash-map path[data-area]');
  return page;
}

test('with --tiles the dashboard map loads tiles from the URL, under the grids', async () => {
  const url = `http://127.0.0.1:${tilePort}/{z}/{x}/{y}.png`;
  const srv = await startServer({ extraArgs: ['--tiles', url] });
  try {
    assert.equal((await srv.api('GET', '/api/v1/config')).json.tile_url, url);
    const page = await openDashboard(srv);
    await page.waitForFunction(() => document.querySelectorAll('#dash-map img.leaflet-tile.leaflet-tile-loaded').length > 0, null, { timeout: 15000 });
    const tiles = await page.$$eval('#dash-map img.leaflet-tile', (imgs) => imgs.map((i) => ({ src: i.src, ok: i.complete && i.naturalWidth > 0 })));
    assert.ok(tiles.length > 0);
    assert.ok(tiles.every((t) => t.src.startsWith(`http://127.0.0.1:${tilePort}/`) && /\/\d+\/\d+\/\d+\.png$/.test(t.src)), 'tile URLs follow the template');
    assert.ok(tiles.some((t) => t.ok), 'tile images loaded');
    assert.ok(page.requestsTo.length > 0 && tileHits.length > 0, 'the tile server was asked');
    // The zoom level in the requests is the map's (a street: well above 10).
    assert.ok(tileHits.every((u) => Number(u.split('/')[1]) >= 10), tileHits.slice(0, 3).join(' '));
    // The grids are still there, as vector paths over the tiles.
    assert.equal(await page.$$eval('#dash-map path[data-area]', (p) => new Set(p.map((x) => x.dataset.area)).size), await gridCount(srv));
    await shot(page, '7f-01-dashboard-tiles');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally { await srv.cleanup(); }
});

test('without --tiles no tile is requested and the grids draw as vector shapes', async () => {
  const srv = await startServer();
  try {
    assert.equal((await srv.api('GET', '/api/v1/config')).json.tile_url, null);
    const hitsBefore = tileHits.length;
    const page = await openDashboard(srv);
    await page.waitForTimeout(500); // time for any tile layer to start loading
    assert.equal(await page.$$eval('#dash-map img.leaflet-tile', (i) => i.length), 0, 'no tile images');
    assert.equal(await page.$$eval('#dash-map .leaflet-tile-pane *', (i) => i.length), 0, 'empty tile pane');
    assert.deepEqual(page.requestsTo, []);
    assert.equal(tileHits.length, hitsBefore, 'the tile server was not asked');
    const n = await gridCount(srv);
    assert.ok(n > 0);
    assert.equal(await page.$$eval('#dash-map svg path[data-area]', (p) => new Set(p.map((x) => x.dataset.area)).size), n, 'every grid is an SVG path');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally { await srv.cleanup(); }
});
