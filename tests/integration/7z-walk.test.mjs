// 7z-walk.test.mjs -- every page of every role in Chinese, on a street with
// a few simulated days of life: no Latin word of four letters or more may
// show, outside case numbers, codes a person types and product names (the
// allow-list is data: walk-allow.json), nor an internal id, a raw code, a hash
// or an unrounded reading, in the text, the placeholders, the
// options of the lists and the page title.  Also: no console error, no
// missing dictionary key.  Issue 23 ("English, raw codes and hashes in the
// zh-CN UI").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, jiceng, BIN, ROOT } from './lib.mjs';
import { launch, openPage, uiLogin, noI18nGaps, haveChromium, shot } from './ui-lib.mjs';

const ALLOW = JSON.parse(readFileSync(new URL('./walk-allow.json', import.meta.url), 'utf8'));
const PRODUCTS = new Set([...ALLOW.products, ...ALLOW.languages]);
const CODES = ALLOW.codes.map((p) => new RegExp('^(?:' + p + ')$'));
// The routing table of the app (web/js/routes.js), read as data.
const ROLES = ['resident', 'grid_worker', 'community_staff', 'dispatcher', 'dept_staff', 'supervisor', 'admin'];
const routes = new Function('STAFF', 'return ' + /export const routes = (\[[\s\S]*?\n\]);/.exec(readFileSync(join(ROOT, 'web/js/routes.js'), 'utf8'))[1]
  .replace(/load: \(\) => import\([^)]*\),/g, ''))(ROLES.filter((r) => r !== 'resident'));
const tabsOf = (file) => JSON.parse(/const TABS = (\[[^\]]*\])/.exec(readFileSync(join(ROOT, 'web/js/pages', file), 'utf8'))[1].replace(/'/g, '"'));

// Latin tokens of a text that a Chinese reader should not meet.
export function findings(text) {
  const out = [];
  for (const m of text.matchAll(/[A-Za-z0-9][A-Za-z0-9_.\-%/]*/g)) {
    const tok = m[0].replace(/[.\-/%]+$/, '');
    if (!/[A-Za-z]{4,}/.test(tok) || PRODUCTS.has(tok) || CODES.some((re) => re.test(tok))) continue;
    out.push(tok + ' «' + text.slice(Math.max(0, m.index - 20), m.index + tok.length + 20).replace(/\s+/g, ' ') + '»');
  }
  // ids and codes without letters: an internal id (#415), a raw area or ID code of nine digits
  // or more (a mobile phone number, 1 and ten digits, is what a person dials), a hash, a
  // reading nobody rounded
  for (const m of text.matchAll(/#\d+|(?<![\dA-Za-z*.-])(?!1\d{10}(?!\d))\d{9,}(?![\d*])|(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{8,}(?![0-9A-Za-z])|\d+\.\d{4,}/g))
    out.push(m[0] + ' «' + text.slice(Math.max(0, m.index - 20), m.index + m[0].length + 20).replace(/\s+/g, ' ') + '»');
  return out;
}

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  const b = jiceng(['base', 'seed', '--db', srv.db, '--seed', '7']);
  assert.equal(b.status, 0, b.stderr);
  // two departments' tables through 一人一档, saved under their names as a clerk would
  const gen = join(srv.dir, 'people');
  let r = jiceng(['people', 'generate', '--db', srv.db, '--out', gen, '--persons', '600', '--layout', 'other', '--seed', '7']);
  assert.equal(r.status, 0, r.stderr);
  for (const [key, name, ext] of [['laoling', '老龄服务对象台账', 'xlsx'], ['yibao', '医保参保人员名册', 'csv']]) {
    renameSync(join(gen, `source_${key}.${ext}`), join(gen, `${name}.${ext}`));
    r = jiceng(['people', 'import', '--db', srv.db, '--source', key, '--name', name, join(gen, `${name}.${ext}`), '--quiet']);
    assert.equal(r.status, 0, r.stderr);
  }
  // a few days of life (reports, patrols, sensors, returns, a whistle, tasks to communities)
  let out = '';
  const code = await new Promise((res, rej) => {
    const p = spawn(BIN, ['simulate', '--url', srv.url, '--db', srv.db, '--days', '4', '--speed', '20000', '--seed', '3', '--quiet'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('error', rej);
    p.on('exit', res);
  });
  assert.equal(code, 0, out);
  jiceng(['clock', 'real', '--db', srv.db]);
  // a task of the work list the street sent to community 1, marked done there (it names who did it)
  const t = await srv.api('POST', '/api/v1/tasks', { token: await srv.login('dispatcher'),
    body: { title: '居务公开栏更新', kind: 'task', item: 'WL-D02', communities: ['110101001001'] } });
  assert.equal(t.status, 201, t.text);
  assert.equal(t.json.decision, 'admitted', t.text);
  const d = await srv.api('POST', `/api/v1/tasks/${t.json.id}/done`, { token: await srv.login('community1'), body: {} });
  assert.equal(d.status, 200, d.text);
  browser = await launch();
}, { timeout: 240000 });
after(async () => { await browser?.close(); await srv?.cleanup(); });

// Cases of every kind the user may open: whistled, from a sensor, a patrol,
// overdue, rated, merged, returned -- from the user's own list.
async function casesFor(login) {
  const tok = await srv.login(login);
  const all = (await srv.api('GET', '/api/v1/cases?limit=500', { token: tok })).json.cases || [];
  const kinds = [(c) => c.flags.includes('whistle'), (c) => c.source === 'sensor', (c) => c.source === 'patrol',
    (c) => c.flags.includes('overdue'), (c) => c.state === 'rated', (c) => c.state === 'merged', (c) => c.state === 'returned',
    (c) => c.escalation > 0, (c) => c.flags.includes('duplicate'), () => true];
  return [...new Set(kinds.map((f) => all.find(f)?.id).filter(Boolean))];
}
// A person of the merged records in the user's scope, if the role reads them.
async function personFor(login) {
  const tok = await srv.login(login);
  return (await srv.api('GET', '/api/v1/people/persons?limit=1', { token: tok })).json?.persons?.[0]?.id;
}

// Every page a role may open, with the tabs and filters a person clicks.
function pagesFor(role, cases, person) {
  const list = [];
  for (const r of routes) {
    if (!r.roles?.includes(role) || r.path.includes(':')) continue;
    list.push(r.path);
    if (r.path === '/designer') for (const k of tabsOf('designer.js')) list.push('/designer?tab=' + k);
    if (r.path === '/admin') for (const k of tabsOf('admin.js')) list.push('/admin?tab=' + k);
    if (r.path === '/people' && person) list.push('/people/person/' + person);
    if (r.path === '/warnings') for (const k of ['acknowledged', 'escalated', 'dismissed', 'all']) list.push('/warnings?state=' + k);
    if (r.path === '/alarms') for (const k of ['acknowledged', 'cleared', 'all']) list.push('/alarms?state=' + k);
    if (r.path === '/eval') for (const k of ['dept', 'community', 'street', 'worker']) list.push('/eval?unit=' + k);
    if (r.path === '/queue') list.push('/queue?state=', '/queue?state=open&overdue=1', '/queue?state=open&escalated=1');
  }
  for (const id of cases) list.push('/case/' + id);
  // the printed forms of a case (staff): what a person reads on paper
  if (role !== 'resident' && cases.length) for (const id of cases.slice(0, 3)) list.push(`/print/${id}?form=dispatch`, `/print/${id}?form=supervise`);
  if (routes.some((r) => r.path === '/brief' && r.roles?.includes(role))) list.push('/brief?kind=weekly');
  return list;
}
// Forms a person opens with a button on a page (their labels are read too).
const OPENS = { '/designer?tab=rules': '#rule-new' };

const USERS = { dispatcher: 'dispatcher', supervisor: 'supervisor', admin: 'admin', community_staff: 'community1',
  grid_worker: 'worker1', dept_staff: 'dept_chengguan', resident: 'resident1' };

for (const [role, login] of Object.entries(USERS)) {
  test(`${role} (${login}): every page in Chinese, without English, codes or hashes`, async () => {
    const page = await openPage(browser, srv);
    const bad = [];
    const pages = pagesFor(role, await casesFor(login), await personFor(login));
    for (const path of ['/login', ...pages]) {
      if (path !== '/login') await page.goto(srv.url + '/#' + path);
      else { await page.goto(srv.url + '/#/login'); await page.waitForSelector('#login-form'); }
      await page.waitForSelector('.page, #main h1');
      // wait for the loading lines and the network to settle
      await page.waitForFunction(() => !document.querySelector('#main [role=status].muted, #main .muted[role=status]') ||
        !/正在加载/.test(document.querySelector('#main').innerText), null, { timeout: 15000 }).catch(() => {});
      await page.waitForLoadState('networkidle').catch(() => {});
      await page.waitForTimeout(300);
      // open the folds a person would open, and the forms behind a button
      await page.$$eval('#main details', (ds) => ds.forEach((d) => { d.open = true; }));
      if (OPENS[path]) { await page.click(OPENS[path]); await page.waitForTimeout(200); }
      // what a person reads; <code> marks a code a person types (a CSV header, a device number)
      const text = await page.evaluate(() => {
        let main = document.querySelector('#main').innerText;
        for (const c of document.querySelectorAll('#main code')) main = main.replace(c.innerText, ' ');
        return [document.title, document.querySelector('header')?.innerText || '', main,
          ...[...document.querySelectorAll('#main [placeholder]')].map((e) => e.getAttribute('placeholder')),
          ...[...document.querySelectorAll('#main option')].map((o) => o.textContent),
          // the labels of a form's fields, also those shown only for another choice (a rule's kind)
          ...[...document.querySelectorAll('#main label')].map((l) => { const c = l.cloneNode(true); c.querySelectorAll('code').forEach((x) => x.remove()); return c.textContent; })].join('\n');
      });
      for (const f of findings(text)) bad.push(`${path}: ${f}`);
      if (path === '/login') await uiLogin(page, login);
    }
    await shot(page, `7z-${role}`);
    assert.deepEqual(await noI18nGaps(page), []);
    assert.deepEqual(page.errors, [], 'console errors');
    assert.deepEqual(bad, [], `Latin words in the zh-CN pages of ${role}:\n` + bad.join('\n'));
  });
}
