// 92-people-privacy.test.mjs -- 一人一档's privacy matrix (issue 20, PIPL): every
// role x every /api/v1/people endpoint, on departments' tables the test generates
// (no ../shared needed): who gets an answer and who a refusal; in and out of the
// caller's community; names masked for the roles that may not see them; ID
// numbers and phones never in clear in any answer but the purpose-stated unmask;
// every unmasked read (and only a successful one) an audit entry naming its
// purpose; a refused call changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, jiceng, dbQuery } from './lib.mjs';

const C1 = '110101001001', C2 = '110101001002';
const LOGINS = ['admin', 'dispatcher', 'supervisor', 'community1', 'community2', 'worker1', 'resident1', 'dept_minzheng'];
let srv, work;
const T = {};
const secrets = new Set(); // every ID number and phone of the imported files, in clear
const answers = [];        // [who, method, path, text] of every answer but the unmasks
const sql = (q) => dbQuery(srv.db, q);
const unmaskAudits = () => Number(sql("SELECT count(*) FROM audit WHERE action = 'people.unmask'"));

async function call(who, method, path, body) {
  const raw = typeof body === 'string';
  const r = await srv.api(method, path, { token: T[who], body, headers: raw ? { 'content-type': 'text/csv' } : {} });
  if (!/\/unmask$/.test(path)) answers.push([who, method, path, r.text]);
  return r;
}

before(async () => {
  srv = await startServer();
  work = mkdtempSync(join(tmpdir(), 'jiceng-people-privacy-'));
  // fictional departments' tables in the demo street's communities
  const gen = join(work, 'gen');
  let r = jiceng(['people', 'generate', '--db', srv.db, '--out', gen, '--persons', '900', '--layout', 'other', '--seed', '11']);
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['source_yibao.csv', 'source_zhujian.csv', 'source_jiaoyu.csv', 'source_tuiyi.csv']) {
    r = jiceng(['people', 'import', '--db', srv.db, '--source', f.replace(/^source_|\..*$/g, ''), join(gen, f), '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const bytes = readFileSync(join(gen, f));
    const text = new TextDecoder(f.includes('yibao') ? 'gb18030' : 'utf-8').decode(bytes).replace(/[\s+-]/g, '');
    for (const m of text.matchAll(/(?<!\d)(\d{17}[\dX]|\d{15}|1\d{10})(?!\d)/g)) secrets.add(m[1]);
  }
  // a review pair in each of two communities: a homophone at the same house, no ID number
  const names = Object.fromEntries(sql(`SELECT code, name FROM areas WHERE code IN ('${C1}', '${C2}')`).split('\n').map((l) => l.split('|')));
  const home = (c) => names[c].replace(/居委会$/, '') + '幸福里3-2-101';
  const a = join(work, 'a.csv'), b = join(work, 'b.csv');
  writeFileSync(a, `编号,姓名,身份证号,出生日期,住址,联系电话\nA1,王秀兰,,1950-03-04,${home(C1)},13910001001\nA2,李建华,,1948-05-06,${home(C2)},13910001002\n`);
  writeFileSync(b, `编号,姓名,身份证号,出生日期,住址\nB1,王秀岚,,,${home(C1)}\nB2,李剑华,,,${home(C2)}\n`);
  secrets.add('13910001001').add('13910001002');
  for (const [k, f] of [['pa', a], ['pb', b]]) {
    r = jiceng(['people', 'import', '--db', srv.db, '--source', k, f, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
  }
  for (const n of LOGINS) T[n] = await srv.login(n);
  assert.ok(secrets.size > 500, 'the files hold ID numbers and phones');
});
after(async () => { await srv?.cleanup(); if (work) rmSync(work, { recursive: true, force: true }); });

test('every role x every people endpoint: the gate, the community, masking, the audit of unmasked reads', async () => {
  const inC = {};
  for (const c of [C1, C2]) inC[c] = (await call('admin', 'GET', '/api/v1/people/persons?area=' + c)).json.persons;
  assert.ok(inC[C1].length > 10 && inC[C2].length > 10, 'persons in both communities');
  assert.ok(inC[C1].every((p) => String(p.community).startsWith(C1)));
  const p1 = inC[C1][0].id, p2 = inC[C2][0].id;

  // ---- the gate: roles without any access to persons
  for (const who of ['worker1', 'resident1', 'dept_minzheng']) {
    for (const [m, p, body] of [['GET', '/api/v1/people/sources'], ['GET', '/api/v1/people/imports'], ['GET', '/api/v1/people/review'],
      ['POST', '/api/v1/people/review', { a_source: 'pa', a_record: 'A1', b_source: 'pb', b_record: 'B1', decision: 'same' }],
      ['GET', '/api/v1/people/persons'], ['GET', `/api/v1/people/persons/${p1}`],
      ['POST', `/api/v1/people/persons/${p1}/unmask`, { purpose: '核实身份信息' }], ['GET', '/api/v1/people/report?template=summary'],
      ['PUT', '/api/v1/people/sources/pa', { name: '改名' }], ['POST', '/api/v1/people/sources/pa/import?file=a.csv', '编号,姓名\n1,张三\n'],
      ['POST', '/api/v1/people/sources/pa/withdraw', {}]]) {
      assert.equal((await call(who, m, p, body)).status, 403, `${who} ${m} ${p}`);
    }
  }
  // department staff read the figures only
  assert.equal((await call('dept_minzheng', 'GET', '/api/v1/people/counts')).status, 200);
  assert.equal((await call('worker1', 'GET', '/api/v1/people/counts')).status, 403);
  assert.equal((await call('resident1', 'GET', '/api/v1/people/counts')).status, 403);

  // ---- the list: within the caller's area; names masked for a supervisor
  for (const who of ['admin', 'dispatcher', 'supervisor', 'community1', 'community2']) {
    const r = await call(who, 'GET', '/api/v1/people/persons');
    assert.equal(r.status, 200, who);
    const list = r.json.persons;
    assert.ok(list.length > 0, who);
    if (who === 'community1') assert.ok(list.every((p) => String(p.community).startsWith(C1)), 'community1 sees its community only');
    if (who === 'community2') assert.ok(list.every((p) => String(p.community).startsWith(C2)), 'community2 sees its community only');
    for (const p of list) {
      if (who === 'supervisor') {
        assert.match(p.name, /\*/, 'a supervisor sees names masked');
        assert.equal(p.address, undefined, 'and no address');
        assert.equal(p.household_no ?? null, null, 'and no household number');
      } else assert.doesNotMatch(p.name, /\*/, who);
    }
    // another community's list is refused to community staff; a search by name is not a supervisor's
    if (who.startsWith('community')) {
      const other = who === 'community1' ? C2 : C1;
      assert.equal((await call(who, 'GET', `/api/v1/people/persons?area=${other}`)).status, 403, who);
    }
  }
  const name1 = inC[C1][0].name;
  const found = (await call('supervisor', 'GET', '/api/v1/people/persons?q=' + encodeURIComponent(name1))).json.persons;
  assert.ok(found.length > 1, 'a supervisor\'s name search is ignored (the whole list answers)');

  // ---- one person: in scope 200, out of scope refused, for each role that reads persons
  const scope = { admin: [p1, p2], dispatcher: [p1, p2], supervisor: [p1, p2], community1: [p1], community2: [p2] };
  for (const [who, ok] of Object.entries(scope)) {
    for (const id of [p1, p2]) {
      const r = await call(who, 'GET', `/api/v1/people/persons/${id}`);
      if (ok.includes(id)) {
        assert.equal(r.status, 200, `${who} person ${id}`);
        assert.ok(r.json.records.length >= 1);
        for (const x of r.json.records) assert.equal(x.attributes, undefined, 'a record\'s other columns only through unmask');
        if (who === 'supervisor') assert.match(r.json.name, /\*/);
      } else {
        assert.equal(r.status, 404, `${who} person ${id}: not revealed`);
        assert.equal(r.text, (await call('admin', 'GET', '/api/v1/people/persons/99999999')).text.replace('99999999', String(id)), 'the answer of a person that does not exist');
      }
    }
  }

  // ---- unmask: a purpose, the role, the scope; each success one audit entry with its purpose
  let audits = unmaskAudits();
  assert.equal(audits, 0);
  const unmask = async (who, id, purpose) => srv.api('POST', `/api/v1/people/persons/${id}/unmask`, { token: T[who], body: purpose === undefined ? {} : { purpose } });
  for (const [who, id, purpose, status] of [
    ['admin', p2, undefined, 400], ['admin', p2, '查看', 400], ['supervisor', p1, '核实身份信息', 403],
    ['community1', p2, '核实身份信息', 404], ['community2', p1, '核实身份信息', 404]]) {
    const r = await unmask(who, id, purpose);
    assert.equal(r.status, status, `${who} unmask ${id} (${purpose}): ${r.status}`);
    assert.equal(unmaskAudits(), audits, 'a refused unmask writes nothing');
  }
  for (const [who, id, purpose] of [['admin', p2, '核实低保申请人身份'], ['dispatcher', p1, '联系独居老人家属'], ['community1', p1, '入户走访核对电话'], ['community2', p2, '核实残疾证办理人']]) {
    const r = await unmask(who, id, purpose);
    assert.equal(r.status, 200, `${who} unmask ${id}: ${r.text}`);
    const clear = [r.json.id_number, r.json.phone, ...r.json.records.flatMap((x) => [x.id_number, x.phone])].filter(Boolean);
    assert.ok(clear.some((v) => secrets.has(String(v).split(/[,，]/)[0])), `${who}: the clear values are the file's`);
    audits++;
    assert.equal(unmaskAudits(), audits, `${who}: one audit entry per unmasked read`);
    const last = sql("SELECT reason || '|' || actor FROM audit WHERE action = 'people.unmask' ORDER BY seq DESC LIMIT 1");
    assert.match(last, new RegExp(purpose), 'the purpose is in the trace');
    assert.match(last, new RegExp(`\\|${who}$`), 'and who read');
  }

  // ---- the review queue: within the caller's area; a decision only on a pair of one's own
  const queue = async (who) => (await call(who, 'GET', '/api/v1/people/review?limit=500')).json;
  const has = (q, rec) => q.pairs.some((p) => p.a_record === rec || p.b_record === rec);
  const q1 = await queue('community1'), q2 = await queue('community2'), qa = await queue('admin');
  assert.ok(has(qa, 'A1') && has(qa, 'A2'), 'both pairs queued');
  assert.ok(has(q1, 'A1') && !has(q1, 'A2'), 'community1 sees its pair only');
  assert.ok(has(q2, 'A2') && !has(q2, 'A1'), 'community2 sees its pair only');
  for (const p of [...q1.pairs, ...qa.pairs].flatMap((x) => x.records)) {
    assert.ok(!p.id_number || /\*/.test(p.id_number));
    assert.ok(!p.phone || /\*/.test(p.phone));
  }
  assert.equal((await call('supervisor', 'GET', '/api/v1/people/review')).status, 403);
  const decide = (who, a, b) => call(who, 'POST', '/api/v1/people/review', { a_source: 'pa', a_record: a, b_source: 'pb', b_record: b, decision: 'different' });
  const decided = () => Number(sql("SELECT count(*) FROM people_review WHERE status != 'pending'"));
  assert.equal((await decide('community1', 'A2', 'B2')).status, 404, 'not another community\'s pair (not revealed)');
  assert.equal(decided(), 0, 'a refused decision changes nothing');
  assert.equal((await decide('community1', 'A1', 'B1')).status, 200);
  assert.equal(decided(), 1);

  // ---- sources and imports: readers see them (no person in them); only the street and the administrator write
  for (const who of ['admin', 'dispatcher', 'supervisor', 'community1']) {
    assert.equal((await call(who, 'GET', '/api/v1/people/sources')).status, 200, who);
    assert.equal((await call(who, 'GET', '/api/v1/people/imports')).status, 200, who);
  }
  const before = sql('SELECT count(*) FROM people_records');
  for (const who of ['supervisor', 'community1']) {
    assert.equal((await call(who, 'PUT', '/api/v1/people/sources/pa', { name: '改名' })).status, 403, who);
    assert.equal((await call(who, 'POST', '/api/v1/people/sources/pa/import?file=a.csv', '编号,姓名\n9,张三\n')).status, 403, who);
  }
  for (const who of ['dispatcher', 'supervisor', 'community1']) assert.equal((await call(who, 'POST', '/api/v1/people/sources/pb/withdraw', {})).status, 403, who);
  assert.equal(sql('SELECT count(*) FROM people_records'), before, 'refused writes change nothing');

  // ---- the figures: per community, within the caller's area
  const counts = async (who, q = '') => call(who, 'GET', '/api/v1/people/counts' + q);
  const c1 = (await counts('community1')).json.communities;
  assert.deepEqual(c1.map((c) => c.area), [C1]);
  assert.ok([403, 404].includes((await counts('community1', '?area=' + C2)).status));
  assert.ok((await counts('admin')).json.communities.length >= 2);
  for (const c of (await counts('dept_minzheng')).json.communities) assert.deepEqual(Object.keys(c).filter((k) => /name|id_number|phone/.test(k)), []);

  // ---- a form from the store: within the caller's area, audited, masked
  const form = async (who, q) => fetch(srv.url + '/api/v1/people/report?template=elders_alone' + q, { headers: { authorization: 'Bearer ' + T[who] } });
  const reports = () => Number(sql("SELECT count(*) FROM audit WHERE action = 'people.report'"));
  assert.equal((await form('community1', '&area=' + C2)).status, 403);
  assert.equal(reports(), 0);
  const x = await form('community1', '');
  assert.equal(x.status, 200);
  assert.equal(reports(), 1);
  const f = join(work, 'form.xlsx');
  writeFileSync(f, Buffer.from(await x.arrayBuffer()));
  const xml = execFileSync('unzip', ['-p', f, 'xl/sharedStrings.xml'], { encoding: 'utf8' }) + execFileSync('unzip', ['-p', f, 'xl/worksheets/sheet1.xml'], { encoding: 'utf8' });
  for (const s of secrets) assert.ok(!xml.includes(s), 'an ID number or phone in clear in the form');

  // ---- no answer but the unmasks holds an ID number or a phone in clear
  assert.ok(answers.length > 60);
  for (const [who, m, p, text] of answers)
    for (const s of secrets) if (text.includes(s)) assert.fail(`${who} ${m} ${p}: '${s.slice(0, 4)}…' in clear`);

  // ---- withdrawal: the administrator's, in the trace; the chain still verifies
  const w = await call('admin', 'POST', '/api/v1/people/sources/pb/withdraw', {});
  assert.equal(w.status, 200, w.text);
  assert.equal(Number(sql("SELECT count(*) FROM people_records WHERE source = 'pb'")), 0);
  assert.match(sql("SELECT reason FROM audit WHERE action = 'people.withdraw'"), /pb/);
  assert.equal(jiceng(['audit', 'verify', '--db', srv.db]).status, 0);
});

test('the CLI export carries masked values only', () => {
  const r = jiceng(['people', 'export', '--db', srv.db, '--persons']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.split('\n').length > 100);
  for (const s of secrets) assert.ok(!r.stdout.includes(s), 'an ID number or phone in clear in the export');
});
