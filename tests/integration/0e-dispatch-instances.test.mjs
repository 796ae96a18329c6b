// Dispatch with two instances on one PostgreSQL database (src/dispatch_pg.c,
// docs/postgresql.md): a list imported on one routes the other's next case at
// once (the routing generation is a row both read), two imports at once give two
// versions and one active, and the escalation timer runs on the leader only --
// one reminder per phase whichever instance wrote the deadline -- and on the
// survivor once the leader is killed with SIGKILL; the chain verifies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng } from './lib.mjs';
import { pointIn, caseCalls } from './dispatch-lib.mjs';

let a, b, T = {}, D = {};
const on = (srv) => caseCalls({ srv, T });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  a = await startServer({ pg: true });
  b = await startServer({ db: a.db });
  for (const n of ['resident1', 'dispatcher']) T[n] = await a.login(n);
  for (const d of (await a.api('GET', '/api/v1/depts')).json.depts) D[d.code] = d.id;
});
after(async () => {
  await b?.cleanup();
  await a?.cleanup();
});

const importList = (srv, csv, note) =>
  srv.api('POST', `/api/v1/duties/import?note=${note}`, { token: T.dispatcher, body: csv, headers: { 'content-type': 'text/csv' } });

test('a list imported on one instance routes the next case on the other at once', async () => {
  const csv = (await a.api('GET', '/api/v1/duties/csv')).text;
  // each instance's writer keeps the routing context it loaded: both route a
  // case by version 1 first
  for (const srv of [a, b]) {
    const c = await on(srv).report('resident1', { title: '违停', category: '1201', ...pointIn(1, 1) });
    assert.equal((await on(srv).act(c.id, 'register', 'dispatcher')).dept_id, D.jiaotong);
  }
  // 1201 (illegal parking) to the police, on b
  const v2 = csv.replace('D-1201,1201,110101,jiaotong,gongan', 'D-1201,1201,110101,gongan,jiaotong');
  assert.notEqual(v2, csv);
  const ok = await importList(b, v2, 'b');
  assert.equal(ok.status, 201, ok.text);
  // a's next registration routes by it
  const c = await on(a).report('resident1', { title: '违停', category: '1201', ...pointIn(1, 1) });
  const d = await on(a).act(c.id, 'register', 'dispatcher');
  assert.equal(d.dept_id, D.gongan);
  assert.equal((await on(a).get(c.id)).route.list_version, ok.json.version);
  // and back, on a; b routes by that
  const back = await importList(a, csv, 'a');
  assert.equal(back.status, 201, back.text);
  const k = await on(b).report('resident1', { title: '违停', category: '1201', ...pointIn(1, 1) });
  assert.equal((await on(b).act(k.id, 'register', 'dispatcher')).dept_id, D.jiaotong);
});

test('two imports at once on two instances: two versions, the later one the only active', async () => {
  const csv = (await a.api('GET', '/api/v1/duties/csv')).text;
  for (let round = 0; round < 5; round++) {
    const [x, y] = await Promise.all([importList(a, csv, `a${round}`), importList(b, csv, `b${round}`)]);
    assert.equal(x.status, 201, x.text);
    assert.equal(y.status, 201, y.text);
    assert.notEqual(x.json.version, y.json.version);
    const versions = (await b.api('GET', '/api/v1/duties/versions')).json.versions;
    assert.deepEqual(versions.filter((v) => v.active).map((v) => v.version), [Math.max(x.json.version, y.json.version)]);
  }
});

// The timer's entries of a case.
const timerActions = async (srv, id) =>
  (await on(srv).get(id)).timeline.filter((e) => e.actor === 'timer').map((e) => e.action);

async function dueSoon(srv, title, ms) {
  const c = await on(srv).report('resident1', { title, category: '0101', ...pointIn(1, 1) });
  await on(srv).act(c.id, 'register', 'dispatcher');
  await on(srv).act(c.id, 'extend', 'dispatcher', { reason: '测试', deadline: new Date(Date.now() + ms).toISOString() });
  return c.id;
}
// The timer's entries once there are n of them (or ms passed).
async function until(srv, id, n, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(250))
    if ((await timerActions(srv, id)).length >= n) break;
  return timerActions(srv, id);
}

test('the escalation timer runs on the leader once, and on the survivor after the leader is killed', async () => {
  const leaders = [a, b].filter((s) => /now the leader/.test(s.log()));
  assert.equal(leaders.length, 1, a.log() + '\n---\n' + b.log());
  const [leader, other] = leaders[0] === a ? [a, b] : [b, a];
  // written on the instance that does not lead: the leader's timer finds it
  // (its heap is read again when another instance committed): the reminder at
  // 80 %, 超时督办 at the deadline, each once (领导督办 is working hours away)
  const first = await dueSoon(other, '计时甲', 5000);
  assert.deepEqual(await until(other, first, 2, 12000), ['remind', 'escalate']);
  await sleep(1500);
  assert.deepEqual(await timerActions(leader, first), ['remind', 'escalate'], 'once, not once per instance');
  // the leader dies; the survivor takes the lock and runs the timer
  await leader.stop('SIGKILL');
  const second = await dueSoon(other, '计时乙', 5000);
  assert.deepEqual(await until(other, second, 2, 14000), ['remind', 'escalate']);
  assert.match(other.log(), /now the leader/);
  assert.deepEqual(await timerActions(other, first), ['remind', 'escalate']);
  await other.stop();
  const v = jiceng(['audit', 'verify', '--db', a.db]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});
