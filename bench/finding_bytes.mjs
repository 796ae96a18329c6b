// finding_bytes.mjs -- what one dispatched-and-closed patrol finding adds to
// the store, by table (docs/scale.md, "A patrol finding's bytes").
//   node bench/finding_bytes.mjs [N] [open]   (default 300; the binary: JICENG_BIN or
//   build/jiceng; open: the findings are left dispatched, not worked and closed)
// A demo store; N patrol findings by a grid worker over the API (POST
// /api/v1/cases, source patrol, each at its own point and text, so none is
// merged), each dispatched on creation; the department accepts, handles and
// reports back, the grid worker verifies (the dispatcher outside
// the worker's grid), the dispatcher closes.  SQLite's
// dbstat after a checkpoint, before the findings and after; bytes per finding.
import { execFileSync } from 'node:child_process';
import { startServer, filler, dbQuery } from '../tests/integration/lib.mjs';

const N = +(process.argv[2] || 300), open = process.argv[3] === 'open';
const srv = await startServer();
const stat = () => {
  execFileSync('sqlite3', [srv.db, 'PRAGMA wal_checkpoint(TRUNCATE)']);
  const m = new Map();
  for (const l of execFileSync('sqlite3', [srv.db, 'SELECT name, sum(pgsize) FROM dbstat GROUP BY name'], { encoding: 'utf8' }).trim().split('\n')) {
    const [k, v] = l.split('|');
    m.set(k, +v);
  }
  return m;
};
const before = stat();
const entries0 = +execFileSync('sqlite3', [srv.db, 'SELECT count(*) FROM audit'], { encoding: 'utf8' });
const worker = await srv.login('worker1'), disp = await srv.login('dispatcher');
const depts = new Map(), warea = dbQuery(srv.db, "SELECT area FROM users WHERE name = 'worker1'").trim();
let closed = 0;
for (let i = 0; i < N; i++) {
  // a 5 x 5 km square, points ~250 m apart (the merger folds nearer ones)
  const lon = 116.3962 + (i % 20) * 0.0029, lat = 39.9052 + Math.floor(i / 20) * 0.0023;
  const c = await srv.api('POST', '/api/v1/cases', { token: worker, body: { title: `巡查发现 ${i}`, body: filler(), category: '0104', source: 'patrol', lon, lat } });
  if (c.status !== 201 && c.status !== 200) throw new Error(`create: ${c.status} ${c.text}`);
  const id = c.json.id;
  const k = (await srv.api('GET', `/api/v1/cases/${id}`, { token: disp })).json;
  if (k.state !== 'dispatched' || open) continue;
  const code = dbQuery(srv.db, `SELECT code FROM depts WHERE id = ${k.dept_id}`).trim();
  if (!depts.has(code)) depts.set(code, await srv.login(`dept_${code}`));
  const d = depts.get(code);
  const steps = [[d, 'accept', {}], [d, 'handle', { note: '已安排人员到场处置' }], [d, 'feedback', { note: '处置完毕，现场已恢复' }],
    [k.area.startsWith(warea) ? worker : disp, 'verify', { note: '现场核查属实，已解决' }], [disp, 'close', {}]];
  let ok = true;
  for (const [t, a, body] of steps) {
    const r = await srv.api('POST', `/api/v1/cases/${id}/${a}`, { token: t, body });
    if (r.status !== 200) { console.error(`case ${id} ${a}: ${r.status} ${r.text}`); ok = false; break; }
  }
  if (ok) closed++;
}
await srv.stop();
const after = stat();
const entries = +execFileSync('sqlite3', [srv.db, 'SELECT count(*) FROM audit'], { encoding: 'utf8' }) - entries0;
const rows = [];
let total = 0;
for (const [k, v] of after) {
  const d = v - (before.get(k) || 0);
  total += d;
  if (d) rows.push([k, d]);
}
rows.sort((a, b) => b[1] - a[1]);
console.log(`findings: ${N}${open ? ' (left dispatched)' : ''}, dispatched and closed: ${closed}, audit entries: ${(entries / N).toFixed(1)} a finding`);
for (const [k, d] of rows) if (Math.abs(d / N) >= 1) console.log(`  ${k.padEnd(28)} ${(d / N).toFixed(0).padStart(6)}`);
console.log(`finding_bytes ${(total / N).toFixed(0)}`);
await srv.cleanup();
