// Automatic dispatch as the case lists show it (ownerless cases, a grid
// worker's verifications, the overdue queue: module caselist), escalation found
// again after a restart, and the escalation timer reading a write of another
// program.  The rest of dispatch is in 06-dispatch, which runs on both backends;
// this file joins the PostgreSQL pass once caselist runs there -- but for its
// last test: on PostgreSQL an instance learns of other instances' commits (their
// NOTIFY, docs/postgresql.md), not of any program's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng, dbQuery } from './lib.mjs';
import { pointIn, dispatchServer, caseCalls } from './dispatch-lib.mjs';

let srv, T, D; // the server and tokens (dispatch-lib.mjs)
const x = dispatchServer(() => ({ srv, T, D } = x));
const { report, act, get } = caseCalls(x);

test('no entry: the case waits as ownerless and shows in the missing report', async () => {
  const c = await report('resident1', { title: '其他', category: '9901', ...pointIn(1, 1) });
  const r = await act(c.id, 'register', 'dispatcher');
  assert.equal(r.state, 'registered');
  assert.ok(r.flags.includes('ownerless'));
  const q = await srv.api('GET', '/api/v1/cases?state=registered', { token: T.dispatcher });
  assert.ok(q.json.cases.some(k => k.id === c.id && k.flags.includes('ownerless')));
  const miss = await srv.api('GET', '/api/v1/duties/missing', { token: T.dispatcher });
  assert.ok(miss.json.missing.some(m => m.category === '9901' && m.ownerless_open_cases >= 1));
  const auto = await srv.api('POST', `/api/v1/cases/${c.id}/dispatch`, { token: T.dispatcher, body: {} });
  assert.equal(auto.status, 409, 'automatic dispatch without an entry is refused');
  const manual = await act(c.id, 'dispatch', 'dispatcher', { dept_id: D.wuye });
  assert.equal(manual.dept_id, D.wuye);
  assert.ok(!manual.flags.includes('ownerless'));
  assert.equal((await get(c.id)).route.manual, 1);
});

test('verification goes to the grid worker on duty', async () => {
  const mk = async () => {
    const c = await report('resident1', { title: '占道', category: '0101', ...pointIn(1, 1) });
    await act(c.id, 'register', 'dispatcher');
    await act(c.id, 'accept', 'dept_chengguan');
    return act(c.id, 'feedback', 'dept_chengguan', { note: '已清理' });
  };
  const worker1 = (await srv.api('GET', '/api/v1/me', { token: T.worker1 })).json.id;
  assert.equal((await mk()).assignee_id, worker1);
  assert.equal((await srv.api('POST', '/api/v1/me/duty', { token: T.worker1, body: { on_duty: false } })).status, 200);
  assert.notEqual((await mk()).assignee_id, worker1);
  await srv.api('POST', '/api/v1/me/duty', { token: T.worker1, body: { on_duty: true } });
  const mine = await srv.api('GET', '/api/v1/cases?state=feedback', { token: T.worker1 });
  assert.ok(mine.json.cases.length >= 2);
});

test('escalation: a reminder at 80 %, then overdue found again after a restart', async () => {
  const c = await report('resident1', { title: '占道', category: '0101', ...pointIn(1, 1) });
  await act(c.id, 'register', 'dispatcher');
  await act(c.id, 'extend', 'dispatcher', { reason: '测试', deadline: new Date(Date.now() + 12000).toISOString() });
  await new Promise(r => setTimeout(r, 11000)); // 80 % of ~12 s is 9.6 s, plus a tick; the deadline is 1 s away
  let k = await get(c.id);
  assert.ok(k.flags.includes('reminded'), JSON.stringify(k.flags));
  assert.ok(!k.flags.includes('overdue'));
  assert.equal(k.timeline.at(-1).action, 'remind');
  await srv.stop();
  await new Promise(r => setTimeout(r, 1500)); // the deadline passes while the server is down
  const again = await startServer({ db: srv.db, dir: srv.dir, port: srv.port });
  await new Promise(r => setTimeout(r, 1500));
  const t = await again.login('supervisor');
  k = (await again.api('GET', `/api/v1/cases/${c.id}`, { token: t })).json;
  assert.ok(k.flags.includes('overdue'), JSON.stringify(k.flags));
  assert.equal(k.escalation, 0, "the timer's 超时督办 is a level of the phase, not a supervisor's 督办");
  assert.equal(k.phases.at(-1).level, 1);
  assert.equal(k.timeline.at(-1).action, 'escalate');
  assert.equal(k.timeline.at(-1).actor, 'timer');
  const queue = await again.api('GET', '/api/v1/cases?overdue=1', { token: t });
  assert.ok(queue.json.cases.some(x => x.id === c.id));
  await again.stop();
  const v = jiceng(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout);
  x.srv = srv = await startServer({ db: srv.db, dir: srv.dir }); // for after()
});

test('the escalation timer: extended, re-extended, suspended, resumed, and changed by another program', async () => {
  // The ticker finds due phases in a heap in memory; each write of when a
  // phase is next due must reach it, and an entry a later write superseded
  // must not fire.  (The server started with the test before: its ticker
  // reads the heap from the table at its first tick, within a second.)
  await new Promise(r => setTimeout(r, 1500));
  const mk = async (title) => {
    const c = await report('resident1', { title, category: '0101', ...pointIn(1, 1) });
    await act(c.id, 'register', 'dispatcher');
    return c.id;
  };
  const soon = (ms) => ({ reason: '测试', deadline: new Date(Date.now() + ms).toISOString() });
  // reminded, or already past the deadline (临期 gives way to 逾期)
  const reminded = async (id) => (await get(id)).flags.some((f) => f === 'reminded' || f === 'overdue');
  const until = async (id) => {
    for (let i = 0; i < 40 && !(await reminded(id)); i++) await new Promise(r => setTimeout(r, 250));
    return get(id);
  };
  const [a, b, e, o] = [await mk('计时A'), await mk('计时B'), await mk('计时E'), await mk('计时O')];
  await act(a, 'extend', 'dispatcher', soon(5000)); // reminded at ~80 %: ~4 s from now
  await act(b, 'extend', 'dispatcher', soon(5000));
  await act(b, 'extend', 'dispatcher', soon(3600000)); // supersedes b's ~4 s entry
  await act(e, 'extend', 'dispatcher', soon(5000));
  await act(e, 'suspend', 'dispatcher', { reason: '等待配合' });
  await new Promise(r => setTimeout(r, 6000));
  assert.ok(await reminded(a), 'a: ' + JSON.stringify(await get(a)));
  assert.ok(!(await reminded(b)), 'b was extended again: its first entry is stale');
  assert.ok(!(await reminded(e)), 'e is suspended');
  // another program sets when o is next due: the server reads the phases again
  // (on PostgreSQL a program announces its write as docs/postgresql.md says:
  // NOTIFY jiceng_commit in its transaction -- psql -c runs both in one)
  const due = `UPDATE case_phase SET next_at = ${Date.now() - 1000} WHERE case_id = ${o} AND end_at IS NULL`;
  dbQuery(srv.db, srv.db.startsWith('postgresql://') ? `${due}; NOTIFY jiceng_commit, 'tool'` : due);
  let k = await until(o);
  assert.ok(await reminded(o), 'o: ' + JSON.stringify(k));
  // resumed, e's deadline moves by the time it was suspended; its 80 %
  // point (~4 s after its extension plus the pause) has passed: reminded
  await act(e, 'resume', 'dispatcher');
  k = await until(e);
  assert.ok(await reminded(e), JSON.stringify(k));
  assert.ok(k.timeline.some((x) => x.action === 'remind' && x.actor === 'timer'), JSON.stringify(k.timeline));
  assert.ok(!(await reminded(b)));
});

