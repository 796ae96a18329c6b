// Open311 GeoReport v2: every endpoint in JSON and XML, JSON responses
// validated against the published JSON Schemas (../shared/data/open311), XML
// checked for well-formedness, hostile input answered with the standard's
// errors and no case created, and no reporter data in public responses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startPostgres, dbQuery, jiceng, SHARED } from './lib.mjs';

// ---- a small JSON-Schema validator (the subset the Open311 schemas use) ----
const SCHEMA_DIR = join(SHARED, 'data/open311');
const schemas = {};
const loadSchema = name => (schemas[name] ??= JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')));
const swagger = loadSchema('swagger.json');
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
function typeOk(t, v) {
  switch (t) {
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'array': return Array.isArray(v);
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'null': return v === null;
    default: throw new Error('schema type ' + t);
  }
}
function validate(schema, v, path = '$', errs = []) {
  if (schema.$ref) {
    const s = schema.$ref.startsWith('#/definitions/') ? swagger.definitions[schema.$ref.slice(14)] : loadSchema(schema.$ref);
    return validate(s, v, path, errs);
  }
  if (schema.anyOf) {
    if (!schema.anyOf.some(s => validate(s, v, path, []).length === 0)) errs.push(`${path}: matches no anyOf branch`);
    return errs;
  }
  const t = schema.type ?? (schema.properties || schema.required ? 'object' : undefined);
  if (t && !typeOk(t, v)) { errs.push(`${path}: expected ${t}, got ${JSON.stringify(v)}`); return errs; }
  if (schema.enum && !schema.enum.includes(v)) errs.push(`${path}: ${JSON.stringify(v)} not in ${schema.enum}`);
  if (typeof v === 'string') {
    if (schema.maxLength !== undefined && [...v].length > schema.maxLength) errs.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.format === 'date-time' && !DATE_TIME.test(v)) errs.push(`${path}: not a date-time: ${v}`);
    if (schema.format === 'uri' && !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(v)) errs.push(`${path}: not a uri: ${v}`);
  }
  if (Array.isArray(v) && schema.items) v.forEach((x, i) => validate(schema.items, x, `${path}[${i}]`, errs));
  if (typeOk('object', v)) {
    for (const r of schema.required ?? []) if (!(r in v)) errs.push(`${path}: missing ${r}`);
    for (const [k, s] of Object.entries(schema.properties ?? {})) if (k in v) validate(s, v[k], `${path}.${k}`, errs);
  }
  return errs;
}
function assertSchema(schemaName, v) {
  const s = schemaName.startsWith('#') ? { $ref: schemaName } : loadSchema(schemaName);
  const errs = validate(s, v);
  assert.deepEqual(errs, [], `${schemaName}: ${errs.join('; ')}`);
}

// ---- a small XML well-formedness checker (elements, attributes, entities) ----
function parseXml(text) {
  let i = 0;
  const fail = m => { throw new Error(`XML: ${m} at ${i}: ${JSON.stringify(text.slice(i, i + 40))}`); };
  const ws = () => { while (/\s/.test(text[i] ?? '')) i++; };
  const NAME = /^[A-Za-z_][\w.-]*/;
  const checkText = t => {
    for (const m of t.matchAll(/&([^;]*);?/g)) if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1]) || !m[0].endsWith(';')) fail('bad entity ' + m[0]);
    if (/[<]/.test(t)) fail('stray <');
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(t)) fail('control character');
    return t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  };
  if (!text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')) fail('missing the UTF-8 declaration');
  i = text.indexOf('?>') + 2;
  ws();
  function element() {
    if (text[i] !== '<') fail('expected <');
    i++;
    const m = NAME.exec(text.slice(i)); if (!m) fail('bad name');
    const name = m[0]; i += name.length;
    const node = { name, children: [], text: '' };
    for (;;) {
      ws();
      if (text.startsWith('/>', i)) { i += 2; return node; }
      if (text[i] === '>') { i++; break; }
      const a = NAME.exec(text.slice(i)); if (!a) fail('bad attribute');
      i += a[0].length; ws(); if (text[i] !== '=') fail('expected ='); i++; ws();
      const q = text[i]; if (q !== '"' && q !== "'") fail('expected quote');
      const end = text.indexOf(q, i + 1); if (end < 0) fail('unterminated attribute');
      checkText(text.slice(i + 1, end)); i = end + 1;
    }
    for (;;) {
      const lt = text.indexOf('<', i); if (lt < 0) fail('unterminated element ' + name);
      node.text += checkText(text.slice(i, lt)); i = lt;
      if (text.startsWith('</', i)) {
        i += 2; if (!text.startsWith(name, i)) fail(`mismatched close of ${name}`);
        i += name.length; ws(); if (text[i] !== '>') fail('expected >'); i++; return node;
      }
      node.children.push(element());
    }
  }
  const root = element(); ws();
  if (i !== text.length) fail('content after the root');
  return root;
}
const kids = (n, name) => n.children.filter(c => c.name === name);
const kid = (n, name) => kids(n, name)[0];

// ---- the server ---------------------------------------------------------------
let srv, KEY, KEY2, tokenAdmin, dir, pg;
const V2 = '/open311/v2';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jiceng-o311-'));
  // the keys are added with the CLI before the server starts, on either backend
  pg = process.env.JICENG_TEST_DB === 'pg' ? startPostgres() : null;
  const db = pg ? pg.url : join(dir, 'test.db');
  for (const args of [['init', db], ['demo', '--db', db]]) {
    const r = jiceng(args); assert.equal(r.status, 0, r.stderr);
  }
  // A category with extra fields (one of each datatype) for service definitions.
  const fields = JSON.stringify([
    { code: 'size', label: '面积(平方米)', type: 'number', required: true },
    { code: 'kind', label: '种类', type: 'select', options: [{ key: 'box', name: '纸箱' }, { key: 'furniture', name: '旧家具' }] },
    { code: 'seen', label: '发现时间', type: 'datetime' },
    { code: 'tags', label: '标签', type: 'multiselect', options: ['a', 'b', 'c'] },
    { code: 'note', label: '说明 <&>', type: 'text' },
  ]);
  dbQuery(db, `UPDATE categories SET fields='${fields.replace(/'/g, "''")}' WHERE code='0102'`);
  let r = jiceng(['open311', 'key', 'add', '--db', db, '--name', 'fixmystreet']);
  assert.equal(r.status, 0, r.stderr);
  KEY = r.stdout.trim();
  assert.match(KEY, /^[0-9a-f]{64}$/);
  r = jiceng(['open311', 'key', 'add', '--db', db, '--name', 'oldapp']);
  KEY2 = r.stdout.trim();
  assert.equal(jiceng(['open311', 'key', 'disable', '--db', db, '--name', 'oldapp']).status, 0);
  r = jiceng(['open311', 'key', 'add', '--db', db, '--name', 'fixmystreet']);
  assert.notEqual(r.status, 0, 'a second key with the same client name is refused');
  r = jiceng(['open311', 'key', 'list', '--db', db]);
  assert.match(r.stdout, /fixmystreet .*active/);
  assert.match(r.stdout, /oldapp .*DISABLED/);
  assert.ok(!r.stdout.includes(KEY), 'list never shows a key');
  srv = await startServer({ db, dir });
  tokenAdmin = await srv.login('admin');
});
after(async () => { await srv.cleanup(); rmSync(dir, { recursive: true, force: true }); pg?.drop(); });

const get = path => srv.api('GET', V2 + path);
function post(fmt, fields, headers = { 'content-type': 'application/x-www-form-urlencoded' }) {
  const body = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
  return srv.api('POST', `${V2}/requests.${fmt}`, { body, headers });
}
async function caseCount() {
  const r = await srv.api('GET', '/api/v1/cases?limit=500', { token: tokenAdmin });
  return r.json.cases.length;
}
function isError(r, status) {
  assert.equal(r.status, status, r.text);
  if (r.headers.get('content-type').includes('json')) {
    assert.ok(Array.isArray(r.json) && r.json.length === 1, r.text);
    assert.equal(r.json[0].code, status);
    assert.equal(typeof r.json[0].description, 'string');
  } else {
    const x = parseXml(r.text);
    assert.equal(x.name, 'errors');
    assert.equal(kid(kid(x, 'error'), 'code').text, String(status));
    assert.ok(kid(kid(x, 'error'), 'description').text.length > 0);
  }
}
const good = (extra = {}) => ({ api_key: KEY, service_code: '0101', lat: '39.915', long: '116.404', description: '东华门大街路边有人占道摆摊卖水果', ...extra });

test('discovery in both formats', async () => {
  const j = await get('/discovery.json');
  assert.equal(j.status, 200);
  assert.match(j.headers.get('content-type'), /application\/json/);
  assert.equal(j.json.endpoints[0].specification, 'http://wiki.open311.org/GeoReport_v2');
  assert.ok(j.json.endpoints[0].url.endsWith('/open311/v2'));
  assert.deepEqual(j.json.endpoints[0].formats, ['text/xml', 'application/json']);
  const x = await get('/discovery.xml');
  assert.match(x.headers.get('content-type'), /text\/xml; charset=utf-8/);
  const d = parseXml(x.text);
  assert.equal(d.name, 'discovery');
  assert.equal(kids(kid(kid(kid(d, 'endpoints'), 'endpoint'), 'formats'), 'format').length, 2);
});

test('services: one per category, schema-valid JSON and matching XML', async () => {
  const cats = (await srv.api('GET', '/api/v1/categories')).json.categories;
  const j = await get('/services.json');
  assert.equal(j.status, 200);
  assertSchema('services.json', j.json);
  assert.equal(j.json.length, cats.length);
  for (const c of cats) {
    const s = j.json.find(s => s.service_code === c.code);
    assert.ok(s, c.code);
    assert.equal(s.service_name, c.name);
    assert.equal(s.type, 'realtime');
    assert.equal(s.metadata, c.code === '0102', `metadata of ${c.code}`);
  }
  const x = parseXml((await get('/services.xml')).text);
  assert.equal(x.name, 'services');
  const xs = kids(x, 'service');
  assert.equal(xs.length, cats.length);
  assert.equal(kid(xs[0], 'service_code').text, j.json[0].service_code);
  assert.equal(kid(xs[0], 'service_name').text, j.json[0].service_name);
  assert.ok(['true', 'false'].includes(kid(xs[0], 'metadata').text));
});

test('service definitions: attributes from the category fields; empty when none; 404 unknown', async () => {
  const j = await get('/services/0102.json');
  assert.equal(j.status, 200);
  assertSchema('service-definition.json', j.json);
  assert.equal(j.json.service_code, '0102');
  const by = Object.fromEntries(j.json.attributes.map(a => [a.code, a]));
  assert.equal(by.size.datatype, 'number');
  assert.equal(by.size.required, true);
  assert.equal(by.kind.datatype, 'singlevaluelist');
  assert.deepEqual(by.kind.values, [{ key: 'box', name: '纸箱' }, { key: 'furniture', name: '旧家具' }]);
  assert.equal(by.seen.datatype, 'datetime');
  assert.equal(by.tags.datatype, 'multivaluelist');
  assert.deepEqual(by.tags.values.map(v => v.key), ['a', 'b', 'c']);
  assert.equal(by.note.datatype, 'text');
  assert.deepEqual(j.json.attributes.map(a => a.order), [1, 2, 3, 4, 5]);
  const x = parseXml((await get('/services/0102.xml')).text);
  assert.equal(x.name, 'service_definition');
  const attrs = kids(kid(x, 'attributes'), 'attribute');
  assert.equal(attrs.length, 5);
  assert.equal(kid(attrs[4], 'description').text, '说明 <&>');
  assert.equal(kids(kid(attrs[1], 'values'), 'value').length, 2);
  const none = await get('/services/0101.json');
  assertSchema('service-definition.json', none.json);
  assert.deepEqual(none.json.attributes, []);
  isError(await get('/services/9999.json'), 404);
  isError(await get('/services/9999.xml'), 404);
});

let created = {};
test('POST requests (JSON and XML) creates open311 cases reported by the key user', async () => {
  const before = await caseCount();
  const j = await post('json', good({ email: 'li.si@example.cn', first_name: '四', last_name: '李', phone: '13912345678', device_id: 'dev-1', account_id: 'acc-9', media_url: 'https://example.cn/p/1.jpg' }));
  assert.equal(j.status, 201, j.text);
  assertSchema('#/definitions/RequestResponse', j.json[0]);
  assert.match(j.json[0].service_request_id, /^JC\d{8}-\d+$/);
  assert.equal(j.json[0].account_id, 'acc-9');
  created.json = j.json[0];
  const x = await post('xml', { api_key: KEY, service_code: '0104', address_string: '东华门街道 <北池子> & 大街 "12" 号', description: 'XML 上报：垃圾 & 杂物 <很多>' });
  assert.equal(x.status, 201, x.text);
  const xr = kid(parseXml(x.text), 'request');
  created.xml = { service_request_id: kid(xr, 'service_request_id').text, token: kid(xr, 'token').text };
  assert.match(created.xml.service_request_id, /^JC\d{8}-\d+$/);
  // attributes of every datatype
  const a = await post('json', new URLSearchParams([['api_key', KEY], ['service_code', '0102'], ['lat', '39.912'], ['long', '116.401'],
    ['attribute[size]', '3.5'], ['attribute[kind]', 'box'], ['attribute[seen]', '2026-11-27T08:00:00+08:00'],
    ['attribute[tags][]', 'a'], ['attribute[tags][]', 'c'], ['attribute[note]', '楼道']]).toString());
  assert.equal(a.status, 201, a.text);
  created.attr = a.json[0];
  assert.equal(await caseCount(), before + 3);
  // the case in jiceng: source open311, reporter = the key's resident account, attributes kept
  const id = created.attr.service_request_id;
  const c = await srv.api('GET', `/api/v1/cases/${id}`, { token: tokenAdmin });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json.source, 'open311');
  assert.equal(c.json.category, '0102');
  assert.deepEqual(c.json.extra.open311.attributes, { size: '3.5', kind: 'box', seen: '2026-11-27T08:00:00+08:00', tags: ['a', 'c'], note: '楼道' });
  const users = (await srv.api('GET', '/api/v1/users', { token: tokenAdmin })).json.users;
  const u = users.find(u => u.id === c.json.reporter_id);
  assert.equal(u.name, 'open311_fixmystreet');
  assert.equal(u.role, 'resident');
  // the client account cannot log in
  const login = await srv.api('POST', '/api/v1/session', { body: { name: 'open311_fixmystreet', password: 'anything-at-all' } });
  assert.equal(login.status, 401);
  // the point was located to a grid
  assert.equal(c.json.area.length, 15, `located to a grid: ${c.json.area}`);
});

test('GET requests/{id} and tokens/{token} in both formats; reporter data never published', async () => {
  const id = created.json.service_request_id;
  const j = await get(`/requests/${id}.json`);
  assert.equal(j.status, 200);
  assertSchema('requests.json', j.json);
  const r = j.json[0];
  assert.equal(r.service_request_id, id);
  assert.equal(r.status, 'open');
  assert.equal(r.service_code, '0101');
  assert.equal(r.service_name, '占道经营');
  assert.equal(r.lat, 39.915);
  assert.equal(r.long, 116.404);
  assert.equal(r.media_url, 'https://example.cn/p/1.jpg');
  for (const secret of ['li.si@example.cn', '13912345678', 'dev-1', 'acc-9', '李', '四', '1234'])
    assert.ok(!j.text.includes(secret), `public request leaks ${secret}`);
  const x = await get(`/requests/${created.xml.service_request_id}.xml`);
  const xr = kid(parseXml(x.text), 'request');
  assert.equal(kid(xr, 'address').text, '东华门街道 <北池子> & 大街 "12" 号');
  assert.equal(kid(xr, 'description').text, 'XML 上报：垃圾 & 杂物 <很多>');
  assert.equal(kid(xr, 'status').text, 'open');
  isError(await get('/requests/JC20000101-999999.json'), 404);
  isError(await get('/requests/nonsense.xml'), 404);
  const t = await get(`/tokens/${created.json.token}.json`);
  assert.equal(t.status, 200);
  assertSchema('#/definitions/TokenResponse', t.json[0]);
  assert.equal(t.json[0].service_request_id, id);
  const tx = kid(parseXml((await get(`/tokens/${created.xml.token}.xml`)).text), 'request');
  assert.equal(kid(tx, 'service_request_id').text, created.xml.service_request_id);
  isError(await get('/tokens/0000.json'), 404);
});

test('GET requests: filters, limits, both formats, open/closed mapping with merged notes', async () => {
  const all = await get('/requests.json');
  assert.equal(all.status, 200);
  assertSchema('requests.json', all.json);
  assert.ok(all.json.length >= 9);
  const x = parseXml((await get('/requests.xml')).text);
  assert.equal(x.name, 'service_requests');
  assert.equal(kids(x, 'request').length, all.json.length);
  // by service code
  const only = (await get('/requests.json?service_code=0102')).json;
  assert.ok(only.length >= 2 && only.every(r => r.service_code === '0102'));
  const two = (await get('/requests.json?service_code=0101,0104')).json;
  assert.ok(two.every(r => ['0101', '0104'].includes(r.service_code)) && two.length >= 2);
  // by ids (other parameters ignored)
  const ids = `${created.json.service_request_id},${created.attr.service_request_id}`;
  const byId = (await get(`/requests.json?service_request_id=${ids}&service_code=0000`)).json;
  assert.deepEqual(byId.map(r => r.service_request_id), ids.split(','));
  // status: the demo has a rated (closed) case; merge one of ours
  const closed = (await get('/requests.json?status=closed')).json;
  assert.ok(closed.length >= 1 && closed.every(r => r.status === 'closed'));
  const open = (await get('/requests.json?status=open')).json;
  assert.ok(open.every(r => r.status === 'open'));
  assert.equal(open.length + closed.length, all.json.length);
  const disp = await srv.login('dispatcher');
  const src = created.xml.service_request_id, dst = created.json.service_request_id;
  const m = await srv.api('POST', `/api/v1/cases/${src.split('-')[1]}/merge`, { token: disp, body: { target_id: Number(dst.split('-')[1]) } });
  assert.equal(m.status, 200, m.text);
  const merged = (await get(`/requests/${src}.json`)).json[0];
  assert.equal(merged.status, 'closed');
  assert.match(merged.status_notes, new RegExp(`merged into ${dst}`));
  // dates: a window in the past is empty, in the future too; over 90 days refused
  assert.deepEqual((await get('/requests.json?start_date=2001-01-01T00:00:00Z&end_date=2001-02-01T00:00:00Z')).json, []);
  const now = Date.now();
  const win = (await get(`/requests.json?start_date=${new Date(now - 3600e3).toISOString()}&end_date=${new Date(now + 3600e3).toISOString()}`)).json;
  assert.equal(win.length, all.json.length);
  isError(await get('/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z'), 400);
  isError(await get('/requests.xml?start_date=yesterday'), 400);
  isError(await get('/requests.json?status=pending'), 400);
});

test('servicerequestupdates: one update per audit event, both formats', async () => {
  const j = await get('/servicerequestupdates.json');
  assert.equal(j.status, 200);
  const mine = j.json.filter(u => u.service_request_id === created.xml.service_request_id);
  assert.deepEqual(mine.map(u => u.status), ['open', 'closed']); // report, then merge
  for (const u of j.json) {
    assert.match(u.update_id, /^\d+$/);
    assert.match(u.updated_datetime, DATE_TIME);
    assert.ok(['open', 'closed'].includes(u.status));
    assert.equal(typeof u.description, 'string');
  }
  const ids = j.json.map(u => Number(u.update_id));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  const x = parseXml((await get('/servicerequestupdates.xml')).text);
  assert.equal(x.name, 'service_request_updates');
  assert.equal(kids(x, 'request_update').length, j.json.length);
  const old = await get('/servicerequestupdates.json?start_date=2001-01-01T00:00:00Z&end_date=2001-01-02T00:00:00Z');
  assert.deepEqual(old.json, []);
});

test('hostile input: standard errors, right status, no case created', async () => {
  const before = await caseCount();
  const cases = [
    ['missing service_code', post('json', good({ service_code: '' })), 400],
    ['unknown service', post('xml', good({ service_code: '9999' })), 404],
    ['lat abc', post('json', good({ lat: 'abc' })), 400],
    ['lat 200', post('json', good({ lat: '200' })), 400],
    ['long 200', post('xml', good({ long: '200' })), 400],
    ['lat without long', post('json', { api_key: KEY, service_code: '0101', lat: '39.9' }), 400],
    ['no location', post('json', { api_key: KEY, service_code: '0101', description: 'x' }), 400],
    ['lat nan', post('json', good({ lat: 'nan' })), 400],
    ['no api_key', post('json', { service_code: '0101', lat: '39.9', long: '116.4' }), 403],
    ['bad api_key', post('xml', good({ api_key: 'f'.repeat(64) })), 403],
    ['malformed api_key', post('json', good({ api_key: 'hello' })), 403],
    ['disabled api_key', post('json', good({ api_key: KEY2 })), 403],
    ['invalid UTF-8', post('json', `api_key=${KEY}&service_code=0101&lat=39.9&long=116.4&description=%C3%28`), 400],
    ['NUL byte', post('json', `api_key=${KEY}&service_code=0101&lat=39.9&long=116.4&description=a%00b`), 400],
    ['bad escape', post('json', `api_key=${KEY}&service_code=0101&lat=39.9&long=116.4&description=%zz`), 400],
    ['huge description', post('json', good({ description: '长'.repeat(4001) })), 400],
    ['huge body', post('json', good({ description: 'x'.repeat(300000) })), 413],
    ['wrong content type', post('json', JSON.stringify(good()), { 'content-type': 'application/json' }), 400],
    ['no content type', srv.api('POST', `${V2}/requests.xml`, { body: new URLSearchParams(good()).toString(), headers: { 'content-type': '' } }), 400],
    ['unknown field', post('json', good({ evil: '1' })), 400],
    ['duplicate field', post('json', new URLSearchParams([...Object.entries(good()), ['service_code', '0104']]).toString()), 400],
    ['bad email', post('json', good({ email: 'not an email' })), 400],
    ['bad phone', post('json', good({ phone: 'call me' })), 400],
    ['bad media_url', post('json', good({ media_url: 'javascript:alert(1)' })), 400],
    ['unknown attribute', post('json', good({ 'attribute[nope]': '1' })), 400],
    ['missing required attribute', post('json', { api_key: KEY, service_code: '0102', lat: '39.9', long: '116.4' }), 400],
    ['attribute not a number', post('json', { api_key: KEY, service_code: '0102', lat: '39.9', long: '116.4', 'attribute[size]': 'big' }), 400],
    ['attribute not in list', post('xml', { api_key: KEY, service_code: '0102', lat: '39.9', long: '116.4', 'attribute[size]': '1', 'attribute[kind]': 'car' }), 400],
    ['bad format', srv.api('POST', `${V2}/requests.html`, { body: new URLSearchParams(good()).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 404],
  ];
  for (const [what, p, status] of cases) {
    const r = await p;
    try { isError(r, status); } catch (e) { throw new Error(`${what}: ${e.message}`); }
  }
  assert.equal(await caseCount(), before, 'no case was created by hostile input');
  isError(await get('/nothing.json'), 404);
});

test('concurrent POSTs get distinct ids', async () => {
  const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => post(i % 2 ? 'json' : 'xml', good({ description: `并发 ${i}` }))));
  const ids = rs.map(r => {
    assert.equal(r.status, 201, r.text);
    return r.headers.get('content-type').includes('json') ? r.json[0].service_request_id : kid(kid(parseXml(r.text), 'request'), 'service_request_id').text;
  });
  assert.equal(new Set(ids).size, 40);
});

