// mqtt-kill-lib.mjs -- what the two kill-while-publishing tests (0e-mqtt-kill,
// 0e-mqtt-share-kill) share: a broker with no queue limit, QoS 1 publishers with
// distinct timestamps, and the wait for a count to stop moving.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const sleep = ms => new Promise(r => setTimeout(r, ms));

export async function waitFor(fn, ms, what) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) { last = await fn(); if (last) return last; await sleep(50); }
  throw new Error('timed out waiting for ' + what + ': ' + JSON.stringify(last));
}

// A mosquitto on 127.0.0.1:port that holds every message for a session (no queue limit).
export function startBroker(dir, port) {
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
  return spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
}

// One QoS 1 publisher per device `${prefix}-${d}`, each sending per readings with
// distinct timestamps (an hour ago, 7 ms apart). Resolves to [{code, err}] when all exit.
export function publishReadings(port, prefix, devices, per) {
  const base = Date.now() - 3600e3;
  const pubs = [];
  for (let d = 0; d < devices; d++) {
    const p = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-i', `${prefix}-pub-${d}-${port}`,
      '-t', `jiceng/v1/readings/${prefix}-${d}`, '-l'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', x => { err += x; });
    pubs.push(new Promise(r => p.once('exit', code => r({ code, err }))));
    const lines = [];
    for (let i = 0; i < per; i++) lines.push(`{"ts":${base + i * 7},"values":{"v":${i % 100}}}`);
    p.stdin.end(lines.join('\n') + '\n');
  }
  return Promise.all(pubs);
}

// Caught up: waits until count() reaches n or stops moving for quietMs (then it is
// wrong, and the caller's assertion says so), then settleMs more: anything counted
// after that would be a double.
export async function waitSettled(count, n, quietMs, settleMs) {
  let last = -1, still = Date.now();
  while (Date.now() - still < quietMs) {
    const c = count();
    if (c === n) break;
    if (c !== last) { last = c; still = Date.now(); }
    await sleep(100);
  }
  await sleep(settleMs);
}
