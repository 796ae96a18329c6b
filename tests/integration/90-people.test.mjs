// 90-people.test.mjs -- `jiceng people`: departmental tables imported with the
// mapping proposed from their headers, linked into persons (pairwise F1 on the
// er-dev set and on generated tables of other layouts), re-imported as a diff,
// dry runs, and bad input refused with the row or reason named, nothing
// half-imported and the audit chain intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync, existsSync, truncateSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jiceng, SHARED, dbQuery, startPostgres } from './lib.mjs';

const ERDEV = join(SHARED, 'data/er-dev');
const PG = process.env.JICENG_TEST_DB === 'pg';

// A new database: an SQLite file in dir, or under JICENG_TEST_DB=pg a new
// database of the run's PostgreSQL cluster (dropped when the process exits).
const pgDbs = [];
process.on('exit', () => { for (const d of pgDbs) d.drop(); });
function freshDb(dir, name = 'p.db') {
  let db = join(dir, name);
  if (PG) { const d = startPostgres(); pgDbs.push(d); db = d.url; }
  const r = jiceng(['init', db]);
  assert.equal(r.status, 0, r.stderr);
  return db;
}

function importAll(db, dir) {
  for (const f of readdirSync(dir).filter((f) => f.startsWith('source_')).sort()) {
    const key = f.replace(/^source_/, '').replace(/\..*$/, '');
    const r = jiceng(['people', 'import', '--db', db, '--source', key, join(dir, f), '--quiet']);
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
  }
}

function score(db, truthDir, work) {
  const r = jiceng(['people', 'export', '--db', db, '--links']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^source,record_id,cluster_id\n/);
  const pred = join(work, 'pred.csv');
  writeFileSync(pred, r.stdout);
  const out = execFileSync('python3', [join(ERDEV, 'score.py'), join(truthDir, 'truth.csv'), pred, '--json'],
    { encoding: 'utf8' });
  return JSON.parse(out);
}

function count(db, sql) {
  return Number(dbQuery(db, sql));
}

test('er-dev: six departments linked with pairwise F1 >= 0.99', { skip: !existsSync(ERDEV) && 'no ../shared' }, () => {
  const work = mkdtempSync(join(tmpdir(), 'jiceng-people-'));
  try {
    const db = freshDb(work);
    importAll(db, ERDEV);
    const s = score(db, ERDEV, work);
    assert.equal(s.missing_from_prediction, 0);
    assert.ok(s.f1 >= 0.99, `F1 ${s.f1} (precision ${s.precision}, recall ${s.recall})`);
    // a full re-link gives the same quality
    const r = jiceng(['people', 'link', '--db', db]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /linked 7846 records/);
    assert.ok(score(db, ERDEV, work).f1 >= 0.99);
    // ID numbers and phones are not readable at rest: not in the database's files
    // (PostgreSQL: not in any column of the tables, read as text)
    const files = PG ? ['people_records', 'people_persons'].map((t) => execFileSync('psql',
      [db, '-qAtX', '-c', `SELECT t::text FROM ${t} t`], { maxBuffer: 1 << 28 }))
      : [db, db + '-wal'].filter(existsSync).map((f) => readFileSync(f));
    if (PG) assert.ok(files[0].length > 1e6, 'the records were read');
    for (const secret of ['110103195109277816', '110101195612052646', '18603819358', '13105792971']) {
      for (const buf of files) assert.equal(buf.indexOf(secret), -1, `${secret} readable at rest`);
    }
    assert.ok(count(db, "SELECT count(*) FROM people_records WHERE id_mask LIKE '______********____'") > 7000);
  } finally { rmSync(work, { recursive: true, force: true }); }
});

test('other layouts (renamed, reordered, extra columns, title lines, GB18030, XLSX): F1 >= 0.99', () => {
  const work = mkdtempSync(join(tmpdir(), 'jiceng-people-'));
  try {
    const gen = join(work, 'gen');
    const g = jiceng(['people', 'generate', '--out', gen, '--persons', '2500', '--layout', 'other', '--seed', '11']);
    assert.equal(g.status, 0, g.stderr);
    assert.ok(existsSync(join(gen, 'source_laoling.xlsx')));
    const db = freshDb(work);
    importAll(db, gen);
    const s = score(db, gen, work);
    assert.equal(s.missing_from_prediction, 0);
    assert.ok(s.f1 >= 0.99, `F1 ${s.f1} (precision ${s.precision}, recall ${s.recall})`);
    // the mapping was proposed from the headers and saved with each source
    const src = JSON.parse(jiceng(['people', 'sources', '--db', db]).stdout);
    const jiaoyu = src.find((x) => x.key === 'jiaoyu');
    assert.equal(jiaoyu.mapping['学生姓名'], 'name');
    assert.equal(jiaoyu.mapping['身份证件号'], 'id_number');
    assert.equal(jiaoyu.mapping['家长姓名'], undefined); // a parent's name is not the pupil's
  } finally { rmSync(work, { recursive: true, force: true }); }
});

// er-dev's tables as other departments might head them: names under headers no synonym lists
// (持证人, 救助对象, 患者, 参保人 — found by their values), addresses under 居住详址 and 现居地,
// columns in reverse order, a clerk's name and phone added. Before the name was sniffed from
// the values, three of the six imports were refused (no name column).
test('er-dev under unlisted headers, columns reversed, a clerk\'s columns added: F1 >= 0.99', { skip: !existsSync(ERDEV) && 'no ../shared' }, () => {
  const work = mkdtempSync(join(tmpdir(), 'jiceng-people-'));
  try {
    const rename = {
      canlian: { 姓名: '持证人', 居住地址: '现居地' },
      minzheng: { 姓名: '救助对象' },
      renshe: { 姓名: '参保人', 通讯地址: '居住详址' },
      weijian: { 姓名: '患者' },
    };
    const dir = join(work, 'renamed');
    execFileSync('mkdir', ['-p', dir]);
    const clerks = [['李明', '13900000001'], ['王强', '13900000002'], ['赵丽', '13900000003']];
    for (const f of readdirSync(ERDEV).filter((f) => f.startsWith('source_'))) {
      const key = f.replace(/^source_/, '').replace(/\..*$/, '');
      const lines = readFileSync(join(ERDEV, f), 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l);
      const rows = lines.map((l) => l.split(','));
      rows[0] = rows[0].map((h) => (rename[key] || {})[h] || h);
      const out = rows.map((r, i) => [r[0], ...r.slice(1).reverse(),
        ...(i ? clerks[i % 3] : ['经办人', '经办人电话'])].join(','));
      writeFileSync(join(dir, f), '\uFEFF' + out.join('\r\n') + '\r\n');
    }
    writeFileSync(join(dir, 'truth.csv'), readFileSync(join(ERDEV, 'truth.csv')));
    const db = freshDb(work);
    importAll(db, dir);
    const s = score(db, dir, work);
    assert.equal(s.missing_from_prediction, 0);
    assert.ok(s.f1 >= 0.99, `F1 ${s.f1} (precision ${s.precision}, recall ${s.recall})`);
    const src = JSON.parse(jiceng(['people', 'sources', '--db', db]).stdout);
    const m = Object.fromEntries(src.map((x) => [x.key, x.mapping]));
    assert.equal(m.canlian['持证人'], 'name');
    assert.equal(m.renshe['参保人'], 'name');
    assert.equal(m.renshe['居住详址'], 'address');
    assert.equal(m.canlian['现居地'], 'address');
    assert.notEqual(m.gongan['经办人电话'], 'phone'); // the clerk's phone is not the person's
  } finally { rmSync(work, { recursive: true, force: true }); }
});

test('re-import: update, add, retire by record id; never a duplicate; dry run writes nothing', () => {
  const work = mkdtempSync(join(tmpdir(), 'jiceng-people-'));
  try {
    const db = freshDb(work);
    const a = join(work, 'a.csv');
    const rows = ['编号,姓名,身份证号,联系电话,住址',
      '1,张伟,11010119981225673X,13105792971,和平里3-2-101',
      '2,王芳,110103194201267122,13300000002,和平里3-2-102',
      '3,李娜,,13300000003,和平里3-2-103',
      '4,赵强,110101199001021235,13300000004,和平里3-2-104'];
    writeFileSync(a, rows.join('\r\n') + '\r\n');
    let r = jiceng(['people', 'import', '--db', db, '--source', 'grid', a, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /4 rows, 4 added, 0 updated, 0 retired/);
    // row 2 changed, row 4 gone, row 5 new
    const b = join(work, 'b.csv');
    writeFileSync(b, [rows[0], rows[1], '2,王芳,110103194201267122,13300009999,和平里3-2-102', rows[3],
      '5,周杰,,13300000005,和平里3-2-105'].join('\r\n') + '\r\n');
    r = jiceng(['people', 'import', '--db', db, '--source', 'grid', b, '--dry-run', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^row\trecord_id\taction\tnote\n/);
    assert.match(r.stdout, /\n3\t2\tupdate\t/);
    assert.match(r.stdout, /\n5\t5\tadd\t/);
    assert.match(r.stdout, /\n0\t4\tretire\t/);
    assert.match(r.stdout, /dry run, nothing written: grid: 4 rows, 1 added, 1 updated, 1 retired, 2 unchanged/);
    assert.equal(count(db, 'SELECT count(*) FROM people_records WHERE active = 1'), 4);
    r = jiceng(['people', 'import', '--db', db, '--source', 'grid', b, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /4 rows, 1 added, 1 updated, 1 retired, 2 unchanged/);
    assert.equal(count(db, 'SELECT count(*) FROM people_records WHERE active = 1'), 4);
    assert.equal(count(db, "SELECT count(*) FROM people_records WHERE source = 'grid'"), 5);
    const links = jiceng(['people', 'export', '--db', db, '--links']).stdout.trim().split('\n');
    assert.equal(links.length, 5); // header + 4 records, each once
    // the same file again changes nothing
    r = jiceng(['people', 'import', '--db', db, '--source', 'grid', b, '--quiet']);
    assert.match(r.stdout, /0 added, 0 updated, 0 retired, 4 unchanged/);
    // withdrawal deletes the source's records, and says so in the trace
    r = jiceng(['people', 'withdraw', '--db', db, '--source', 'grid']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /5 records deleted/);
    assert.equal(count(db, 'SELECT count(*) FROM people_records'), 0);
    assert.equal(count(db, 'SELECT count(*) FROM people_persons'), 0);
    assert.equal(count(db, "SELECT count(*) FROM audit WHERE action = 'people.withdraw'"), 1);
    assert.equal(jiceng(['audit', 'verify', '--db', db]).status, 0);
  } finally { rmSync(work, { recursive: true, force: true }); }
});

test('a reviewer\'s decision survives a re-import and a full re-link', () => {
  const work = mkdtempSync(join(tmpdir(), 'jiceng-people-'));
  try {
    const db = freshDb(work);
    // a homophone of the name at the same house, no ID number, one birth date missing:
    // linked, but not surely (probability ~0.9)
    const a = join(work, 'a.csv'), b = join(work, 'b.csv');
    writeFileSync(a, '编号,姓名,身份证号,出生日期,住址\nA1,王秀兰,,1950-03-04,和平里3-2-101\n');
    writeFileSync(b, '编号,姓名,身份证号,出生日期,住址\nB1,王秀岚,,,和平里3-2-101\n');
    assert.equal(jiceng(['people', 'import', '--db', db, '--source', 'a', a, '--quiet']).status, 0);
    assert.equal(jiceng(['people', 'import', '--db', db, '--source', 'b', b, '--quiet']).status, 0);
    const clusters = () => Object.fromEntries(jiceng(['people', 'export', '--db', db, '--links']).stdout.trim().split('\n').slice(1)
      .map((l) => l.split(',')).map(([s, id, c]) => [s + ':' + id, c]));
    const queue = JSON.parse(jiceng(['people', 'review', '--db', db]).stdout);
    assert.equal(queue.length, 1, 'the pair is queued for review');
    assert.equal(clusters()['a:A1'], clusters()['b:B1']);
    let r = jiceng(['people', 'decide', '--db', db, '--a', 'a:A1', '--b', 'b:B1', '--different']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(jiceng(['people', 'link', '--db', db]).status, 0);
    assert.notEqual(clusters()['a:A1'], clusters()['b:B1']);
    // a changed file of source b, then a full re-link: still two people
    writeFileSync(b, '编号,姓名,身份证号,出生日期,住址\nB1,王秀岚,,1950年3月,和平里3-2-101\n');
    r = jiceng(['people', 'import', '--db', db, '--source', 'b', b, '--quiet']);
    assert.match(r.stdout, /1 updated/);
    assert.notEqual(clusters()['a:A1'], clusters()['b:B1']);
    assert.equal(jiceng(['people', 'link', '--db', db]).status, 0);
    assert.notEqual(clusters()['a:A1'], clusters()['b:B1']);
    assert.equal(JSON.parse(jiceng(['people', 'review', '--db', db]).stdout).length, 0, 'a decided pair is not asked again');
  } finally { rmSync(work, { recursive: true, force: true }); }
});

test('a housing register without community names: the 小区 column starts the address, the community comes from the house', () => {
  const work = mkdtempSync(join(tmpdir(), 'jiceng-people-'));
  try {
    const db = freshDb(work);
    assert.equal(jiceng(['demo', '--db', db]).status, 0); // the demo street's area tree
    const q = (sql) => dbQuery(db, sql);
    const comm = q("SELECT name FROM areas WHERE code = '110101001001'").replace(/居委会$/, '');
    // a civil-affairs table whose addresses name the community
    const a = join(work, 'a.csv'), b = join(work, 'b.csv');
    writeFileSync(a, `编号,姓名,身份证号,住址\nA1,赵春华,,北京市东城区${comm}居委会 育才路55号院1号楼4单元304室\n`);
    // a housing register: 小区, 楼栋, 单元, 房号 only -- another person of that flat, one of another flat
    writeFileSync(b, '房屋及住户登记台账,,,,,,\n登记编号,姓名,证件号,小区,楼栋,单元,房号\nZ1,钱立新,,育才路,55号院1号楼,4,304\nZ2,孙丽,,育才路,55号院1号楼,4,305\n');
    assert.equal(jiceng(['people', 'import', '--db', db, '--source', 'a', a, '--quiet']).status, 0);
    assert.equal(jiceng(['people', 'import', '--db', db, '--source', 'b', b, '--quiet']).status, 0);
    const src = JSON.parse(jiceng(['people', 'sources', '--db', db]).stdout).find((x) => x.key === 'b');
    assert.equal(src.mapping['小区'], 'address', 'the 小区 column is part of the address');
    // sources imported without --name are named by the title line, else by the file's name
    assert.equal(src.name, '房屋及住户登记台账');
    assert.equal(JSON.parse(jiceng(['people', 'sources', '--db', db]).stdout).find((x) => x.key === 'a').name, 'a.csv');
    assert.equal(q("SELECT address FROM people_records WHERE record_id = 'Z1'"), '育才路55号院1号楼4单元304室');
    assert.equal(q("SELECT community FROM people_records WHERE record_id = 'Z1'"), '110101001001', 'the flat\'s community');
    assert.equal(q("SELECT p.community FROM people_persons p JOIN people_records r ON r.person_id = p.id WHERE r.record_id = 'Z1'"), '110101001001');
    assert.notEqual(q("SELECT community FROM people_records WHERE record_id = 'Z2'"), '110101001001', 'another flat: not guessed');
    // the flat's people count in the community's figures
    assert.equal(q("SELECT count(*) FROM people_persons WHERE community = '110101001001'"), '2');
  } finally { rmSync(work, { recursive: true, force: true }); }
});

test('numbers of another kind (a passport) link two tables, as ID numbers do', () => {
  const work = mkdtempSync(join(tmpdir(), 'jiceng-people-'));
  try {
    const db = freshDb(work);
    const a = join(work, 'a.csv'), b = join(work, 'b.csv');
    writeFileSync(a, '编号,姓名,证件号码,出生日期\nA1,JOHN SMITH,E12345678,1980-01-02\nA2,MARY LEE,E99999999,1975-05-06\n');
    writeFileSync(b, '编号,姓名,护照号,出生日期\nB1,Jon Smyth,E12345678,1980-02-01\nB2,Mary Lee,G11111111,1990-05-06\n');
    assert.equal(jiceng(['people', 'import', '--db', db, '--source', 'a', a, '--quiet']).status, 0);
    const r = jiceng(['people', 'import', '--db', db, '--source', 'b', b, '--map', '护照号=id_number', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const rows = jiceng(['people', 'export', '--db', db, '--links']).stdout.trim().split('\n').slice(1).map((l) => l.split(','));
    const cluster = Object.fromEntries(rows.map(([s, id, c]) => [s + ':' + id, c]));
    assert.equal(cluster['a:A1'], cluster['b:B1']); // the same passport, the birth date's day and month swapped
    assert.notEqual(cluster['a:A2'], cluster['b:B2']); // another passport and another birth year
  } finally { rmSync(work, { recursive: true, force: true }); }
});

test('bad input: a clear error naming the row or reason, nothing half-imported, the audit chain intact', () => {
  const work = mkdtempSync(join(tmpdir(), 'jiceng-people-'));
  try {
    const db = freshDb(work);
    const good = join(work, 'good.csv');
    writeFileSync(good, '编号,姓名,身份证号\n1,张伟,11010119981225673X\n');
    assert.equal(jiceng(['people', 'import', '--db', db, '--source', 's', good, '--quiet']).status, 0);
    const before = () => [count(db, 'SELECT count(*) FROM people_records'), count(db, 'SELECT count(*) FROM audit'),
      count(db, 'SELECT count(*) FROM people_imports')];
    const base = before();
    const refuse = (name, content, pattern, extra = []) => {
      const f = join(work, name);
      if (content !== null) writeFileSync(f, content);
      const r = jiceng(['people', 'import', '--db', db, '--source', 's', f, '--quiet', ...extra]);
      assert.equal(r.status, 1, `${name} was accepted: ${r.stdout}`);
      assert.match(r.stderr, pattern, name);
      assert.match(r.stderr, /nothing imported/);
      assert.deepEqual(before(), base, `${name} changed the store`);
    };
    // wrong encoding: Latin-1 bytes on line 3
    refuse('latin1.csv', Buffer.concat([Buffer.from('编号,姓名,身份证号\n1,张伟,11010119981225673X\n2,'),
      Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x2c]), Buffer.from('110103194201267122\n')]), /line 3: neither UTF-8 nor GB18030/);
    // no ID column
    refuse('noid.csv', '编号,姓名,电话\n1,张伟,13100000001\n', /no ID number column/);
    // a broken row: a separator inside an unquoted cell shifts it
    refuse('broken.csv', '编号,姓名,身份证号\n1,张伟,11010119981225673X\n2,王,芳,110103194201267122\n',
      /row 3: 1 cells beyond the header/);
    // a record id twice
    refuse('dup.csv', '编号,姓名,身份证号\n1,张伟,11010119981225673X\n1,王芳,110103194201267122\n',
      /row 3: record id '1' already on row 2/);
    // a --map naming a column the file does not have
    refuse('good2.csv', '编号,姓名,身份证号\n1,张伟,11010119981225673X\n', /no column '证件'/, ['--map', '证件=id_number']);
    // a 100 MB file
    const big = join(work, 'big.csv');
    writeFileSync(big, '编号,姓名,身份证号\n');
    truncateSync(big, 100 * 1024 * 1024);
    refuse('big.csv', null, /100 MiB, more than the 64 MiB limit/);
    // an XLSX bomb: a sheet of 300 MiB that zips to a few hundred KiB
    const bomb = join(work, 'bomb.xlsx');
    execFileSync('python3', ['-c', `
import zipfile
z = zipfile.ZipFile(${JSON.stringify(bomb)}, 'w', zipfile.ZIP_DEFLATED)
z.writestr('[Content_Types].xml', '<?xml version="1.0"?><Types/>')
with z.open('xl/worksheets/sheet1.xml', 'w', force_zip64=True) as f:
    f.write(b'<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>x</t></is></c></row>')
    chunk = b'<row><c><v>1</v></c></row>' * 40000
    for i in range(300):
        f.write(chunk)
    f.write(b'</sheetData></worksheet>')
z.close()
`]);
    refuse('bomb.xlsx', null, /bomb/);
    assert.equal(jiceng(['audit', 'verify', '--db', db]).status, 0);
  } finally { rmSync(work, { recursive: true, force: true }); }
});
