// 73-whistle.test.mjs -- 吹哨报到 through the web UI: the dispatcher raises a
// whistle on a case from the case page (the routing explanation and phases are
// shown there); two departments check in from the board, the second after the
// check-in deadline (platform clock moved on) and is shown late in red; both
// finish; the dispatcher rates each; the case can then be closed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, caseState, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

const deptId = async (code) => (await srv.api('GET', '/api/v1/depts')).json.depts.find((d) => d.code === code).id;

test('whistle: raise from the case page, check in (one late), finish, rate, close', async () => {
  const disp = await srv.login('dispatcher');
  const cases = (await srv.api('GET', '/api/v1/cases?state=accepted', { token: disp })).json.cases;
  const c = cases.find((x) => x.category === '0301') || cases[0];
  assert.ok(c, 'an accepted demo case');
  const lead = (await srv.api('GET', '/api/v1/cases/' + c.id, { token: disp })).json;
  const leadCode = lead.owners.find((o) => o.role === 'lead').code;
  const other = leadCode === 'chengguan' ? 'zhujian' : 'chengguan';
  const [leadId, otherId] = [await deptId(leadCode), await deptId(other)];

  // 1. The dispatcher sees the routing explanation and phases, raises the whistle.
  const dp = await openPage(browser, srv);
  await uiLogin(dp, 'dispatcher');
  await visit(dp, '/case/' + c.id, 'case');
  await dp.waitForSelector('[data-card=route] dd[data-field=legal_basis]');
  assert.equal(await dp.textContent('[data-card=route] dd[data-field=legal_basis]'), lead.route.legal_basis);
  assert.equal(await dp.textContent('[data-card=route] dd[data-field=entry]').then((s) => s.split(' ')[0]), lead.route.entry_id);
  assert.ok(await dp.$('[data-card=phases] tr[data-phase=handle] .countdown'), 'the running phase counts down');
  await dp.click('#wh-raise');
  await dp.waitForSelector('form[data-form=whistle]');
  for (const el of await dp.$$('form[data-form=whistle] input[name=dept_ids]:checked')) await el.uncheck();
  await dp.check(`form[data-form=whistle] input[name=dept_ids][value="${leadId}"]`);
  await dp.check(`form[data-form=whistle] input[name=dept_ids][value="${otherId}"]`);
  await dp.fill('form[data-form=whistle] input[name=checkin_minutes]', '30');
  await dp.fill('form[data-form=whistle] textarea[name=note]', '联合执法，请相关部门30分钟内到场');
  await shot(dp, '30-case-whistle-form');
  await dp.click('form[data-form=whistle] button[type=submit]');
  await dp.waitForSelector('[data-card=whistles] .whistle[data-whistle-id]');
  assert.equal((await dp.$$('[data-card=whistles] .whistle tr[data-dept]')).length, 2);
  await dp.waitForSelector('.case-head .badge[data-flag=whistle]');
  await shot(dp, '31-case-dispatch-panels');
  assert.doesNotMatch(await dp.textContent('main'), /\bnull\b|undefined|NaN/, 'no raw null/undefined on the page');

  // 2. The lead department checks in on time from the board.
  const lp = await openPage(browser, srv);
  await uiLogin(lp, 'dept_' + leadCode);
  await lp.click('#nav2 a[data-nav2=whistles]');
  await lp.waitForSelector('.page[data-page=whistles] .whistle');
  await lp.click(`.whistle tr[data-dept="${leadId}"] button[data-wh-action=checkin]`);
  await lp.waitForSelector(`.whistle tr[data-dept="${leadId}"][data-checked-in="1"]`);
  assert.equal(await lp.getAttribute(`.whistle tr[data-dept="${leadId}"]`, 'data-late'), '0');

  // 3. The platform clock passes the check-in deadline; the other department is late.
  const r = jiceng(['clock', 'set', '--db', srv.db, '--start', new Date(Date.now() + 2 * 3600e3).toISOString()]);
  assert.equal(r.status, 0, r.stderr);
  await new Promise((res) => setTimeout(res, 1500));
  const op = await openPage(browser, srv);
  await uiLogin(op, 'dept_' + other);
  await visit(op, '/whistles', 'whistles');
  await op.waitForSelector(`.whistle tr[data-dept="${otherId}"][data-late="1"]`);
  await op.click(`.whistle tr[data-dept="${otherId}"] button[data-wh-action=checkin]`);
  await op.waitForSelector(`.whistle tr[data-dept="${otherId}"][data-checked-in="1"][data-late="1"]`);
  assert.equal(await op.$eval(`.whistle tr[data-dept="${otherId}"] td:nth-child(3) span`, (e) => getComputedStyle(e).color), 'rgb(140, 28, 19)', 'late shown in red');
  await shot(op, '32-whistle-board-late');

  // 4. Both finish.
  await op.fill(`.whistle tr[data-dept="${otherId}"] input[name=note]`, '已到场配合');
  await op.click(`.whistle tr[data-dept="${otherId}"] button[data-wh-action=finish]`);
  await op.waitForSelector(`.whistle tr[data-dept="${otherId}"][data-done="1"]`);
  await lp.reload();
  await lp.waitForSelector(`.whistle tr[data-dept="${leadId}"] button[data-wh-action=finish]`);
  await lp.click(`.whistle tr[data-dept="${leadId}"] button[data-wh-action=finish]`);
  await lp.waitForSelector(`.whistle tr[data-dept="${leadId}"][data-done="1"]`, { timeout: 5000 }).catch(() => null);

  // 5. The dispatcher rates both departments on the board.
  await visit(dp, '/whistles?show=all', 'whistles');
  await dp.waitForSelector(`.whistle tr[data-dept="${leadId}"] button[data-wh-action=rate]`);
  await dp.selectOption(`.whistle tr[data-dept="${leadId}"] select[name=rating]`, '5');
  await dp.click(`.whistle tr[data-dept="${leadId}"] button[data-wh-action=rate]`);
  await dp.waitForSelector(`.whistle tr[data-dept="${leadId}"] .stars[data-rating="5"]`);
  await dp.selectOption(`.whistle tr[data-dept="${otherId}"] select[name=rating]`, '3');
  await dp.click(`.whistle tr[data-dept="${otherId}"] button[data-wh-action=rate]`);
  await dp.waitForSelector(`.whistle tr[data-dept="${otherId}"] .stars[data-rating="3"]`);
  await shot(dp, '33-whistle-board-rated');
  const ws = (await srv.api('GET', '/api/v1/whistles', { token: disp })).json.whistles.find((w) => w.case_id === c.id);
  assert.deepEqual(ws.members.map((m) => [m.dept_id, m.late ? 1 : 0, m.rating]).sort((a, b) => a[0] - b[0]),
    [[leadId, 0, 5], [otherId, 1, 3]].sort((a, b) => a[0] - b[0]));

  // 6. The case goes on: feedback, verification, then the dispatcher closes it in the UI.
  const lt = await srv.login('dept_' + leadCode);
  assert.equal((await srv.api('POST', `/api/v1/cases/${c.id}/feedback`, { token: lt, body: { note: '联合处置完毕' } })).status, 200);
  assert.equal((await srv.api('POST', `/api/v1/cases/${c.id}/verify`, { token: disp, body: { note: '现场核实' } })).status, 200);
  await visit(dp, '/case/' + c.id, 'case');
  await dp.click('.actions button[data-action=close]');
  await dp.waitForSelector('dd[data-field=state] .badge[data-state=closed]');
  assert.equal(await caseState(dp), 'closed');

  for (const p of [dp, lp, op]) {
    assert.deepEqual(p.errors, []);
    assert.deepEqual(await noI18nGaps(p), []);
    await p.context().close();
  }
});

test('the whistle board fits a 375 px phone, in English too', async () => {
  const p = await openPage(browser, srv, { viewport: { width: 375, height: 800 }, lang: 'en' });
  await uiLogin(p, 'dispatcher');
  await visit(p, '/whistles?show=all', 'whistles');
  await p.waitForSelector('.whistle');
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 376), 'no horizontal scroll');
  assert.match(await p.textContent('h1'), /Whistle board/);
  await shot(p, '34-whistle-board-375-en');
  assert.deepEqual(p.errors, []);
  assert.deepEqual(await noI18nGaps(p), []);
  await p.context().close();
});
