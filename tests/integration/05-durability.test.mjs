// An acknowledged write is never lost: SIGKILL the server while 64 clients
// create cases; after a restart every case that got a 201 is there, and the
// trace verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng } from './lib.mjs';

const exited = proc => (proc.exitCode !== null || proc.signalCode !== null)
  ? Promise.resolve(proc.exitCode)
  : new Promise(res => proc.once('exit', code => res(code)));

test('no acknowledged case is lost under SIGKILL', async () => {
  const srv = await startServer();
  const tok = await srv.login('dispatcher');
  const acked = [];
  let stop = false;
  const client = async () => {
    while (!stop) {
      try {
        const r = await srv.api('POST', '/api/v1/cases', { token: tok, body: { title: '压力测试', category: '0104', area: '110101001001001' } });
        if (r.status === 201) acked.push(r.json.id);
      } catch { return; } // connection died with the server
    }
  };
  const clients = Array.from({ length: 64 }, client);
  await new Promise(r => setTimeout(r, 700));
  srv.proc.kill('SIGKILL');
  stop = true;
  await Promise.all(clients);
  await exited(srv.proc);
  assert.ok(acked.length > 50, `only ${acked.length} writes acknowledged before the kill`);
  const again = await startServer({ db: srv.db, dir: srv.dir });
  const admin = await again.login('admin');
  for (const id of acked) {
    const r = await again.api('GET', `/api/v1/cases/${id}`, { token: admin });
    assert.equal(r.status, 200, `acknowledged case ${id} lost`);
  }
  await again.stop();
  const v = jiceng(['audit', 'verify', '--db', srv.db]);
  assert.equal(v.status, 0, v.stdout);
  await again.cleanup();
});

test('SIGTERM lets pending writes commit and the server exits 0', async () => {
  const srv = await startServer();
  const tok = await srv.login('dispatcher');
  const r = await srv.api('POST', '/api/v1/cases', { token: tok, body: { title: 'x', category: '0104', area: '110101001001001' } });
  assert.equal(r.status, 201);
  srv.proc.kill('SIGTERM');
  assert.equal(await exited(srv.proc), 0);
  await srv.cleanup();
});
