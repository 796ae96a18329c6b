// Failover (docs/postgresql.md): two jiceng instances on one PostgreSQL database of
// the run's cluster, clients reporting cases to both; the leader (the one running the
// periodic work) is killed with SIGKILL under that load. Every case either instance
// acknowledged (201) is there, the survivor takes the leader lock within seconds and
// goes on answering, the one audit chain verifies and the dashboard's counters add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, jiceng } from './lib.mjs';

const exited = proc => (proc.exitCode !== null || proc.signalCode !== null)
  ? Promise.resolve()
  : new Promise(res => proc.once('exit', () => res()));
const until = async (cond, ms, what) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise(r => setTimeout(r, 50));
  }
};

test('kill -9 the leader under load: nothing acknowledged is lost, the survivor leads, the chain verifies', async (t) => {
  const a = await startServer({ pg: true });
  let b = null, stop = false;
  try {
    await until(() => /now the leader/.test(a.log()), 10000, 'the first instance to lead');
    b = await startServer({ db: a.db });
    assert.doesNotMatch(b.log(), /now the leader/);
    const tok = await a.login('dispatcher'); // a session row: both instances take it
    const acked = [];
    const client = srv => async () => {
      while (!stop) {
        try {
          const r = await srv.api('POST', '/api/v1/cases', { token: tok, body: { title: '压力测试', category: '9901', area: '110101001001001' } });
          if (r.status === 201) acked.push(r.json.id);
        } catch { if (srv === a || stop) return; } // a's connections die with it
      }
    };
    const clients = [...Array.from({ length: 16 }, client(a)), ...Array.from({ length: 16 }, client(b))];
    await new Promise(r => setTimeout(r, 1000));
    const before = acked.length;
    const killedAt = Date.now();
    a.proc.kill('SIGKILL');
    await exited(a.proc);
    // the survivor takes the periodic work over and keeps acknowledging reports
    await until(() => /now the leader/.test(b.log()), 10000, 'the survivor to lead');
    const takeover = Date.now() - killedAt;
    await until(() => acked.length > before + 20, 10000, 'reports acknowledged after the kill');
    stop = true;
    await Promise.all(clients);
    assert.ok(before > 20, `only ${before} reports acknowledged before the kill`);
    assert.ok(takeover < 5000, `the survivor led ${takeover} ms after the kill`);
    t.diagnostic(`${before} reports acknowledged before the kill, ${acked.length} in all; the survivor led ${takeover} ms after it`);
    const admin = await b.login('admin');
    for (const id of acked) {
      const r = await b.api('GET', `/api/v1/cases/${id}`, { token: admin });
      assert.equal(r.status, 200, `acknowledged case ${id} lost`);
    }
    const sup = await b.login('supervisor');
    const v = await b.api('GET', '/api/v1/audit/verify', { token: sup });
    assert.equal(v.json.ok, true, JSON.stringify(v.json));
    // the dashboard's counters, written by both instances at once, add up
    const stats = await b.api('GET', '/api/v1/stats', { token: sup });
    const count = where => +execFileSync('psql', [a.db, '-qAtX', '-c', `SELECT count(*) FROM cases WHERE area LIKE '110101001%' ${where}`], { encoding: 'utf8' });
    assert.equal(stats.json.totals.total, count(''));
    assert.equal(stats.json.by_state.reported, count("AND state = 'reported'"));
    assert.ok(stats.json.by_state.reported > acked.length);
    await b.stop();
    const cli = jiceng(['audit', 'verify', '--db', a.db]);
    assert.equal(cli.status, 0, cli.stdout + cli.stderr);
  } finally {
    stop = true;
    await b?.stop();
    await a.cleanup();
  }
});
