// PostgreSQL as the store (docs/postgresql.md): `jiceng init`, `demo`, `serve` and
// `audit verify` with --db postgresql://… on a database of the run's temporary cluster
// (tests/pg.sh). The core runs there -- accounts, sessions, the catalogue, the case
// loop, the audit chain, live updates, photos (their files in one directory both
// instances use), the case lists and the search, the message centre and webhooks, the
// people base (six departments imported through two instances at once) -- and
// two instances share the database; the modules with no PostgreSQL storage yet are left
// out with one line in the log, their routes answer 503 and their commands and options
// refuse, naming the module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { startServer, startPostgres, jiceng, dbQuery, sseListen, ROOT, SHARED } from './lib.mjs';

const GRID = '110101001001001';
let a, b, T = {}, chengguan;
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
// the photo directory the instances share (docs/postgresql.md, "Photos")
const photos = mkdtempSync(join(tmpdir(), 'jiceng-pg-photos-'));

before(async () => {
  a = await startServer({ pg: true, extraArgs: ['--photos', photos] });
  for (const n of ['resident1', 'dispatcher', 'dept_chengguan', 'worker1', 'supervisor'])
    T[n] = await a.login(n);
  chengguan = (await a.api('GET', '/api/v1/depts')).json.depts.find(d => d.code === 'chengguan').id;
});
after(async () => {
  await b?.stop();
  await a?.cleanup();
  rmSync(photos, { recursive: true, force: true });
});

async function must(srv, id, action, who, body = {}) {
  const r = await srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: T[who], body });
  assert.equal(r.status, 200, `${action} by ${who}: ${JSON.stringify(r.json)}`);
  return r.json;
}

test('serve on PostgreSQL leaves no module out (sensor and people run there too)', () => {
  assert.match(a.db, /^postgresql:\/\//);
  // the line naming the modules left out (module_runs_on) is not written when there are none
  const line = a.log().split('\n').find(l => l.includes('left out'));
  assert.equal(line, undefined, line);
});

test('a case goes round the loop on PostgreSQL and its chain verifies', async () => {
  const r = await a.api('POST', '/api/v1/cases', {
    token: T.resident1,
    body: { title: '楼道堆放杂物', body: '三单元楼道堆满纸箱', category: '9901', area: GRID, phone: '13800138000' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const id = r.json.id;
  await must(a, id, 'register', 'dispatcher');
  // routing runs here (dispatch_pg.c): 9901 has no entry in the list, so the
  // case waits ownerless and an automatic dispatch is refused
  const none = await a.api('POST', `/api/v1/cases/${id}/dispatch`, { token: T.dispatcher, body: {} });
  assert.equal(none.status, 409, JSON.stringify(none.json));
  assert.equal((await must(a, id, 'dispatch', 'dispatcher', { dept_id: chengguan })).state, 'dispatched');
  await must(a, id, 'accept', 'dept_chengguan');
  await must(a, id, 'feedback', 'dept_chengguan', { note: '已清理' });
  await must(a, id, 'verify', 'worker1');
  await must(a, id, 'close', 'dispatcher');
  assert.equal((await must(a, id, 'rate', 'resident1', { rating: 'satisfied' })).state, 'rated');
  // a refused action changes nothing
  const again = await a.api('POST', `/api/v1/cases/${id}/close`, { token: T.dispatcher, body: {} });
  assert.equal(again.status, 409);
  const got = await a.api('GET', `/api/v1/cases/${id}`, { token: T.resident1 });
  assert.equal(got.status, 200);
  assert.equal(got.json.state, 'rated');
  assert.deepEqual(got.json.timeline.map(e => e.action),
    ['report', 'register', 'dispatch', 'accept', 'feedback', 'verify', 'close', 'rate']);
  assert.equal(got.json.trace.verified, true, JSON.stringify(got.json.trace));
  // another department does not see it
  const other = await a.api('GET', `/api/v1/cases/${id}`, { token: await a.login('dept_shuiwu') });
  assert.equal(other.status, 404);
  const v = await a.api('GET', '/api/v1/audit/verify', { token: T.supervisor });
  assert.equal(v.status, 200);
  assert.equal(v.json.ok, true, JSON.stringify(v.json));
  const cli = jiceng(['audit', 'verify', '--db', a.db]);
  assert.equal(cli.status, 0, cli.stdout + cli.stderr);
  assert.match(cli.stdout, /^ok: \d+ entries/);
});

test("the dashboard's figures (stats on PostgreSQL) are the cases' own counts", async () => {
  const psql = sql => execFileSync('psql', [a.db, '-qAtX', '-F', ' ', '-c', sql], { encoding: 'utf8' }).trim();
  // a case closed today, and one written while the test reads: the counters are exact at each commit
  const s = await a.api('GET', '/api/v1/stats', { token: T.supervisor });
  assert.equal(s.status, 200, s.text);
  const byState = Object.fromEntries(psql("SELECT state, count(*) FROM cases WHERE area LIKE '110101001%' GROUP BY 1")
    .split('\n').map(l => l.split(' ')).map(([k, n]) => [k, +n]));
  for (const [state, n] of Object.entries(s.json.by_state)) assert.equal(n, byState[state] ?? 0, state);
  assert.equal(s.json.totals.total, Object.values(byState).reduce((x, y) => x + y, 0));
  const today = s.json.per_day.at(-1);
  assert.equal(today.closed, +psql("SELECT count(*) FROM audit WHERE to_state = 'closed' AND from_state <> 'closed'" +
    " AND (at + 28800000) / 86400000 = (extract(epoch FROM now())::bigint * 1000 + 28800000) / 86400000"));
  assert.ok(today.closed >= 1);
  // sensor runs here too (sensor_pg.c): the alarms not cleared in the street's area
  assert.equal(s.json.totals.alarms_active, +psql("SELECT count(*) FROM alarms WHERE state <> 'cleared' AND grid LIKE '110101001%'"));
});

test("sensor's and people's routes answer on PostgreSQL; the core keeps answering", async () => {
  assert.equal((await a.api('GET', '/api/v1/devices', { token: T.dispatcher })).status, 200);
  const p = await a.api('GET', '/api/v1/people/sources', { token: T.dispatcher });
  assert.ok(p.status === 200 || p.status === 403, p.text); // the module answers (its own role check), no 503
  assert.equal((await a.api('GET', '/api/v1/me', { token: T.supervisor })).status, 200);
});

test("sensor's and people's commands run on PostgreSQL", async () => {
  // sensor (sensor_pg.c): `jiceng device import` writes its rows here (--mqtt is taken
  // too: 0e-sensor-instances)
  const csv = join(a.dir, 'devices.csv');
  writeFileSync(csv, `id,type,grid\npg-cli-1,smoke,${GRID}\n`);
  const dev = jiceng(['device', 'import', '--db', a.db, csv]);
  assert.equal(dev.status, 0, dev.stdout + dev.stderr);
  const got = await a.api('GET', '/api/v1/devices/pg-cli-1', { token: T.dispatcher });
  assert.equal(got.status, 200, got.text);
  assert.equal(got.json.type, 'smoke');
  // people (people_pg.c): its command answers
  const people = jiceng(['people', 'sources', '--db', a.db]);
  assert.equal(people.status, 0, people.stderr);
  assert.deepEqual(JSON.parse(people.stdout), []);
  // no file lies beside this database: without --key or $JICENG_PEOPLE_KEY what needs the key refuses
  const nokey = jiceng(['people', 'link', '--db', a.db], { env: { ...process.env, JICENG_PEOPLE_KEY: '' } });
  assert.equal(nokey.status, 1);
  assert.match(nokey.stderr, /no key file: on PostgreSQL name it with --key FILE or \$JICENG_PEOPLE_KEY/);
});

test('a server on PostgreSQL without the people key: what needs the key answers 503 naming it and changes nothing; the rest answers', async () => {
  const psql = sql => execFileSync('psql', [a.db, '-qAtX', '-c', sql], { encoding: 'utf8' }).trim();
  const c = await startServer({ db: a.db, env: { ...process.env, JICENG_PEOPLE_KEY: '' } });
  try {
    const tok = await c.login('dispatcher');
    const before = psql('SELECT count(*) FROM people_records');
    const csv = '姓名,公民身份号码,联系电话\n张三,110101199001011234,13800000000\n';
    const imp = await c.api('POST', '/api/v1/people/sources/nokey/import?file=nokey.csv', { token: tok, body: csv, headers: { 'content-type': 'text/csv' } });
    assert.equal(imp.status, 503, imp.text);
    assert.match(imp.json.error.message, /the people key cannot be read: no key file: on PostgreSQL name it with --key FILE or \$JICENG_PEOPLE_KEY/);
    const un = await c.api('POST', '/api/v1/people/persons/1/unmask', { token: tok, body: { purpose: '核对身份' } });
    assert.equal(un.status, 503, un.text);
    assert.equal(psql('SELECT count(*) FROM people_records'), before, 'nothing imported');
    assert.equal(psql("SELECT count(*) FROM people_sources WHERE key = 'nokey'"), '0', 'no source made');
    // the module's other routes and the core answer
    assert.equal((await c.api('GET', '/api/v1/people/sources', { token: tok })).status, 200);
    assert.equal((await c.api('GET', '/api/v1/cases?limit=5', { token: tok })).status, 200);
  } finally {
    await c.stop();
  }
});

// The case events of one live stream (GET /api/v1/events), gathered until stop().
async function listen(srv, token) {
  const s = await sseListen(`${srv.url}/api/v1/events?token=${token}`);
  assert.equal(s.status, 200);
  return { cases: () => s.events.filter(e => e.type === 'case'), stop: s.stop };
}

test('two instances on one database: a session, a case and its live events of one are the other\'s', async () => {
  b = await startServer({ db: a.db });
  // the token issued by a is a row: b takes it
  const me = await b.api('GET', '/api/v1/me', { token: T.resident1 });
  assert.equal(me.status, 200, me.text);
  const live = await listen(b, T.dispatcher);
  await new Promise(r => setTimeout(r, 700)); // the stream is set up (its first poll marks where it starts)
  const c = await a.api('POST', '/api/v1/cases', {
    token: T.resident1,
    body: { title: '井盖松动', body: '人行道井盖松动', category: '9901', area: GRID, phone: '13800138000' },
  });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  for (let i = 0; i < 100 && !live.cases().some(e => e.case_id === c.json.id); i++)
    await new Promise(r => setTimeout(r, 100));
  await live.stop();
  assert.deepEqual(live.cases().filter(e => e.case_id === c.json.id).map(e => e.action), ['report'],
    'a case reported on one instance reaches a stream on the other');
  const r = await b.api('POST', '/api/v1/cases', {
    token: T.resident1,
    body: { title: '路灯不亮', body: '小区门口路灯坏了三天', category: '9901', area: GRID, phone: '13800138000' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  await must(a, r.json.id, 'register', 'dispatcher');
  const seen = await b.api('GET', `/api/v1/cases/${r.json.id}`, { token: T.dispatcher });
  assert.equal(seen.json.state, 'registered');
  // one leader runs the periodic work; b logs that it waits
  const leaders = [a.log(), b.log()].filter(l => /now the leader/.test(l)).length;
  assert.equal(leaders, 1, a.log() + '\n---\n' + b.log());
  await b.stop();
  const cli = jiceng(['audit', 'verify', '--db', a.db]);
  assert.equal(cli.status, 0, cli.stdout + cli.stderr);
});

test('notify on two instances: a notification produced once, the same unread count and read marks on both, a webhook sent once', async () => {
  // the receiver answers slowly: a second sender polling meanwhile would send it again
  const got = [];
  const recv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { got.push(JSON.parse(body)); setTimeout(() => { res.writeHead(200); res.end('ok'); }, 1500); });
  });
  await new Promise(r => recv.listen(0, '127.0.0.1', r));
  b = await startServer({ db: a.db });
  try {
    const admin = await a.login('admin');
    const hk = await b.api('POST', '/api/v1/webhooks', {
      token: admin, body: { name: '两个实例', url: `http://127.0.0.1:${recv.address().port}/hook`, kinds: 'new_report' },
    });
    assert.equal(hk.status, 201, hk.text);
    const c = await b.api('POST', '/api/v1/cases', {
      token: T.resident1,
      body: { title: '楼道堆物', body: '三单元楼道堆满杂物', category: '9901', area: GRID, phone: '13800138000' },
    });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    const feed = async (srv) => (await srv.api('GET', '/api/v1/notifications?limit=200', { token: T.dispatcher })).json;
    let fa;
    for (let i = 0; i < 100; i++) {
      fa = await feed(a);
      if (fa.notifications.some(n => n.case_id === c.json.id)) break;
      await sleep(100);
    }
    const mine = fa.notifications.filter(n => n.case_id === c.json.id && n.kind === 'new_report');
    assert.equal(mine.length, 1, 'produced once, by the leader: ' + JSON.stringify(fa.notifications.slice(0, 3)));
    assert.ok(fa.unread >= 1);
    assert.equal((await feed(b)).unread, fa.unread, 'the same count on both instances');
    const r = await b.api('POST', '/api/v1/notifications/read', { token: T.dispatcher, body: { ids: [mine[0].id] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.unread, fa.unread - 1);
    const count = await a.api('GET', '/api/v1/notifications/count', { token: T.dispatcher });
    assert.equal(count.json.unread, fa.unread - 1, 'a mark written through b counts on a');
    assert.equal((await feed(a)).notifications.find(n => n.id === mine[0].id).read, true);
    for (let i = 0; i < 100 && !got.some(p => p.case?.id === c.json.id); i++) await sleep(100);
    await sleep(3000); // both senders polled several times while the receiver answered
    const sent = got.filter(p => p.case?.id === c.json.id).map(p => p.delivery);
    assert.ok(sent.length >= 1);
    assert.equal(new Set(sent).size, sent.length, 'one POST for each delivery: ' + JSON.stringify(got));
  } finally {
    recv.close();
    await b.stop();
  }
});

test('the case lists and the search on two instances: a case reported on one is found on the other at once, and after the leader indexed it', async () => {
  const psql = sql => execFileSync('psql', [a.db, '-qAtX', '-c', sql], { encoding: 'utf8' }).trim();
  const c2 = await startServer({ db: a.db });
  try {
    const r = await c2.api('POST', '/api/v1/cases', {
      token: T.resident1,
      body: { title: '消防栓漏水喷涌', body: '小区北门消防栓漏水', category: '9901', area: GRID, phone: '13800138000' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const q = async (srv) => (await srv.api('GET', '/api/v1/cases?q=' + encodeURIComponent('消防栓 漏水'), { token: T.dispatcher })).json.cases.map(c => c.id);
    assert.deepEqual(await q(a), [r.json.id], 'not indexed yet: a candidate from caselist_pending');
    for (let i = 0; i < 100 && psql(`SELECT count(*) FROM caselist_pending WHERE case_id = ${r.json.id}`) !== '0'; i++)
      await new Promise(res => setTimeout(res, 100));
    assert.equal(psql(`SELECT count(*) FROM caselist_terms WHERE case_id = ${r.json.id}`), '1', 'the leader indexed it');
    assert.deepEqual(await q(a), [r.json.id]);
    assert.deepEqual(await q(c2), [r.json.id]);
    const list = async (srv) => (await srv.api('GET', '/api/v1/cases?limit=500', { token: T.dispatcher })).json.cases.map(c => c.id);
    assert.deepEqual(await list(c2), await list(a));
  } finally {
    await c2.stop();
  }
});

test('photos on PostgreSQL: uploaded on one instance, linked and served on the other from the shared directory', async () => {
  const c = await startServer({ db: a.db, extraArgs: ['--photos', photos] });
  try {
    const tokens = { resident2: await c.login('resident2') };
    const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.from('jiceng-pg-jpeg')]);
    const sha = createHash('sha256').update(JPEG).digest('hex');
    const up = await a.api('POST', '/api/v1/photos', { token: T.resident1, body: JPEG, headers: { 'content-type': 'image/jpeg' } });
    assert.equal(up.status, 201, up.text);
    assert.equal(up.json.id, sha);
    assert.ok(existsSync(join(photos, sha.slice(0, 2), `${sha}.jpg`)), 'written in the shared directory');
    const k = await a.api('POST', '/api/v1/cases', {
      token: T.resident1,
      body: { title: '井盖缺失', body: '人行道井盖丢了', category: '9901', area: GRID, phone: '13800138000' },
    });
    assert.equal(k.status, 201, k.text);
    const id = k.json.id;
    // the other instance knows the row and links it; someone else's case stays invisible
    const other = await c.api('POST', `/api/v1/cases/${id}/photos`, { token: tokens.resident2, body: { photo_id: sha } });
    assert.equal(other.status, 404, other.text);
    const unknown = await c.api('POST', `/api/v1/cases/${id}/photos`, { token: T.resident1, body: { photo_id: 'b'.repeat(64) } });
    assert.equal(unknown.status, 400, unknown.text);
    const ok = await c.api('POST', `/api/v1/cases/${id}/photos`, { token: T.resident1, body: { photo_id: sha } });
    assert.equal(ok.status, 201, ok.text);
    const twice = await a.api('POST', `/api/v1/cases/${id}/photos`, { token: T.resident1, body: { photo_id: sha } });
    assert.equal(twice.status, 409, twice.text);
    // the same bytes uploaded again on the other instance: the same photo, one row
    const again = await c.api('POST', '/api/v1/photos', { token: T.resident1, body: JPEG, headers: { 'content-type': 'image/jpeg' } });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.json.id, sha);
    const list = await a.api('GET', `/api/v1/cases/${id}/photos`, { token: T.dispatcher });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.photos.map(x => x.id), [sha]);
    const got = await fetch(`${c.url}/api/v1/photos/${sha}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), JPEG);
    const audit = await c.api('GET', `/api/v1/cases/${id}/audit`, { token: T.resident1 });
    assert.ok(audit.json.verified, audit.text);
    assert.ok(audit.json.entries.some(e => e.action === 'photo_add' && JSON.parse(e.reason).photo === sha), audit.text);
  } finally {
    await c.cleanup();
  }
});

test('follow-up calls (回访) on PostgreSQL: only after an unsatisfied rating, listed in order, in the trace', async () => {
  const r = await a.api('POST', '/api/v1/cases', {
    token: T.resident1,
    body: { title: '噪音扰民', body: '夜间施工噪音', category: '9901', area: GRID, phone: '13800138000' },
  });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  const call = (who, body) => a.api('POST', `/api/v1/cases/${id}/followup`, { token: T[who], body });
  assert.equal((await call('dispatcher', { result: 'satisfied' })).status, 409, 'not rated yet');
  await must(a, id, 'register', 'dispatcher');
  await must(a, id, 'dispatch', 'dispatcher', { dept_id: chengguan });
  await must(a, id, 'accept', 'dept_chengguan');
  await must(a, id, 'feedback', 'dept_chengguan', { note: '已处理' });
  await must(a, id, 'verify', 'worker1');
  await must(a, id, 'close', 'dispatcher');
  await must(a, id, 'rate', 'resident1', { rating: 'unsatisfied' });
  assert.equal((await call('dispatcher', { result: 'maybe' })).status, 400);
  assert.equal((await call('resident1', { result: 'basic' })).status, 403);
  const first = await call('dispatcher', { result: 'unreachable', note: '电话未接通' });
  assert.equal(first.status, 201, first.text);
  const second = await call('supervisor', { result: 'basic', note: '已说明处理情况' });
  assert.equal(second.status, 201, second.text);
  assert.ok(second.json.id > first.json.id, 'ids from the sequence, in order');
  const list = await a.api('GET', `/api/v1/cases/${id}/followups`, { token: T.dispatcher });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.followups.map(f => [f.result, f.by, f.note]),
    [['unreachable', 'dispatcher', '电话未接通'], ['basic', 'supervisor', '已说明处理情况']]);
  assert.equal((await a.api('GET', `/api/v1/cases/${id}/followups`, { token: T.resident1 })).status, 403);
  const audit = await a.api('GET', `/api/v1/cases/${id}/audit`, { token: T.dispatcher });
  assert.ok(audit.json.verified, audit.text);
  assert.equal(audit.json.entries.filter(e => e.action === 'followup').length, 2, audit.text);
});

test('jiceng doctor checks a PostgreSQL database; backup and restore refuse it, naming the tools to use', () => {
  const d = jiceng(['doctor', '--db', a.db, '--deep']);
  assert.equal(d.status, 0, d.stdout + d.stderr);
  assert.match(d.stdout, /^ok {4}schema: PostgreSQL, up to date \(core \d+, \d+ modules/m);
  assert.match(d.stdout, /^ok {4}trace: \d+ entries, \d+ cases verified/m);
  assert.match(d.stdout, /^ok {4}server: an instance runs on this database/m);
  assert.doesNotMatch(d.stdout, /does not exist|FAIL/);
  const gone = jiceng(['doctor', '--db', a.db.replace(/\/[^/?]+$/, '/no_such_db')]);
  assert.equal(gone.status, 1, gone.stdout + gone.stderr);
  assert.match(gone.stdout, /^FAIL {2}database: cannot connect to postgresql:/m);
  for (const cmd of [['backup', '--db', a.db], ['restore', '--db', a.db, '/nonexistent/backup.db']]) {
    const r = jiceng(cmd);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /is a PostgreSQL database: back it up and restore it with PostgreSQL's tools \(pg_basebackup/);
  }
});

test('Open311 on PostgreSQL: client keys (CLI), a request and its token, the lists and updates with their filters', async () => {
  const add = jiceng(['open311', 'key', 'add', '--db', a.db, '--name', 'pgclient']);
  assert.equal(add.status, 0, add.stderr);
  const key = add.stdout.trim();
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.notEqual(jiceng(['open311', 'key', 'add', '--db', a.db, '--name', 'pgclient']).status, 0, 'a taken name is refused');
  const old = jiceng(['open311', 'key', 'add', '--db', a.db, '--name', 'pgold']).stdout.trim();
  assert.equal(jiceng(['open311', 'key', 'disable', '--db', a.db, '--name', 'pgold']).status, 0);
  assert.notEqual(jiceng(['open311', 'key', 'disable', '--db', a.db, '--name', 'nobody']).status, 0);
  const list = jiceng(['open311', 'key', 'list', '--db', a.db]);
  assert.match(list.stdout, /pgclient .*active/);
  assert.match(list.stdout, /pgold .*DISABLED/);
  const post = (k) => a.api('POST', '/open311/v2/requests.json', {
    body: new URLSearchParams({ api_key: k, service_code: '9901', lat: '39.915', long: '116.404', description: '东华门大街路边有人占道摆摊' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal((await post(old)).status, 403, 'a disabled key is refused');
  const r = await post(key);
  assert.equal(r.status, 201, r.text);
  const no = r.json[0].service_request_id, token = r.json[0].token;
  assert.match(no, /^JC\d{8}-\d+$/);
  const t = await a.api('GET', `/open311/v2/tokens/${token}.json`);
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json[0].service_request_id, no);
  const listed = async (q) => (await a.api('GET', `/open311/v2/requests.json?${q}`)).json.map(x => x.service_request_id);
  assert.ok((await listed('status=open&service_code=9901')).includes(no));
  assert.ok(!(await listed('status=closed')).includes(no));
  assert.ok(!(await listed('service_code=0101')).includes(no));
  const ups = (await a.api('GET', '/open311/v2/servicerequestupdates.json')).json;
  assert.deepEqual(ups.filter(u => u.service_request_id === no).map(u => u.status), ['open']);
  const ids = ups.map(u => Number(u.update_id));
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
});

test('documents on cases (attach) on PostgreSQL: uploaded on one instance, linked, listed and downloaded on another, in scope only', async () => {
  const c = await startServer({ db: a.db, extraArgs: ['--photos', photos] });
  try {
    const shichang = await c.login('dept_shichang');
    const bytes = Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% pg ${Date.now()}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);
    const up = await a.api('POST', '/api/v1/attachments', {
      token: T.dept_chengguan, body: bytes, headers: { 'content-type': 'application/pdf', 'x-filename': encodeURIComponent('整改报告.pdf') },
    });
    assert.equal(up.status, 201, up.text);
    assert.equal(up.json.id, createHash('sha256').update(bytes).digest('hex'));
    const k = await a.api('POST', '/api/v1/cases', {
      token: T.resident1,
      body: { title: '占道经营', body: '早市占道', category: '9901', area: GRID, phone: '13800138000' },
    });
    assert.equal(k.status, 201, k.text);
    const id = k.json.id;
    await must(a, id, 'register', 'dispatcher');
    await must(a, id, 'dispatch', 'dispatcher', { dept_id: chengguan });
    const link = (who, srv = c) => srv.api('POST', `/api/v1/cases/${id}/attachments`, { token: who, body: { attachment_id: up.json.id } });
    assert.equal((await link(T.dispatcher)).status, 400, 'only its uploader links it');
    assert.equal((await link(T.dept_chengguan)).status, 201);
    assert.equal((await link(T.dept_chengguan, a)).status, 409);
    const list = await a.api('GET', `/api/v1/cases/${id}/attachments`, { token: T.dispatcher });
    assert.deepEqual(list.json.attachments.map(x => [x.id, x.name, x.size]), [[up.json.id, '整改报告.pdf', bytes.length]]);
    const res = await fetch(c.url + up.json.url, { headers: { authorization: 'Bearer ' + T.dispatcher } });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    assert.equal((await c.api('GET', up.json.url, { token: shichang })).status, 404, 'another department does not see the case');
    assert.equal((await c.api('GET', up.json.url)).status, 401);
    const audit = await c.api('GET', `/api/v1/cases/${id}/audit`, { token: T.dispatcher });
    assert.ok(audit.json.verified, audit.text);
    assert.ok(audit.json.entries.some(e => e.action === 'attachment_add'), audit.text);
  } finally {
    await c.cleanup();
  }
});

test('people on PostgreSQL gives SQLite\'s answers: six departments imported in turn, byte-identical exports, queue and sources', () => {
  const ERDEV = join(SHARED, 'data/er-dev');
  const dir = mkdtempSync(join(tmpdir(), 'jiceng-people-both-'));
  const pg = startPostgres();
  try {
    const dbs = [join(dir, 'p.db'), pg.url];
    const odd = join(dir, 'odd.csv');
    writeFileSync(odd, '编号,姓名,身份证号,住址\nQ1,"王""小""二",11010119981225673X,"育才路\\5号{1},2单元 ""东"""\n' +
      'Q2,NULL,110103194201267122,NULL\nQ3,张三,,\n');
    const out = dbs.map((db) => {
      assert.equal(jiceng(['init', db]).status, 0);
      assert.equal(jiceng(['demo', '--db', db]).status, 0); // the area tree the addresses resolve against
      for (const k of ['canlian', 'gongan', 'minzheng', 'renshe', 'wangge', 'weijian']) {
        const r = jiceng(['people', 'import', '--db', db, '--source', k, join(ERDEV, `source_${k}.csv`), '--quiet']);
        assert.equal(r.status, 0, r.stderr);
      }
      // values an array literal must escape (the gathered writes): quotes, backslashes, braces, commas, "NULL"
      const r = jiceng(['people', 'import', '--db', db, '--source', 'odd', odd, '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      const run = (args) => { const r = jiceng(['people', ...args, '--db', db]); assert.equal(r.status, 0, r.stderr); return r.stdout; };
      return {
        odd: dbQuery(db, "SELECT record_id || '|' || name || '|' || coalesce(address, '-') FROM people_records WHERE source = 'odd' ORDER BY record_id"),
        links: run(['export', '--links']), persons: run(['export', '--persons']), review: run(['review', '--limit', '1000']),
        sources: JSON.parse(run(['sources'])).map((x) => { delete x.updated_at; return x; }), // written at import
      };
    });
    assert.match(out[0].odd, /\\5号\{1\},2单元 "东"/, out[0].odd);
    assert.match(out[0].odd, /Q2\|null\|NULL/, out[0].odd); // (names are cleaned: lower case, no quotes)
    assert.equal(out[0].links.split('\n').length, 7851);
    assert.ok(out[0].review.length > 1000);
    for (const k of ['odd', 'links', 'persons', 'review', 'sources']) assert.deepEqual(out[1][k], out[0][k], k);
  } finally {
    pg.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('people on two instances: six departments imported through both at once give the one golden record per person a single instance gives', async () => {
  const ERDEV = join(SHARED, 'data/er-dev');
  b = await startServer({ db: a.db });
  try {
    const keys = ['canlian', 'gongan', 'minzheng', 'renshe', 'wangge', 'weijian'];
    // all six at once, three through each instance: the imports and their link runs take turns (advisory lock)
    const res = await Promise.all(keys.map((k, i) => (i % 2 ? a : b).api('POST', `/api/v1/people/sources/${k}/import?file=${k}.csv`,
      { token: T.dispatcher, body: readFileSync(join(ERDEV, `source_${k}.csv`), 'utf8'), headers: { 'content-type': 'text/csv' } })));
    assert.deepEqual(res.map(x => x.status), [201, 201, 201, 201, 201, 201], res.map(x => x.text.slice(0, 200)).join(' '));
    assert.equal(dbQuery(a.db, 'SELECT count(*) FROM people_records WHERE active = 1'), '7846');
    assert.equal(dbQuery(a.db, 'SELECT count(*) FROM people_records WHERE active = 1 AND person_id IS NULL'), '0');
    // one golden record per cluster, none orphaned; 3000 persons, as one instance importing the files in turn links them
    assert.equal(dbQuery(a.db, 'SELECT count(*) FROM people_persons'), '3000');
    assert.equal(dbQuery(a.db, 'SELECT count(DISTINCT person_id) FROM people_records WHERE active = 1'), '3000');
    assert.equal(dbQuery(a.db, 'SELECT count(*) FROM people_persons p WHERE NOT EXISTS (SELECT 1 FROM people_records r' +
      ' WHERE r.person_id = p.id AND r.active = 1)'), '0');
    // a full re-link on one connection changes nobody's cluster
    const links = () => jiceng(['people', 'export', '--db', a.db, '--links']).stdout;
    const before = links();
    const r = jiceng(['people', 'link', '--db', a.db]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /linked 7846 records into 3000 persons/);
    assert.equal(links(), before);
    // the imports are in the chain, each once
    assert.equal(dbQuery(a.db, "SELECT count(*) FROM audit WHERE action = 'people.import'"), '6');
    // the counts read on the other instance are the golden records'
    const c = await b.api('GET', '/api/v1/people/counts', { token: await b.login('admin') });
    assert.equal(c.status, 200, c.text);
    const people = c.json.communities.reduce((n, x) => n + x.people, 0);
    assert.equal(people, Number(dbQuery(a.db, "SELECT count(*) FROM people_persons WHERE community <> ''")));
  } finally {
    await b.stop();
  }
});

// Last: it edits the database behind the program's back.
test('the work list on two instances: the demo list is there, a copy marked done by both at once is done once', async () => {
  const C1 = '110101001001';
  b = await startServer({ db: a.db });
  try {
    const [minzheng, comm] = await Promise.all(['dept_minzheng', 'community1'].map(n => a.login(n)));
    const list = await b.api('GET', '/api/v1/worklist', { token: T.dispatcher });
    assert.equal(list.status, 200, list.text);
    assert.ok(list.json.version >= 1, 'jiceng demo seeds the work list on PostgreSQL');
    let r = await a.api('POST', '/api/v1/tasks', { token: minzheng, body: { title: '低保年审材料收集', kind: 'form', item: 'WL-D06', communities: [C1] } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.decision, 'admitted');
    const id = r.json.id;
    // the same copy marked done through both instances at once, five times each
    const res = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      (i % 2 ? a : b).api('POST', `/api/v1/tasks/${id}/done`, { token: comm, body: {} })));
    assert.deepEqual(res.map(x => x.status).filter(s => s === 200), [200], res.map(x => x.status).join(' '));
    assert.ok(res.every(x => x.status === 200 || x.status === 409), res.map(x => x.status).join(' '));
    // (the only task marked done in this file)
    assert.equal(dbQuery(a.db, "SELECT count(*) FROM audit WHERE action = 'task_done'"), '1', 'one task_done in the chain');
    r = await b.api('GET', `/api/v1/burden?month=${new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7)}`, { token: minzheng });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.depts.find(d => d.dept === 'minzheng').done, 1);
    // imports of the list through both instances at once: each a version, one active
    const admin = await a.login('admin');
    const csv = readFileSync(join(ROOT, 'data/worklist.csv'), 'utf8');
    const before = list.json.version;
    const imp = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).api('POST', '/api/v1/worklist?note=x',
      { token: admin, body: csv, headers: { 'content-type': 'text/csv' } })));
    assert.deepEqual(imp.map(x => x.status), [201, 201, 201, 201, 201, 201], imp.map(x => x.text).join(' '));
    assert.equal(dbQuery(a.db, 'SELECT count(*) FROM worklist_versions WHERE active = 1'), '1');
    const newest = dbQuery(a.db, 'SELECT max(version) FROM worklist_versions');
    assert.equal(dbQuery(a.db, 'SELECT version FROM worklist_versions WHERE active = 1'), newest);
    assert.equal(Number(newest), before + 6);
  } finally {
    await b.stop();
  }
});

test('jiceng audit verify on PostgreSQL names a case row or an audit row edited outside the program', () => {
  const verify = () => jiceng(['audit', 'verify', '--db', a.db]);
  const ok = verify();
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const id = dbQuery(a.db, 'SELECT min(id) FROM cases');
  const title = dbQuery(a.db, `SELECT title FROM cases WHERE id = ${id}`);
  dbQuery(a.db, `UPDATE cases SET title = 'edited' WHERE id = ${id}`);
  const edited = verify();
  assert.equal(edited.status, 1, edited.stdout + edited.stderr);
  assert.match(edited.stdout, new RegExp(`case:? ${id}\\b`));
  dbQuery(a.db, `UPDATE cases SET title = $t$${title}$t$ WHERE id = ${id}`);
  assert.equal(verify().status, 0, 'put back, it verifies again');
  const seq = dbQuery(a.db, "SELECT min(seq) FROM audit WHERE action = 'register'");
  dbQuery(a.db, `UPDATE audit SET reason = 'nothing happened' WHERE seq = ${seq}`);
  const bad = verify();
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, new RegExp(`first bad entry: seq ${seq}\\b`));
});
