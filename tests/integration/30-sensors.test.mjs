// Sensors: device registry, HTTP and MQTT ingestion against a real mosquitto,
// every alarm rule kind (threshold with hysteresis, rate, inactivity across
// midnight, offline, battery), flood suppression, grouping into one case,
// silences, ack/clear with the clear recorded on the case, broker restart and
// the persistent session's queue, hostile payloads.
// The sensor ticker is driven by POST /api/v1/sensor/tick {"now"}
// (JICENG_SENSOR_MANUAL_TICK=1 turns the automatic one off).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, freePort } from './lib.mjs';

process.env.JICENG_SENSOR_MANUAL_TICK = '1';
let srv, broker, brokerPort, dir, T = {}, clientId;
const G1 = '110101001001001', G2 = '110101001002001', G3 = '110101001005001';
const sleep = ms => new Promise(r => setTimeout(r, ms));
const H = 3600e3, MIN = 60e3;
// A local (Asia/Shanghai) wall-clock time `daysAgo` days back, as UTC ms.
function local(daysAgo, hh, mm = 0) {
  const d = new Date(Date.now() + 8 * H);
  const base = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - 8 * H;
  return base - daysAgo * 24 * H + hh * H + mm * MIN;
}
const iso = ms => new Date(ms).toISOString();

function startBroker() {
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
  const p = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  return p;
}
async function waitPort(port, ms = 5000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const r = spawnSync('mosquitto_pub', ['-p', String(port), '-h', '127.0.0.1', '-t', 'probe', '-m', 'x']);
    if (r.status === 0) return;
    await sleep(100);
  }
  throw new Error('broker did not start');
}
function pub(topic, msg, qos = 1) {
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(brokerPort), '-q', String(qos), '-t', topic, '-s'], { input: msg });
  assert.equal(r.status, 0, r.stderr?.toString());
}
function pubLines(topic, lines) {
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(brokerPort), '-q', '1', '-t', topic, '-l'], { input: lines.join('\n') + '\n' });
  assert.equal(r.status, 0, r.stderr?.toString());
}
async function waitFor(fn, ms = 10000, what = 'condition') {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) { last = await fn(); if (last) return last; await sleep(50); }
  throw new Error('timed out waiting for ' + what + ': ' + JSON.stringify(last));
}
const api = (m, p, body, who = 'admin') => srv.api(m, p, { token: T[who], body });
async function device(id, type, grid = G1, extra = {}) {
  const r = await api('POST', '/api/v1/devices', { id, type, grid, lon: 116.39, lat: 39.91, ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}
async function readings(list, who = 'admin') {
  const r = await api('POST', '/api/v1/readings', { readings: list }, who);
  return r;
}
async function alarmsOf(dev, state = '') {
  const r = await api('GET', `/api/v1/alarms?device=${dev}${state ? '&state=' + state : ''}`);
  assert.equal(r.status, 200);
  return r.json.alarms;
}
const tick = now => api('POST', '/api/v1/sensor/tick', { now: iso(now) });
async function stats() { return (await srv.api('GET', '/api/v1/sensor/stats')).json; }
async function caseOf(id) { const r = await api('GET', `/api/v1/cases/${id}`); assert.equal(r.status, 200); return r.json; }

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jiceng-mqtt-'));
  brokerPort = await freePort();
  broker = startBroker();
  await waitPort(brokerPort);
  clientId = 'jiceng-test-' + brokerPort;
  srv = await startServer({ extraArgs: ['--mqtt', `mqtt://127.0.0.1:${brokerPort}`, '--mqtt-client-id', clientId] });
  for (const n of ['admin', 'dispatcher', 'community1', 'community2', 'resident1']) T[n] = await srv.login(n);
});
after(async () => {
  await srv?.cleanup();
  broker?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('device registry: create, scope, validation, personal data refused', async () => {
  const d = await device('reg-smoke-1', 'smoke', G1, { person_label: '张**', heartbeat_s: 120 });
  assert.match(d.token, /^[0-9a-f]{64}$/);
  assert.equal(d.person_label, '张**');
  assert.equal((await api('POST', '/api/v1/devices', { id: 'reg-smoke-1', type: 'smoke', grid: G1 })).status, 409);
  assert.equal((await api('POST', '/api/v1/devices', { id: 'x1', type: 'toaster', grid: G1 })).status, 400);
  assert.equal((await api('POST', '/api/v1/devices', { id: 'x2', type: 'smoke', grid: '999' })).status, 400);
  assert.equal((await api('POST', '/api/v1/devices', { id: 'x3', type: 'smoke', grid: G1, person_ref: '11010119900307803X' })).status, 400);
  assert.equal((await api('POST', '/api/v1/devices', { id: 'bad id!', type: 'smoke', grid: G1 })).status, 400);
  assert.equal((await api('POST', '/api/v1/devices', { id: 'x4', type: 'smoke', grid: G1, lon: 500, lat: 0 })).status, 400);
  assert.equal((await api('GET', '/api/v1/devices', undefined, 'resident1')).status, 403);
  await device('reg-smoke-2', 'smoke', G2);
  const c1 = await api('GET', '/api/v1/devices', undefined, 'community1');
  assert.equal(c1.status, 200);
  assert.ok(c1.json.devices.some(x => x.id === 'reg-smoke-1'));
  assert.ok(!c1.json.devices.some(x => x.id === 'reg-smoke-2'), 'community1 must not see community2 devices');
  assert.equal((await api('GET', '/api/v1/devices/reg-smoke-2', undefined, 'community1')).status, 404);
  const put = await api('PUT', '/api/v1/devices/reg-smoke-1', { label: '3号楼2单元' });
  assert.equal(put.status, 200);
  assert.equal(put.json.label, '3号楼2单元');
  assert.equal(put.json.person_label, '张**');
  // A device token may post its own readings only.
  const ok = await srv.api('POST', '/api/v1/readings', { body: { device: 'reg-smoke-1', values: { smoke: 0 } }, headers: { 'x-device-token': d.token } });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  const other = await srv.api('POST', '/api/v1/readings', { body: { device: 'reg-smoke-2', values: { smoke: 0 } }, headers: { 'x-device-token': d.token } });
  assert.equal(other.status, 401);
  assert.equal((await srv.api('POST', '/api/v1/readings', { body: { device: 'reg-smoke-1', values: { smoke: 0 } } })).status, 401);
  assert.equal((await api('DELETE', '/api/v1/devices/reg-smoke-2')).status, 200);
  assert.equal((await api('GET', '/api/v1/devices/reg-smoke-2')).status, 404);
});

test('threshold with hysteresis; alarm opens a case; the clear is recorded on the case', async () => {
  await device('wl-1', 'water_level', G1);
  const t0 = Date.now() - 10 * MIN;
  let r = await readings([{ device: 'wl-1', ts: iso(t0), values: { level: 12 } }]);
  assert.equal(r.json.accepted, 1);
  assert.equal((await alarmsOf('wl-1')).length, 0);
  await readings([{ device: 'wl-1', ts: iso(t0 + 5 * MIN), values: { level: 31 } }]); // rate 3.8/min < 5
  let a = await alarmsOf('wl-1', 'active');
  assert.equal(a.length, 1);
  assert.equal(a[0].kind, 'threshold');
  assert.equal(a[0].category, '0501');
  assert.ok(a[0].case_id);
  await readings([{ device: 'wl-1', ts: iso(t0 + 6 * MIN), values: { level: 25 } }]);
  assert.equal((await alarmsOf('wl-1', 'active')).length, 1, 'between low and high the alarm stays');
  await readings([{ device: 'wl-1', ts: iso(t0 + 7 * MIN), values: { level: 20 } }]);
  assert.equal((await alarmsOf('wl-1', 'active')).length, 0);
  const cleared = await alarmsOf('wl-1', 'cleared');
  assert.equal(cleared.length, 1);
  const k = await caseOf(cleared[0].case_id);
  assert.equal(k.source, 'sensor');
  assert.equal(k.category, '0501');
  assert.equal(k.area, G1);
  assert.ok(['registered', 'dispatched'].includes(k.state), k.state);
  assert.ok(k.timeline.some(e => e.action === 'alarm_cleared'), JSON.stringify(k.timeline));
});

test('rate of change raises; battery low raises without a case', async () => {
  await device('gas-1', 'gas', G1);
  const t0 = Date.now() - 5 * MIN;
  await readings([{ device: 'gas-1', ts: iso(t0), values: { gas: 1 } }, { device: 'gas-1', ts: iso(t0 + MIN), values: { gas: 12, battery: 15 } }]);
  const a = await alarmsOf('gas-1', 'active');
  const kinds = a.map(x => x.kind).sort();
  assert.deepEqual(kinds, ['battery', 'rate'], JSON.stringify(a));
  assert.equal(a.find(x => x.kind === 'battery').case_id, null);
  assert.ok(a.find(x => x.kind === 'rate').case_id);
  assert.equal(a.find(x => x.kind === 'rate').category, '0701');
});

test('flood suppression: 100 repeats make one alarm with count 100', async () => {
  await device('smk-flood', 'smoke', G3);
  const t0 = Date.now() - 60e3;
  const list = Array.from({ length: 100 }, (_, i) => ({ device: 'smk-flood', ts: iso(t0 + i * 100), values: { smoke: 1 } }));
  const r = await readings(list);
  assert.equal(r.json.accepted, 100);
  const a = await alarmsOf('smk-flood');
  assert.equal(a.length, 1);
  assert.equal(a[0].count, 100);
  assert.equal(a[0].state, 'active');
});

test('grouping: three devices in one grid make one case', async () => {
  const now = Date.now() - 30e3;
  for (const i of [1, 2, 3]) await device(`grp-${i}`, 'ebike_charging', '110101001002002');
  for (const i of [1, 2, 3]) await readings([{ device: `grp-${i}`, ts: iso(now + i * 1000), values: { current: 12 } }]);
  const cases = new Set();
  for (const i of [1, 2, 3]) { const a = await alarmsOf(`grp-${i}`, 'active'); assert.equal(a.length, 1); cases.add(a[0].case_id); }
  assert.equal(cases.size, 1, 'one case for the grid');
  const k = await caseOf([...cases][0]);
  assert.equal(k.category, '0602');
  assert.equal(k.timeline.filter(e => e.action === 'alarm_grouped').length, 2);
});

test('silences suppress alarms and are counted', async () => {
  await device('noise-1', 'noise', '110101001005002');
  const s = await api('POST', '/api/v1/silences', { grid: '110101001005002', reason: '管道维修', until: iso(Date.now() + H) });
  assert.equal(s.status, 201, JSON.stringify(s.json));
  assert.equal((await api('POST', '/api/v1/silences', { reason: 'x', until: iso(Date.now() + H) })).status, 400);
  assert.equal((await api('POST', '/api/v1/silences', { grid: G1, reason: 'x', until: iso(Date.now() + H) }, 'community2')).status, 403);
  await readings([{ device: 'noise-1', values: { db: 85 } }]);
  assert.equal((await alarmsOf('noise-1')).length, 0);
  const list = await api('GET', '/api/v1/silences');
  assert.equal(list.json.silences.find(x => x.id === s.json.id).suppressed, 1);
  assert.equal((await api('DELETE', `/api/v1/silences/${s.json.id}`)).status, 200);
  await readings([{ device: 'noise-1', values: { db: 86 } }]);
  assert.equal((await alarmsOf('noise-1', 'active')).length, 1);
});

test('ack and clear: lifecycle and refusals', async () => {
  const [a] = await alarmsOf('noise-1', 'active');
  assert.equal((await api('POST', `/api/v1/alarms/${a.id}/ack`, {}, 'resident1')).status, 403);
  assert.equal((await api('POST', `/api/v1/alarms/${a.id}/ack`, {}, 'community1')).status, 404, 'outside community1');
  let r = await api('POST', `/api/v1/alarms/${a.id}/ack`, {}, 'dispatcher');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.state, 'acknowledged');
  assert.equal((await api('POST', `/api/v1/alarms/${a.id}/ack`, {})).status, 409);
  await readings([{ device: 'noise-1', values: { db: 90 } }]);
  assert.equal((await alarmsOf('noise-1', 'acknowledged'))[0].count, 2, 'repeat on the acknowledged alarm');
  r = await api('POST', `/api/v1/alarms/${a.id}/clear`, { reason: '已处置' });
  assert.equal(r.status, 200);
  assert.equal(r.json.state, 'cleared');
  assert.equal((await api('POST', `/api/v1/alarms/${a.id}/clear`, {})).status, 409);
  const k = await caseOf(a.case_id);
  assert.ok(k.timeline.some(e => e.action === 'alarm_cleared' && /已处置/.test(e.reason ?? '')), JSON.stringify(k.timeline));
});

test('offline after k x interval from the ticker; back online clears it', async () => {
  await device('door-off', 'door_contact', G1, { heartbeat_s: 60 });
  const t0 = local(3, 12);
  await readings([{ device: 'door-off', ts: iso(t0), values: { door: 1 } }]);
  await tick(t0 + 179e3);
  assert.equal((await alarmsOf('door-off')).filter(a => a.kind === 'offline').length, 0);
  const r = await tick(t0 + 181e3);
  assert.equal(r.status, 200);
  const off = (await alarmsOf('door-off', 'active')).filter(a => a.kind === 'offline');
  assert.equal(off.length, 1);
  assert.equal((await api('GET', '/api/v1/devices/door-off')).json.online, false);
  pub('jiceng/v1/heartbeat/door-off', JSON.stringify({ ts: iso(t0 + 200e3) }));
  await waitFor(async () => (await alarmsOf('door-off', 'active')).filter(a => a.kind === 'offline').length === 0, 10000, 'heartbeat clears offline');
  assert.equal((await api('GET', '/api/v1/devices/door-off')).json.online, true);
});

test('inactivity with a window across midnight opens a visit case', async () => {
  await device('door-night', 'door_contact', G1, { heartbeat_s: 86400, person_label: '李奶奶' });
  const bad = await api('POST', '/api/v1/alarm-rules', { type: 'door_contact', device: 'door-night', metric: 'door', kind: 'inactivity', from: '25:00', to: '06:00', duration_s: 14400 });
  assert.equal(bad.status, 400);
  const rule = await api('POST', '/api/v1/alarm-rules', { type: 'door_contact', device: 'door-night', metric: 'door', kind: 'inactivity', from: '22:00', to: '06:00', duration_s: 4 * 3600, severity: 'major', name: '夜间4小时无开门' });
  assert.equal(rule.status, 201, JSON.stringify(rule.json));
  const opened = local(2, 21); // 21:00, two days ago
  await readings([{ device: 'door-night', ts: iso(opened), values: { door: 1 } }]);
  await tick(local(1, 1));  // 01:00: 3 h inside the window
  assert.equal((await alarmsOf('door-night')).length, 0);
  await tick(local(1, 2, 1)); // 02:01: 4 h 1 min inside
  const a = await alarmsOf('door-night', 'active');
  assert.equal(a.length, 1, JSON.stringify(a));
  assert.equal(a[0].rule_id, rule.json.id, 'the device override replaces the type rule');
  assert.equal(a[0].category, '0901');
  const k = await caseOf(a[0].case_id);
  assert.match(k.body, /李奶奶/);
  assert.match(k.body, /长时间无活动，门磁 5 小时）/, "the silence since the door last opened (21:00) in whole hours, not 5.01667: " + k.body);
  await tick(local(1, 3));
  assert.equal((await alarmsOf('door-night')).length, 1, 'no second alarm while active');
  await readings([{ device: 'door-night', ts: iso(local(1, 7)), values: { door: 1 } }]);
  assert.equal((await alarmsOf('door-night', 'active')).length, 0);
});

test('alarm rules API validates and is restricted', async () => {
  const bodies = [
    { type: 'toaster', metric: 'x', kind: 'threshold', high: 2, low: 1 },
    { type: 'smoke', metric: 'level', kind: 'threshold', high: 2, low: 1 },
    { type: 'smoke', metric: 'smoke', kind: 'threshold', high: 1, low: 1 },
    { type: 'smoke', metric: 'smoke', kind: 'frobnicate' },
    { type: 'door_contact', metric: 'door', kind: 'inactivity', duration_s: 60, from: '07:00' },
    { type: 'smoke', metric: 'smoke', kind: 'threshold', high: 2, low: 1, category: '9999' },
    { type: 'smoke', metric: 'smoke', kind: 'threshold', high: 2, low: 1, severity: 'apocalyptic' },
    { type: 'smoke', metric: 'smoke', kind: 'threshold', high: 2, low: 1, nonsense: 1 },
  ];
  for (const b of bodies) assert.equal((await api('POST', '/api/v1/alarm-rules', b)).status, 400, JSON.stringify(b));
  assert.equal((await api('POST', '/api/v1/alarm-rules', bodies[2], 'community1')).status, 403);
  const ok = await api('POST', '/api/v1/alarm-rules', { type: 'generic', metric: 'pm25', kind: 'threshold', high: 150, low: 100, category: '0302', severity: 'minor' });
  assert.equal(ok.status, 201);
  const up = await api('PUT', `/api/v1/alarm-rules/${ok.json.id}`, { low: 200 });
  assert.equal(up.status, 400, 'low >= high after the merge');
  const up2 = await api('PUT', `/api/v1/alarm-rules/${ok.json.id}`, { high: 160 });
  assert.equal(up2.status, 200);
  assert.equal(up2.json.high, 160);
  const list = await api('GET', '/api/v1/alarm-rules');
  assert.ok(list.json.rules.length > 16);
  assert.equal((await api('DELETE', `/api/v1/alarm-rules/${ok.json.id}`)).status, 200);
  assert.equal((await api('DELETE', `/api/v1/alarm-rules/${ok.json.id}`)).status, 404);
});

test('MQTT: per-device topic, batch topic, hostile payloads counted, ingestion continues', async () => {
  await device('mq-1', 'smoke', G1);
  await device('mq-2', 'smoke', G1);
  const before = await stats();
  pub('jiceng/v1/readings/mq-1', JSON.stringify({ ts: Date.now(), values: { smoke: 0, battery: 90 } }));
  pub('jiceng/v1/readings', JSON.stringify({ readings: [{ device: 'mq-1', values: { smoke: 0 } }, { device: 'mq-2', values: { smoke: 0 } }] }));
  await waitFor(async () => (await stats()).readings >= before.readings + 3, 10000, 'mqtt readings');
  const hostile = [
    ['jiceng/v1/readings/mq-1', '{"values": {"smoke": 1', 'malformed_json'],
    ['jiceng/v1/readings/mq-1', '{"values": {"smoke": "yes"}}', 'wrong_type'],
    ['jiceng/v1/readings/mq-1', '{"values": {"smoke": NaN}}', 'non_finite'],
    ['jiceng/v1/readings/mq-1', '{"values": {"smoke": 1e999}}', 'out_of_range'],
    ['jiceng/v1/readings/mq-1', '{"values": {"battery": 400}}', 'out_of_range'],
    ['jiceng/v1/readings/ghost-device', '{"values": {"smoke": 1}}', 'unknown_device'],
    ['jiceng/v1/readings/mq-1', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_utf8'],
    ['jiceng/v1/readings/mq-1', '{"values": {"smoke": 0}, "pad": "' + 'x'.repeat(100000) + '"}', 'too_large'],
    ['jiceng/v1/readings/mq-1', '{"ts": "yesterday", "values": {"smoke": 0}}', 'bad_time'],
  ];
  const want = {};
  for (const [, , reason] of hostile) want[reason] = (want[reason] ?? 0) + 1;
  for (const [t, m] of hostile) pub(t, m);
  await waitFor(async () => {
    const s = await stats();
    return Object.entries(want).every(([k, n]) => s.rejected[k] - before.rejected[k] >= n) && s;
  }, 10000, 'rejections counted');
  // Still ingesting, and an alarm from MQTT.
  pub('jiceng/v1/readings/mq-2', JSON.stringify({ values: { smoke: 1 } }));
  await waitFor(async () => (await alarmsOf('mq-2', 'active')).length === 1, 10000, 'mqtt alarm');
  const m = await srv.api('GET', '/api/v1/sensor/metrics');
  assert.match(m.text, /jiceng_readings_rejected_total\{reason="invalid_utf8"\} [1-9]/);
  // HTTP: the same refusals answer 400 with the count.
  const h = await srv.api('POST', '/api/v1/readings', { token: T.admin, body: '{"device":"mq-1","values":{"smoke":NaN}}' });
  assert.equal(h.status, 400);
  assert.equal(srv.proc.exitCode, null, 'server alive');
});

test('broker restart: reconnect, resubscribe; the persistent session queues while the server is away', async () => {
  await device('mq-restart', 'noise', G1);
  broker.kill('SIGKILL');
  await new Promise(r => broker.once('exit', r));
  broker = startBroker();
  await waitPort(brokerPort);
  // Wait for the reconnect + resubscribe: probe until a reading arrives.
  let s0 = await stats();
  await waitFor(async () => { pub('jiceng/v1/readings/mq-restart', '{"values":{"db":40}}'); await sleep(200); return (await stats()).readings > s0.readings; }, 20000, 'reconnect');
  await sleep(300);
  s0 = await stats();
  pubLines('jiceng/v1/readings/mq-restart', Array.from({ length: 50 }, () => '{"values":{"db":41}}'));
  await waitFor(async () => (await stats()).readings - s0.readings === 50, 10000, '50 readings after broker restart');
  // Server away: QoS 1 messages wait in its session (clean_session false).
  await srv.stop();
  pubLines('jiceng/v1/readings/mq-restart', Array.from({ length: 40 }, () => '{"values":{"db":42}}'));
  const again = await startServer({ db: srv.db, dir: srv.dir, extraArgs: ['--mqtt', `mqtt://127.0.0.1:${brokerPort}`, '--mqtt-client-id', clientId] });
  const old = srv;
  srv = again;
  srv.cleanup = async () => { await again.stop(); rmSync(old.dir, { recursive: true, force: true }); };
  const got = await waitFor(async () => { const s = await stats(); return s.readings >= 40 && s; }, 15000, 'queued messages');
  await sleep(500);
  assert.equal((await stats()).readings, 40, 'exactly the 40 queued readings');
});
