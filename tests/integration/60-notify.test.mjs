// 60-notify.test.mjs -- notifications (docs/notify.md): who hears of what
// along a case's life, read marks per user, the live stream's "notify" event,
// production surviving a SIGKILL, and webhooks: a real local HTTP receiver
// in node fails the first two attempts, the sender retries with backoff, every
// attempt is signed (HMAC-SHA256 of timestamp "." body).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { startServer, filler, sseListen } from './lib.mjs';

let srv;
const T = {};
before(async () => {
  srv = await startServer();
  for (const n of ['admin', 'dispatcher', 'resident1', 'community1', 'community2', 'worker1', 'worker2', 'supervisor'])
    T[n] = await srv.login(n);
});
after(async () => { await srv?.cleanup(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(150);
  }
}
const feed = async (tok, q = '') => (await srv.api('GET', '/api/v1/notifications?limit=200' + q, { token: tok })).json;
const about = async (tok, caseId, kind) => (await feed(tok)).notifications.filter((n) => n.case_id === caseId && (!kind || n.kind === kind));
const act = async (tok, id, action, body = {}) => {
  const r = await srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: tok, body });
  assert.ok(r.status === 200 || r.status === 201, `${action}: ${r.status} ${r.text}`);
  return r.json;
};
async function deptToken(deptId) {
  const depts = (await srv.api('GET', '/api/v1/depts')).json.depts;
  const d = depts.find((x) => x.id === deptId);
  return srv.login('dept_' + d.code);
}

test('a case from report to rating tells each party what it must do, in its scope', async () => {
  const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '垃圾堆放 ' + filler(), category: '0104', area: '110101001001001' } })).json;
  // waiting for registration: dispatchers and the community's staff, not another community
  await until('new_report', async () => (await about(T.dispatcher, k.id, 'new_report')).length === 1);
  assert.equal((await about(T.community1, k.id, 'new_report')).length, 1);
  assert.equal((await about(T.community2, k.id)).length, 0, 'community 2 is out of scope');
  const nr = (await about(T.dispatcher, k.id, 'new_report'))[0];
  assert.equal(nr.no, k.no);
  assert.equal(nr.read, false);
  assert.equal(nr.visible, true);
  // an escalation while nobody holds it goes to the dispatchers -- but not to the one who escalated
  const add = await srv.api('POST', '/api/v1/users', { token: T.admin, body: { name: 'dispatcher_b', role: 'dispatcher', area: '110101001', password: 'a-long-password-2' } });
  assert.equal(add.status, 201, add.text);
  const dispB = await srv.login('dispatcher_b', 'a-long-password-2');
  await act(T.dispatcher, k.id, 'escalate', { note: '群众多次反映，从速办理' });
  const esc = await until('escalate', async () => (await about(dispB, k.id, 'escalate'))[0]);
  assert.equal(esc.detail, '群众多次反映，从速办理');
  assert.equal((await about(T.dispatcher, k.id, 'escalate')).length, 0, 'not for the one who acted');

  // registered -> dispatched automatically: the department's inbox
  const reg = await act(T.dispatcher, k.id, 'register');
  assert.equal(reg.state, 'dispatched');
  const dept = await deptToken(reg.dept_id);
  const disp = await until('dispatched', async () => (await about(dept, k.id, 'dispatched'))[0]);
  assert.equal(disp.title, k.title);
  assert.equal(disp.state, 'dispatched');
  // the dispatcher does not hear of his own registration
  assert.equal((await about(T.dispatcher, k.id)).filter((n) => n.kind !== 'new_report').length, 0);
  // another department hears nothing of it
  const other = await deptToken(reg.dept_id === 1 ? 2 : 1);
  assert.equal((await about(other, k.id)).length, 0);

  // a return goes to the dispatchers with the department's reason; rejecting it back to the department
  await act(dept, k.id, 'return', { reason: '不属于本部门职责' });
  const ret = await until('returned', async () => (await about(T.dispatcher, k.id, 'returned'))[0]);
  assert.equal(ret.detail, '不属于本部门职责');
  assert.ok(ret.actor, 'the actor is named');
  await act(T.dispatcher, k.id, 'reject', { reason: '属于城管职责，请继续办理' });
  const rej = await until('return_rejected', async () => (await about(dept, k.id, 'return_rejected'))[0]);
  assert.equal(rej.detail, '属于城管职责，请继续办理');

  // feedback -> the grid worker of the grid verifies; another grid's worker does not hear of it
  await act(dept, k.id, 'accept');
  await act(dept, k.id, 'feedback', { note: '已清运' });
  await until('verify_task', async () => (await about(T.worker1, k.id, 'verify_task')).length === 1);
  assert.equal((await about(T.worker2, k.id)).length, 0);
  await act(T.worker1, k.id, 'verify', { note: '现场已清理' });
  await act(T.dispatcher, k.id, 'close');
  await until('closed', async () => (await about(T.resident1, k.id, 'closed')).length === 1);
  await act(T.resident1, k.id, 'rate', { rating: 'unsatisfied' });
  const rated = await until('rated', async () => (await about(dept, k.id, 'rated'))[0]);
  assert.equal(rated.detail, 'unsatisfied');
  // the resident's feed holds only her own case's news
  for (const n of (await feed(T.resident1)).notifications) assert.equal(n.kind, 'closed');
});

test('read marks are per user: one, a case, everything up to an id; bad input changes nothing', async () => {
  const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '井盖松动 ' + filler(), category: '0104', area: '110101001001002' } })).json;
  await act(T.dispatcher, k.id, 'register');
  const row = (await srv.api('GET', '/api/v1/cases/' + k.id, { token: T.dispatcher })).json;
  const dept = await deptToken(row.dept_id);
  await until('dispatched', async () => (await about(dept, k.id, 'dispatched')).length === 1);
  // a second member of the same department
  const depts = (await srv.api('GET', '/api/v1/depts')).json.depts;
  const code = depts.find((d) => d.id === row.dept_id).code;
  const add = await srv.api('POST', '/api/v1/users', { token: T.admin, body: { name: 'notify_' + code, role: 'dept_staff', dept_id: row.dept_id, password: 'a-long-password-1' } });
  assert.equal(add.status, 201, add.text);
  const dept2 = await srv.login('notify_' + code, 'a-long-password-1');
  assert.equal((await about(dept2, k.id, 'dispatched')).length, 1, 'the whole department hears of it');

  const before1 = (await feed(dept)).unread;
  const n = (await about(dept, k.id, 'dispatched'))[0];
  // bad input: refused, nothing marked
  for (const body of [{}, { ids: 'x' }, { ids: [0] }, { upto: -1 }, { case_id: 'nonsense' }, { other: 1 }]) {
    const r = await srv.api('POST', '/api/v1/notifications/read', { token: dept, body });
    assert.equal(r.status, 400, JSON.stringify(body) + ' ' + r.text);
  }
  // someone else's notification is not found for this user
  const mineOnly = (await feed(T.resident1)).notifications[0];
  if (mineOnly) assert.equal((await srv.api('POST', '/api/v1/notifications/read', { token: dept, body: { ids: [mineOnly.id] } })).status, 404);
  assert.equal((await feed(dept)).unread, before1);

  let r = await srv.api('POST', '/api/v1/notifications/read', { token: dept, body: { ids: [n.id] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.unread, before1 - 1);
  assert.equal((await about(dept, k.id, 'dispatched'))[0].read, true);
  assert.equal((await about(dept2, k.id, 'dispatched'))[0].read, false, 'read marks are per user');
  assert.ok((await feed(dept, '&unread=1')).notifications.every((x) => x.id !== n.id));
  // by case (number or id)
  r = await srv.api('POST', '/api/v1/notifications/read', { token: dept2, body: { case_id: k.id } });
  assert.equal(r.status, 200, r.text);
  r = await srv.api('POST', '/api/v1/notifications/read', { token: dept2, body: { case_id: k.no } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await about(dept2, k.id)).filter((x) => !x.read).length, 0);
  // everything up to the newest
  const top = (await feed(dept2)).notifications[0].id;
  r = await srv.api('POST', '/api/v1/notifications/read', { token: dept2, body: { upto: top } });
  assert.equal(r.json.unread, 0);
  assert.equal((await srv.api('GET', '/api/v1/notifications/count', { token: dept2 })).json.unread, 0);
  // keyset pages: next_before continues without overlap
  const p1 = (await srv.api('GET', '/api/v1/notifications?limit=2', { token: T.dispatcher })).json;
  assert.equal(p1.notifications.length, 2);
  const p2 = (await srv.api('GET', '/api/v1/notifications?limit=2&before=' + p1.next_before, { token: T.dispatcher })).json;
  assert.ok(p2.notifications.every((x) => x.id < p1.notifications[1].id));
  assert.equal((await srv.api('GET', '/api/v1/notifications?limit=0', { token: T.dispatcher })).status, 400);
  assert.equal((await srv.api('GET', '/api/v1/notifications')).status, 401);
});

test('the live stream carries a notify event to its audience only', async () => {
  const listen = (tok) => sseListen(srv.url + '/api/v1/events', { authorization: 'Bearer ' + tok });
  const d = await listen(T.dispatcher);
  const c2 = await listen(T.community2);
  await sleep(700);
  const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '路面积水 ' + filler(), category: '0203', area: '110101001001003' } })).json;
  await until('notify event', async () => d.events.some((e) => e.type === 'notify' && e.case_id === k.id && e.kind === 'new_report'));
  await sleep(600);
  await Promise.all([d.stop(), c2.stop()]);
  assert.equal(c2.events.filter((e) => e.type === 'notify' && e.case_id === k.id).length, 0, 'community 2 gets no notify event');
});

test('notifications of writes acknowledged before a SIGKILL are produced after the restart', async () => {
  const s2 = await startServer();
  try {
    const res = await s2.login('resident1');
    // kill at once: the ticker (once a second) has likely not run yet
    const k = (await s2.api('POST', '/api/v1/cases', { token: res, body: { title: '重启测试 ' + filler(), category: '0104', area: '110101001001004' } })).json;
    await s2.stop('SIGKILL');
    const s3 = await startServer({ db: s2.db, dir: s2.dir });
    try {
      const disp = await s3.login('dispatcher');
      await until('after restart', async () => (await s3.api('GET', '/api/v1/notifications?limit=50', { token: disp })).json.notifications.some((n) => n.case_id === k.id && n.kind === 'new_report'));
      const all = (await s3.api('GET', '/api/v1/notifications?limit=200', { token: disp })).json.notifications.filter((n) => n.case_id === k.id);
      assert.equal(all.length, 1, 'produced once');
    } finally { await s3.stop(); }
  } finally { await s2.cleanup(); }
});

test('a delivery cut by a SIGKILL in the middle of its POST is sent again after the restart, with the same delivery id', async () => {
  const got = [];
  let hold = true; // the receiver keeps the first POSTs unanswered: the sender is inside one when it is killed
  const recv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push(req.headers['x-jiceng-delivery']);
      if (!hold) { res.writeHead(200); res.end('ok'); }
    });
  });
  await new Promise((r) => recv.listen(0, '127.0.0.1', r));
  const s2 = await startServer();
  try {
    const admin = await s2.login('admin');
    const hk = await s2.api('POST', '/api/v1/webhooks', { token: admin, body: { name: '重启推送', url: `http://127.0.0.1:${recv.address().port}/hook`, kinds: 'new_report' } });
    assert.equal(hk.status, 201, hk.text);
    const res = await s2.login('resident1');
    const k = await s2.api('POST', '/api/v1/cases', { token: res, body: { title: '推送重启 ' + filler(), category: '0104', area: '110101001001004' } });
    assert.equal(k.status, 201, k.text);
    await until('the first POST', async () => got.length >= 1);
    await s2.stop('SIGKILL');
    const cut = [...got];
    hold = false;
    recv.closeAllConnections();
    const s3 = await startServer({ db: s2.db, dir: s2.dir });
    try {
      const admin3 = await s3.login('admin');
      const deliveries = async () => (await s3.api('GET', `/api/v1/webhooks/${hk.json.id}/deliveries`, { token: admin3 })).json.deliveries;
      await until('all sent after the restart', async () => { const d = await deliveries(); return d.length && d.every((x) => x.state === 'sent'); }, 15000);
      for (const id of cut) {
        assert.ok(got.lastIndexOf(id) >= cut.length, `delivery ${id} sent again after the restart: ${got}`);
        const d = (await deliveries()).find((x) => String(x.id) === id);
        assert.equal(d.attempts, 1, 'the attempt cut by the kill was never recorded');
        assert.equal(d.last_status, 200);
      }
    } finally { await s3.stop(); }
  } finally {
    recv.close();
    await s2.cleanup();
  }
});

test('webhooks: signed, retried with backoff after failures, filtered by kind; admin only; bad input refused', async () => {
  const got = [];
  let fails = 2;
  const recv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push({ at: Date.now(), headers: req.headers, body });
      if (fails-- > 0) { res.writeHead(500); res.end('not now'); } else { res.writeHead(200); res.end('ok'); }
    });
  });
  await new Promise((r) => recv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${recv.address().port}/hook`;
  try {
    // refused: not admin, bad url, unknown kind, short secret, unknown field
    assert.equal((await srv.api('POST', '/api/v1/webhooks', { token: T.dispatcher, body: { name: 'x', url } })).status, 403);
    for (const body of [{ name: 'x', url: 'ftp://example.org/' }, { name: 'x', url: 'http://a b/' }, { name: 'x', url, kinds: 'dispatched,nonsense' },
      { name: 'x', url, secret: 'short' }, { name: 'x', url, colour: 'red' }, { url }]) {
      const r = await srv.api('POST', '/api/v1/webhooks', { token: T.admin, body });
      assert.equal(r.status, 400, JSON.stringify(body) + ' ' + r.text);
    }
    assert.equal((await srv.api('GET', '/api/v1/webhooks', { token: T.admin })).json.webhooks.length, 0, 'nothing stored');
    const secret = 'test-secret-0123456789';
    const hk = await srv.api('POST', '/api/v1/webhooks', { token: T.admin, body: { name: '短信网关', url, secret, kinds: 'dispatched', area: '110101001' } });
    assert.equal(hk.status, 201, hk.text);
    assert.equal(hk.json.secret, secret, 'the secret is shown once, on creation');
    const quiet = await srv.api('POST', '/api/v1/webhooks', { token: T.admin, body: { name: '只要结案', url, kinds: 'closed' } });
    assert.equal(quiet.status, 201);
    assert.match(quiet.json.secret, /^[0-9a-f]{64}$/, 'a secret is generated when none is given');
    const list = (await srv.api('GET', '/api/v1/webhooks', { token: T.admin })).json.webhooks;
    assert.equal(list.length, 2);
    assert.ok(list.every((h) => !('secret' in h)), 'the list never shows secrets');

    const k = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '占道经营 ' + filler(), category: '0104', area: '110101001002001' } })).json;
    const reg = await act(T.dispatcher, k.id, 'register');
    await until('three attempts', async () => got.length >= 3, 15000);
    await sleep(1500); // no fourth attempt after the success
    assert.equal(got.length, 3, 'two failures and one success: ' + got.map((g) => g.body).join('\n'));
    const ids = new Set(got.map((g) => g.headers['x-jiceng-delivery']));
    assert.equal(ids.size, 1, 'one delivery, three attempts');
    for (const g of got) {
      const ts = g.headers['x-jiceng-timestamp'];
      assert.match(ts, /^\d+$/);
      const want = 'sha256=' + createHmac('sha256', secret).update(ts + '.' + g.body).digest('hex');
      assert.equal(g.headers['x-jiceng-signature'], want, 'signed with the secret');
      assert.equal(g.headers['x-jiceng-event'], 'dispatched');
      assert.match(g.headers['content-type'], /application\/json/);
    }
    const p = JSON.parse(got[2].body);
    assert.equal(p.kind, 'dispatched');
    assert.equal(p.case.id, k.id);
    assert.equal(p.case.no, k.no);
    assert.equal(p.case.title, k.title);
    assert.equal(p.to.dept_id, reg.dept_id);
    assert.match(p.text, /^【基层】新派单：JC\d{8}-\d+ 占道经营/);
    assert.ok(!JSON.stringify(p).includes('phone'), 'no personal data in the payload');
    const gap1 = got[1].at - got[0].at, gap2 = got[2].at - got[1].at;
    assert.ok(gap1 >= 900, 'first retry after about 1 s: ' + gap1);
    assert.ok(gap2 >= 1900, 'second retry after about 2 s: ' + gap2);
    assert.ok(gap2 > gap1, `backoff grows: ${gap1} then ${gap2}`);
    const del = (await srv.api('GET', `/api/v1/webhooks/${hk.json.id}/deliveries`, { token: T.admin })).json.deliveries;
    const mine = del.find((d) => String(d.id) === [...ids][0]);
    assert.equal(mine.state, 'sent');
    assert.equal(mine.attempts, 3);
    assert.equal(mine.last_status, 200);
    assert.equal((await srv.api('GET', `/api/v1/webhooks/${quiet.json.id}/deliveries`, { token: T.admin })).json.deliveries.length, 0, 'filtered by kind');

    // switched off: nothing more is sent to it
    const off = await srv.api('PUT', `/api/v1/webhooks/${hk.json.id}`, { token: T.admin, body: { active: false } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.active, false);
    assert.equal((await srv.api('PUT', `/api/v1/webhooks/${hk.json.id}`, { token: T.admin, body: { active: 'no' } })).status, 400);
    const k2 = (await srv.api('POST', '/api/v1/cases', { token: T.resident1, body: { title: '乱贴广告 ' + filler(), category: '0104', area: '110101001002002' } })).json;
    await act(T.dispatcher, k2.id, 'register');
    await sleep(2500);
    assert.equal(got.length, 3, 'an inactive webhook gets nothing');
  } finally {
    recv.close();
  }
});
