// Two instances on one PostgreSQL database share one mosquitto's readings
// (--mqtt-share g, each with its own client id and persistent session), and one
// of them is killed with SIGKILL twice while the readings arrive and started
// again under its client id; the other is never stopped.  When the publishers
// are done and both have caught up, the devices' minute aggregates count exactly
// N: nothing the killed instance had received but not committed is lost (its
// PUBACK had not left; the broker sends it again to the same session), nothing
// committed but not acknowledged is counted twice (the keys of sensor_seen, in
// the database both instances write), and the survivor went on taking its share
// throughout.  docs/sensors.md "Several instances".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, freePort, dbQuery } from './lib.mjs';
import { waitFor, startBroker, publishReadings, waitSettled } from './mqtt-kill-lib.mjs';

process.env.JICENG_SENSOR_MANUAL_TICK = '1'; // the minute rows (res 60000) hold every reading
const DEVICES = 4, PER = 5000, N = DEVICES * PER;
let broker, brokerPort, dir, a, b, db;

const mqtt = id => ['--mqtt', `mqtt://127.0.0.1:${brokerPort}`, '--mqtt-share', 'g', '--mqtt-client-id', `jiceng-share-${id}-${brokerPort}`];
const counted = () => Number(dbQuery(db,
  "SELECT coalesce(sum(n),0) FROM reading_agg WHERE device LIKE 'share-%' AND metric='v' AND res=60000"));
const connections = s => (s.log().match(/mqtt: connected to/g) || []).length;
// readings this instance's process took (its own counter, since it started)
const taken = async (s, tok) => (await s.api('GET', '/api/v1/sensor/stats', { token: tok })).json.readings;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jiceng-sharekill-'));
  brokerPort = await freePort();
  broker = startBroker(dir, brokerPort);
  await waitFor(() => spawnSync('mosquitto_pub', ['-p', String(brokerPort), '-h', '127.0.0.1', '-t', 'probe', '-m', 'x']).status === 0, 5000, 'broker');
  a = await startServer({ pg: true, extraArgs: mqtt('a') });
  db = a.db;
  b = await startServer({ db, extraArgs: mqtt('b') });
});
after(async () => {
  await b?.cleanup();
  await a?.cleanup();
  broker?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test(`two instances share ${N} QoS 1 readings; one killed twice: exactly ${N} counted`, { timeout: 240000 }, async t => {
  const admin = await b.login('admin');
  for (let d = 0; d < DEVICES; d++) {
    const r = await b.api('POST', '/api/v1/devices', { token: admin, body: { id: `share-${d}`, type: 'generic', grid: '110101001001001' } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  await waitFor(() => connections(a) >= 1 && connections(b) >= 1, 10000, 'both subscribed to the shared group');
  const pubs = publishReadings(brokerPort, 'share', DEVICES, PER);
  let finished = false;
  const allDone = pubs.then(r => { finished = true; return r; });

  const kills = [];
  const tokB = admin;
  for (const frac of [0.2, 0.5]) {
    await waitFor(() => counted() >= N * frac || finished, 90000, `${frac * 100}% of the readings stored`);
    kills.push({ at: counted(), publishing: !finished });
    await a.stop('SIGKILL');
    a = await startServer({ db, dir: a.dir, extraArgs: mqtt('a') });
    await waitFor(() => connections(a) >= 1, 10000, 'a reconnects under its client id');
  }
  const results = await allDone;
  for (const r of results) assert.equal(r.code, 0, 'mosquitto_pub: ' + r.err);
  // the first kill came while readings were still on their way (the publishers may be done
  // first; the broker then holds the rest: what was in flight at the kill is tested alike)
  assert.ok(kills[0].at < N, 'the first kill came before every reading was stored: ' + JSON.stringify(kills));
  // caught up: the count reaches N (or stops moving for 4 s; then it is wrong)
  await waitSettled(counted, N, 4000, 700);
  const got = counted();
  const perDev = dbQuery(db, "SELECT device, sum(n) FROM reading_agg WHERE device LIKE 'share-%' AND metric='v' AND res=60000 GROUP BY device ORDER BY device");
  assert.equal(got, N, `stored ${got} of ${N} readings (kills at ${JSON.stringify(kills)}; per device ${perDev.replace(/\n/g, ', ')})`);
  for (let d = 0; d < DEVICES; d++) assert.match(perDev, new RegExp(`share-${d}\\|${PER}\\b`), 'per device: ' + perDev);
  // the survivor took its share all along, and was never restarted
  const tookB = await taken(b, tokB);
  assert.ok(tookB > 0 && tookB < N, `b took ${tookB} of ${N}`);
  assert.equal(b.proc.exitCode, null, 'b alive');
  const dupsA = (await a.api('GET', '/api/v1/sensor/stats', { token: await a.login('admin') })).json.duplicates;
  t.diagnostic(`kills at ${JSON.stringify(kills)}; b took ${tookB}; a skipped ${dupsA} redelivered since its last start`);
});
