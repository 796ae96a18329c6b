// Sensors with two instances on one PostgreSQL database (src/sensor_pg.c,
// docs/sensors.md "Several instances"): both subscribe to one real mosquitto
// with --mqtt-share g, so the broker hands each device's readings (QoS 1) to
// them in turn.  Devices cross a threshold at known points, in phases (normal,
// high, normal, high, normal); after each phase every reading is counted once
// in the minute and hour aggregates (their n add up to what was published),
// each crossing made one alarm (its count = the phase's high readings, whichever
// instance took them) and one case, both instances took readings, and a live
// stream on either instance saw every alarm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, freePort, dbQuery, sseListen } from './lib.mjs';

let a, b, broker, brokerPort, dir, T = {};
const sleep = ms => new Promise(r => setTimeout(r, ms));
const H = 3600e3;
const K = 6; // readings per device per phase
// six noise devices (rule: high 70, low 60, opens a 0301 case), one per grid
const DEVICES = [1, 2].flatMap(c => [1, 2, 3].map(g => ({ id: `inst-${c}-${g}`, grid: `11010100100${c}00${g}` })));
const PHASES = [40, 80, 45, 85, 50]; // normal, high, normal, high, normal
const base = Math.floor((Date.now() - 2 * H) / 60e3) * 60e3; // two hours back: complete minutes

async function waitFor(fn, ms, what) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) { last = await fn(); if (last) return last; await sleep(100); }
  throw new Error('timed out waiting for ' + what + ': ' + JSON.stringify(last));
}
const total = res => Number(dbQuery(a.db, `SELECT coalesce(sum(n), 0) FROM reading_agg WHERE res = ${res}`));
const accepted = async srv => Number(/^jiceng_readings_total (\d+)$/m.exec((await srv.api('GET', '/api/v1/sensor/metrics', { token: T.admin })).text)?.[1]);
const alarmsOf = async (srv, dev) => {
  const r = await srv.api('GET', `/api/v1/alarms?device=${dev}`, { token: T.admin });
  assert.equal(r.status, 200, r.text);
  return r.json.alarms.filter(x => x.kind === 'threshold').sort((x, y) => x.id - y.id);
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jiceng-share-'));
  brokerPort = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
  broker = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await waitFor(async () => spawnSync('mosquitto_pub', ['-p', String(brokerPort), '-h', '127.0.0.1', '-t', 'probe', '-m', 'x']).status === 0, 5000, 'broker');
  const mqtt = id => ['--mqtt', `mqtt://127.0.0.1:${brokerPort}`, '--mqtt-share', 'g', '--mqtt-client-id', id];
  a = await startServer({ pg: true, extraArgs: mqtt(`share-a-${process.pid}`) });
  b = await startServer({ db: a.db, extraArgs: mqtt(`share-b-${process.pid}`) });
  T.admin = await a.login('admin');
  // every crossing its own case: a grouping window (1 s) shorter than the phases
  const s = await a.api('PUT', '/api/v1/sensor/settings', { token: T.admin, body: { group_window_s: 1 } });
  assert.equal(s.status, 200, s.text);
  for (const d of DEVICES) {
    const r = await a.api('POST', '/api/v1/devices', { token: T.admin, body: { id: d.id, type: 'noise', grid: d.grid, lon: 116.39, lat: 39.91, heartbeat_s: 86400 } });
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => {
  await b?.cleanup();
  await a?.cleanup();
  broker?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('shared MQTT readings on two instances: every reading counted once, one alarm and one case per crossing', async (t) => {
  assert.equal(dbQuery(a.db, "SELECT count(*) FROM sensor_rollup"), '1', 'the sensor tables are on PostgreSQL');
  const live = { a: await sseListen(`${a.url}/api/v1/events?token=${T.admin}`), b: await sseListen(`${b.url}/api/v1/events?token=${T.admin}`) };
  assert.equal(live.b.status, 200);
  const cases0 = Number(dbQuery(a.db, "SELECT count(*) FROM cases WHERE category = '0301'")); // the demo's
  let sent = 0;
  for (const [p, v] of PHASES.entries()) {
    // K readings of each device, interleaved across devices, one message each,
    // in one burst (mosquitto_pub -l: a message per line, the broker deals them
    // out to the two instances in turn)
    const lines = [];
    for (let j = 0; j < K; j++)
      for (const d of DEVICES) lines.push(JSON.stringify({ readings: [{ device: d.id, ts: base + (p * K + j) * 5000, values: { db: v + j % 2 } }] }));
    const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(brokerPort), '-q', '1', '-t', 'jiceng/v1/readings', '-l'], { input: lines.join('\n') + '\n' });
    assert.equal(r.status, 0, r.stderr?.toString());
    sent += lines.length;
    await waitFor(async () => total(60000) === sent, 20000, `phase ${p}: minute aggregates n = ${sent}`);
    const crossings = PHASES.slice(0, p + 1).filter(x => x > 70).length;
    for (const d of DEVICES) {
      const al = await alarmsOf(b, d.id);
      assert.equal(al.length, crossings, `${d.id} after phase ${p}: ${JSON.stringify(al)}`);
      if (v > 70) { // the phase's crossing: one alarm, every high reading counted on it
        assert.equal(al.at(-1).state, 'active');
        assert.equal(al.at(-1).count, K, `${d.id}: ${JSON.stringify(al.at(-1))}`);
      } else if (al.length) assert.equal(al.at(-1).state, 'cleared');
    }
  }
  // not one reading lost or doubled: minutes, and hours (rolled up by the leader alone)
  assert.equal(total(60000), DEVICES.length * PHASES.length * K);
  await waitFor(async () => total(3600000) === sent, 15000, `hour aggregates n = ${sent}`);
  // both instances took readings, and together exactly those published
  const [na, nb] = [await accepted(a), await accepted(b)];
  t.diagnostic(`readings taken by a: ${na}, by b: ${nb}`);
  assert.ok(na > 0 && nb > 0, `readings taken by a ${na}, by b ${nb}`);
  assert.equal(na + nb, sent);
  // one case per crossing: 2 per device, each its own, each an open 0301 case
  const cases = new Set();
  for (const d of DEVICES) {
    const al = await alarmsOf(a, d.id);
    assert.equal(al.length, 2);
    for (const x of al) {
      assert.ok(x.case_id, JSON.stringify(x));
      cases.add(x.case_id);
    }
  }
  assert.equal(cases.size, 2 * DEVICES.length);
  assert.equal(Number(dbQuery(a.db, "SELECT count(*) FROM cases WHERE category = '0301'")) - cases0, 2 * DEVICES.length);
  const k = await b.api('GET', `/api/v1/cases/${[...cases][0]}`, { token: T.admin });
  assert.equal(k.status, 200, k.text);
  assert.equal(k.json.category, '0301');
  // the live stream of either instance carried every alarm, whichever instance raised it
  for (const s of [live.a, live.b]) {
    await waitFor(async () => s.events.filter(e => e.type === 'alarm').length >= 2 * DEVICES.length, 10000, 'live alarms');
    const ids = s.events.filter(e => e.type === 'alarm').map(e => e.id);
    assert.equal(new Set(ids).size, 2 * DEVICES.length, JSON.stringify(ids));
    await s.stop();
  }
  // raw readings around the alarms were kept (each alarm keeps its window)
  assert.ok(Number(dbQuery(a.db, 'SELECT count(*) FROM readings WHERE keep = 1')) > 0);
});
