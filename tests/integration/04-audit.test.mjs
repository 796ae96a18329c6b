// The tamper-evident trace: `jiceng audit verify` passes on an untouched
// database and names the first bad entry or case after any edit made
// outside the program.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { startServer, jiceng } from './lib.mjs';

let srv, base;
function sql(db, q) { return execFileSync('sqlite3', [db, q], { encoding: 'utf8' }); }
function tampered(name, q) {
  const db = `${srv.dir}/${name}.db`;
  copyFileSync(base, db);
  sql(db, q);
  return jiceng(['audit', 'verify', '--db', db]);
}

before(async () => {
  srv = await startServer();
  const d = await srv.login('dispatcher');
  const res = await srv.login('resident1');
  for (let i = 0; i < 3; i++) {
    const c = await srv.api('POST', '/api/v1/cases', { token: res, body: { title: `t${i}`, category: '0104', area: '110101001001001' } });
    await srv.api('POST', `/api/v1/cases/${c.json.id}/register`, { token: d });
  }
  await srv.stop();
  base = `${srv.dir}/base.db`;
  sql(srv.db, 'PRAGMA wal_checkpoint(TRUNCATE);');
  copyFileSync(srv.db, base);
  assert.ok(!existsSync(srv.db + '-wal') || true);
});
after(async () => { await srv.cleanup(); });

test('an untouched database verifies, head is printed', () => {
  const v = jiceng(['audit', 'verify', '--db', base]);
  assert.equal(v.status, 0, v.stdout);
  assert.match(v.stdout, /^ok: \d+ entries, \d+ cases, head [0-9a-f]{64}/);
  const h = jiceng(['audit', 'head', '--db', base]);
  assert.match(h.stdout, /^\d+ [0-9a-f]{64}/);
});

test("SQLite's own integrity_check passes on the database (every table, base counts included)", () => {
  assert.ok(+sql(base, 'SELECT count(*) FROM base_counts').trim() > 0, 'the demo has base counts');
  assert.equal(sql(base, 'PRAGMA integrity_check').trim(), 'ok');
});

test('an altered audit row is named', () => {
  const v = tampered('reason', "UPDATE audit SET reason='nothing happened' WHERE seq=(SELECT min(seq) FROM audit WHERE action='register')");
  assert.equal(v.status, 1);
  const seq = sql(base, "SELECT min(seq) FROM audit WHERE action='register'").trim();
  assert.match(v.stdout, new RegExp(`first bad entry: seq ${seq}\\b`));
});

test('an altered actor, time or state in the log is detected', () => {
  for (const q of ["UPDATE audit SET actor='admin' WHERE seq=3", "UPDATE audit SET at=at+1 WHERE seq=4",
    "UPDATE audit SET to_state='closed' WHERE seq=(SELECT max(seq) FROM audit)"]) {
    const v = tampered('a' + Math.random().toString(36).slice(2), q);
    assert.equal(v.status, 1, q);
    assert.match(v.stdout, /FAILED/);
  }
});

test('a re-hashed altered row still breaks the link to the next entry', () => {
  // the forger recomputes nothing we can check without the key? We have no key:
  // but the next entry's prev_hash no longer matches the altered row's new hash.
  const v = tampered('rehash', "UPDATE audit SET hash='" + 'a'.repeat(64) + "' WHERE seq=2");
  assert.equal(v.status, 1);
  assert.match(v.stdout, /seq 2\b/);
});

test('deleted audit rows are detected', () => {
  const mid = tampered('delmid', 'DELETE FROM audit WHERE seq=5');
  assert.equal(mid.status, 1);
  assert.match(mid.stdout, /missing|seq 6/);
  const last = tampered('dellast', 'DELETE FROM audit WHERE seq=(SELECT max(seq) FROM audit)');
  assert.equal(last.status, 1, 'the case state no longer matches its trail');
  assert.match(last.stdout, /case/);
});

test('an altered case row is named', () => {
  const id = sql(base, 'SELECT min(id) FROM cases').trim();
  const st = tampered('state', `UPDATE cases SET state='closed' WHERE id=${id}`);
  assert.equal(st.status, 1);
  assert.match(st.stdout, new RegExp(`case ${id}\\b`));
  const title = tampered('title', `UPDATE cases SET title='edited' WHERE id=${id}`);
  assert.equal(title.status, 1);
  assert.match(title.stdout, new RegExp(`case ${id}\\b`));
  const dept = tampered('dept', `UPDATE cases SET dept_id=3 WHERE id=${id}`);
  assert.equal(dept.status, 1);
  const gone = tampered('gone', `DELETE FROM cases WHERE id=${id}`);
  assert.equal(gone.status, 1);
  const ghost = tampered('ghost', "INSERT INTO cases(title, body, category, source, state, area, created_at, updated_at, version) VALUES('x','y','0104','web','closed','110101001001001',0,0,1)");
  assert.equal(ghost.status, 1);
  assert.match(ghost.stdout, /no audit entries/);
});

test('hashes are stored as 32 bytes, prev_hash not at all; rows holding them as hex text or a stored prev_hash (written before) still verify', () => {
  // the empty payload of system entries as a zero-length value, every other hash as its bytes,
  // prev_hash as a zero-length value that reads as the hash of entry seq - 1
  const kinds = sql(base, "SELECT DISTINCT typeof(hash) || length(hash) || ' ' || typeof(prev_hash) || length(prev_hash) FROM audit").trim();
  assert.equal(kinds, 'blob32 blob0');
  assert.equal(sql(base, "SELECT value FROM meta WHERE key = 'audit.prev_hash'").trim(), 'derived');
  assert.ok(+sql(base, "SELECT count(*) FROM audit WHERE length(payload_hash) = 0").trim() >= 3, 'register entries have no payload');
  assert.ok(+sql(base, "SELECT count(*) FROM audit WHERE length(payload_hash) = 32").trim() >= 3, 'reports have one');
  const head = jiceng(['audit', 'head', '--db', base]).stdout;
  // rows 1-4 rewritten as the first release stored them: lower-case hex, the empty payload's hash spelled out
  const empty = '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8';
  const asText = c => `${c} = CASE WHEN length(${c}) = 0 THEN '${empty}' ELSE lower(hex(${c})) END`;
  const prevStored = "UPDATE audit SET prev_hash = CASE WHEN seq = 1 THEN zeroblob(32) ELSE (SELECT p.hash FROM audit p WHERE p.seq = audit.seq - 1) END";
  const old = `${prevStored} WHERE seq <= 4; UPDATE audit SET ${['payload_hash', 'state_hash', 'prev_hash', 'hash'].map(asText).join(', ')} WHERE seq <= 4`;
  // rows of the release before: prev_hash stored as 32 bytes, every other row
  const stored = tampered('prevstored', `${prevStored} WHERE seq % 2 = 0`);
  assert.equal(stored.status, 0, stored.stdout);
  assert.equal(jiceng(['audit', 'head', '--db', `${srv.dir}/prevstored.db`]).stdout, head);
  const storedBad = tampered('prevstoredbad', `${prevStored} WHERE seq % 2 = 0; UPDATE audit SET prev_hash = (SELECT p.hash FROM audit p WHERE p.seq = 2) WHERE seq = 4`);
  assert.equal(storedBad.status, 1);
  assert.match(storedBad.stdout, /seq 4\b/);
  const mixed = tampered('mixed', old);
  assert.equal(mixed.status, 0, mixed.stdout);
  assert.equal(jiceng(['audit', 'head', '--db', `${srv.dir}/mixed.db`]).stdout, head);
  assert.equal(sql(`${srv.dir}/mixed.db`, "SELECT typeof(hash) FROM audit WHERE seq = 2").trim(), 'text');
  // a hex row is checked as strictly: one digit changed in a stored hash fails
  const bad = tampered('mixedbad', `${old}; UPDATE audit SET state_hash = substr(state_hash, 1, 63) || CASE WHEN substr(state_hash, 64) = '0' THEN '1' ELSE '0' END WHERE seq = 3`);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /seq 3\b/);
  // bytes of another length are no hash
  const short = tampered('short', "UPDATE audit SET prev_hash = substr(hash, 1, 31) WHERE seq = 4");
  assert.equal(short.status, 1);
  assert.match(short.stdout, /seq 4\b/);
});

test('verify is a usage error without --db', () => {
  assert.equal(jiceng(['audit', 'verify']).status, 2);
  assert.equal(jiceng(['audit', 'frob', '--db', base]).status, 2);
});
