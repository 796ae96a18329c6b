// 7i-trust.test.mjs -- what a street-office user could not trust (issue 23),
// one test per item, in a real browser: one clock (the server's, simulated
// or not, for every countdown; a replay hands over to real time without a
// jump), case numbers and names instead of ids, the citizen's view of their
// own case, the patrol form within the worker's grid, the evaluation page
// without a shell command and with a worded download failure, and the
// smaller ones (a 不满意 rating with its reason, chips on one line, the
// community's map in view).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, jiceng, filler } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser, T = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const P1 = { lon: 116.3975, lat: 39.907 }; // grid 110101001001001 (worker1's)
const P2 = { lon: 116.4005, lat: 39.907 }; // grid 110101001001002
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
  for (const n of ['resident1', 'dispatcher', 'supervisor', 'worker1', 'dept_chengguan', 'admin']) T[n] = await srv.login(n);
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

async function report(who, body) {
  const r = await srv.api('POST', '/api/v1/cases', { token: T[who], body: { body: filler(), category: '0101', ...P1, ...body } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
const act = async (id, action, who, body = {}) => {
  const r = await srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: T[who], body });
  assert.equal(r.status, 200, `${action}: ${r.text}`);
  return r.json;
};

test('one clock: the page counts on the server\'s clock; a replay meets real time without a jump', async () => {
  // the platform clock 20 days back, at real speed: a case dispatched now is due in working hours, not 20 days overdue
  const start = new Date(Date.now() - 20 * 86400e3).toISOString();
  assert.equal(jiceng(['clock', 'set', '--db', srv.db, '--start', start, '--speed', '1']).status, 0);
  await sleep(1600);
  const c = await report('resident1', { title: '时钟测试' });
  await act(c.id, 'register', 'dispatcher');
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/queue', 'queue');
  await page.waitForSelector(`tr[data-id="${c.id}"] .countdown`);
  const cd = await page.textContent(`tr[data-id="${c.id}"] .countdown`);
  assert.match(cd, /剩余|还剩/, 'counted on the server\'s clock: ' + cd);
  assert.doesNotMatch(cd, /已超时/);
  // the created time shown is the server's (20 days ago), not this browser's now
  const k = (await srv.api('GET', '/api/v1/cases/' + c.id, { token: T.dispatcher })).json;
  assert.ok(Date.parse(k.created_at) < Date.now() - 19 * 86400e3, k.created_at);
  await page.context().close();
  // a replay ten minutes behind at 100x meets real time in ~6 s and stays there: no jump
  const behind = new Date(Date.now() - 10 * 60e3).toISOString();
  assert.equal(jiceng(['clock', 'set', '--db', srv.db, '--start', behind, '--speed', '100', '--until-real']).status, 0);
  await sleep(1500);
  let last = 0, max = 0;
  for (let i = 0; i < 20; i++) {
    const r = (await srv.api('GET', '/api/v1/clock')).json;
    assert.ok(r.now_ms >= last, 'the clock never goes back');
    assert.ok(r.now_ms <= r.real_ms + 5, 'never past real time');
    max = Math.max(max, r.now_ms - last);
    last = r.now_ms;
    await sleep(400);
  }
  const fin = (await srv.api('GET', '/api/v1/clock')).json;
  assert.equal(fin.simulated, false, JSON.stringify(fin));
  assert.ok(Math.abs(fin.now_ms - fin.real_ms) < 50, JSON.stringify(fin));
  assert.match(jiceng(['clock', 'show', '--db', srv.db]).stdout, /real time/);
});

test('case numbers and names: whistle board, evaluation drill-down, merge by number, the verifier by name', async () => {
  jiceng(['clock', 'real', '--db', srv.db]);
  await sleep(1200);
  const a = await report('resident1', { title: '吹哨的案件' });
  await act(a.id, 'register', 'dispatcher');
  const dept = (await srv.api('GET', '/api/v1/depts')).json.depts;
  const id = (code) => dept.find((d) => d.code === code).id;
  const w = await srv.api('POST', `/api/v1/cases/${a.id}/whistle`, { token: T.dispatcher, body: { dept_ids: [id('gongan'), id('zhujian')], checkin_minutes: 30, note: '联合执法' } });
  assert.equal(w.status, 201, w.text);
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/whistles', 'whistles');
  await page.waitForSelector(`.whistle[data-case-id="${a.id}"] h2 a`);
  assert.match(await page.textContent(`.whistle[data-case-id="${a.id}"] h2 a`), new RegExp(a.no));
  assert.doesNotMatch(await page.textContent('#whistle-list'), /#\d/);
  // the whistle form's chips keep 派出所 on one line
  await visit(page, '/case/' + a.id, 'case');
  await page.click('#wh-raise');
  const box = await page.locator('fieldset.dept-pick label.chip', { hasText: '派出所' }).boundingBox();
  const one = await page.locator('fieldset.dept-pick label.chip').first().boundingBox();
  assert.ok(box.height <= one.height + 1, `one line: ${box.height} vs ${one.height}`);
  // merge asks for a case number
  const b = await report('resident1', { title: '要合并的案件', ...P2 });
  await visit(page, '/case/' + b.id, 'case');
  await page.click('.actions button[data-action=merge]');
  await page.fill('.actions form[data-form=merge] [name=target_id]', a.no);
  await page.click('.actions form[data-form=merge] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('dd[data-field=state] .badge')?.dataset.state === 'merged');
  // through the loop to verification: the phase names the grid worker, not "用户 #7"
  await act(a.id, 'accept', 'dept_chengguan');
  await act(a.id, 'feedback', 'dept_chengguan', { note: '已处理' });
  await visit(page, '/case/' + a.id, 'case');
  await page.waitForSelector('[data-card=phases] tr[data-phase=verify]');
  assert.match(await page.textContent('[data-card=phases] tr[data-phase=verify]'), /网格员/);
  const tl = await page.textContent('.o-timeline');
  assert.doesNotMatch(tl, /dispatcher|dept_chengguan|resident1|timer/, 'display names, not logins: ' + tl);
  assert.match(tl, /街道指挥中心/);
  // the evaluation drill-down lists case numbers and titles
  const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  await visit(page, `/eval?period=${month}&unit=dept`, 'eval');
  await page.waitForSelector('#eval-table button.fig');
  await page.click('#eval-table button.fig');
  await page.waitForSelector('#drill-table tbody tr');
  const drill = await page.textContent('#drill-table');
  assert.match(drill, /JC\d{8}-\d+/);
  assert.doesNotMatch(drill, /#\d/);
  await shot(page, '7i-02-numbers');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a resident's own case: the key steps and the answer, no internal supervision", async () => {
  const c = await report('resident1', { title: '门口占道', ...P2 });
  await act(c.id, 'register', 'dispatcher');
  await act(c.id, 'escalate', 'supervisor', { note: '请尽快' });
  await act(c.id, 'accept', 'dept_chengguan');
  await act(c.id, 'feedback', 'dept_chengguan', { note: '已清理占道摊点，并告知摊主不得再占道' });
  await act(c.id, 'verify', 'dispatcher');
  await act(c.id, 'close', 'dispatcher');
  const page = await openPage(browser, srv);
  await uiLogin(page, 'resident1');
  await visit(page, '/case/' + c.id, 'case');
  await page.waitForSelector('.citizen-steps');
  assert.deepEqual(await page.$$eval('.citizen-steps li', (ls) => ls.map((l) => [l.dataset.step, l.dataset.status])),
    [['accepted', 'done'], ['handling', 'done'], ['done', 'done'], ['rated', 'todo']]);
  assert.match(await page.textContent('[data-card=answer]'), /已清理占道摊点/);
  const text = await page.textContent('#main');
  for (const internal of ['督办', '逾期', '临期', '留痕', '派单依据', '办理时限', '办理过程']) assert.ok(!text.includes(internal), `no ${internal}: ${text}`);
  assert.equal(await page.$('.tl-hash, .o-timeline, [data-card=phases], [data-card=route]'), null);
  // 不满意 needs its reason
  await page.click('.actions button[data-action=rate]');
  await page.check('.actions form[data-form=rate] input[value=unsatisfied]');
  await page.click('.actions form[data-form=rate] button[type=submit]');
  await page.waitForSelector('.actions form[data-form=rate] .form-error');
  assert.match(await page.textContent('.actions form[data-form=rate] .form-error'), /原因/);
  await page.fill('.actions form[data-form=rate] textarea[name=reason]', '摊点第二天又回来了');
  await page.click('.actions form[data-form=rate] button[type=submit]');
  await page.waitForFunction(() => document.querySelector('dd[data-field=state] .badge')?.dataset.state === 'rated');
  const k = (await srv.api('GET', '/api/v1/cases/' + c.id, { token: T.dispatcher })).json;
  assert.equal(k.rating, 'unsatisfied');
  assert.equal(k.timeline.at(-1).reason, '摊点第二天又回来了');
  // staff keep the full, verified trace
  const staff = await openPage(browser, srv);
  await uiLogin(staff, 'supervisor');
  await visit(staff, '/case/' + c.id, 'case');
  await staff.waitForSelector('.o-timeline .trace[data-trace=verified]');
  await shot(page, '7i-03-citizen');
  assert.deepEqual(page.errors, []);
  await page.context().close();
  await staff.context().close();
});

test("the patrol form: the worker's own grid, nothing outside it, refusals in Chinese", async () => {
  const page = await openPage(browser, srv, { viewport: { width: 375, height: 812 } });
  await uiLogin(page, 'worker1');
  await visit(page, '/patrol', 'patrol');
  await page.waitForSelector('#report-map path[data-area]');
  const opts = await page.$$eval('select[name=area] option[value]:not([value=""])', (os) => os.map((o) => o.value));
  assert.deepEqual(opts, ['110101001001001'], 'only the worker\'s grid');
  assert.equal(await page.inputValue('select[name=area]'), '110101001001001');
  // on a phone only the worker's community is labelled: no overlapping labels
  const labels = await page.$$eval('#report-map .area-label', (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(labels, ['多福巷社区']);
  // the API refuses another grid with a detail the page words in Chinese
  const r = await srv.api('POST', '/api/v1/cases', { token: T.worker1, body: { title: '别处', category: '0101', area: '110101001009004' } });
  assert.equal(r.status, 403);
  assert.deepEqual(r.json.error.detail, { code: 'out_of_scope', area: '110101001009004', scope: '110101001001001' });
  const worded = await page.evaluate(async (d) => (await import('/js/reasons.js')).detailText(d), r.json.error.detail);
  assert.match(worded, /不在您负责的范围/);
  assert.doesNotMatch(worded, /[A-Za-z]{4,}|\d{15}/);
  await shot(page, '7i-04-patrol-375');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the evaluation page: no shell command for anyone; a failed download says so in a sentence', async () => {
  for (const who of ['dispatcher', 'dept_chengguan']) {
    const page = await openPage(browser, srv);
    await uiLogin(page, who);
    await visit(page, '/eval', 'eval');
    await page.waitForSelector('#eval');
    assert.doesNotMatch(await page.textContent('#main'), /jiceng|--db|\.xlsx|xlsx/, who);
    if (who === 'dispatcher') {
      await page.route('**/api/v1/eval/export.xlsx*', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"busy"}}' }));
      await page.click('#eval-xlsx');
      await page.waitForSelector('#eval-export-error .alert.error');
      const msg = await page.textContent('#eval-export-error');
      assert.match(msg, /下载失败/);
      assert.match(msg, /稍后/);
      assert.doesNotMatch(msg, /[A-Za-z]{4,}/);
    }
    assert.deepEqual(page.errors.filter((e) => !/status of 503/.test(e)), []);
    await page.context().close();
  }
});

test("the community's dashboard map shows its community", async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'community1');
  await visit(page, '/dashboard', 'dashboard');
  await page.waitForSelector('.map path[data-area]');
  // the grids of community 1 fill the view (the whole street: about a quarter of its width)
  const share = await page.$$eval('.map path[data-area^="110101001001"]', (ps) => {
    const m = ps[0].closest('.map').getBoundingClientRect();
    const bs = ps.map((p) => p.getBoundingClientRect());
    const w = Math.max(...bs.map((b) => b.right)) - Math.min(...bs.map((b) => b.left));
    const h = Math.max(...bs.map((b) => b.bottom)) - Math.min(...bs.map((b) => b.top));
    return Math.max(w / m.width, h / m.height);
  });
  assert.ok(share > 0.6, `community 1 spans ${share} of the map`);
  await page.context().close();
});

test('a returned case dispatched by hand says who sent it where; the categories table gives the list\'s limits', async () => {
  // (item 9) after a hand dispatch of a returned case, 派单依据 said 权责清单未覆盖
  jiceng(['clock', 'real', '--db', srv.db]);
  const depts = (await srv.api('GET', '/api/v1/depts')).json.depts;
  const wuye = depts.find((d) => d.code === 'wuye');
  const c = await report('resident1', { title: '楼道堆物', category: '0102' });
  assert.equal((await act(c.id, 'register', 'dispatcher')).state, 'dispatched');
  await act(c.id, 'return', 'dept_chengguan', { reason: '楼道内属物业管理' });
  await act(c.id, 'uphold', 'dispatcher', { note: '转物业' });
  assert.equal((await act(c.id, 'dispatch', 'dispatcher', { dept_id: wuye.id })).dept_id, wuye.id);
  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await visit(page, '/case/' + c.id, 'case');
  await page.waitForSelector('[data-card=route] [data-manual]');
  const route = await page.textContent('[data-card=route]');
  assert.match(await page.textContent('[data-card=route] [data-manual]'), new RegExp('人工派遣至' + wuye.name));
  assert.equal(await page.textContent('[data-card=route] [data-field=lead]'), wuye.name);
  assert.doesNotMatch(route, /未覆盖|尚未按权责清单派单/, route);
  // (item 9) a category's own 24 h disagreed with the list's 3wd: the table gives
  // the limits that apply, the list's, and says so
  const entry = (await srv.api('GET', '/api/v1/duties', { token: T.dispatcher })).json.entries.find((e) => e.category === '0101');
  assert.equal(entry.limits.handle, '3wd');
  await visit(page, '/designer?tab=categories', 'designer');
  const cell = page.locator('tr[data-category="0101"] td[data-from]');
  await cell.waitFor();
  assert.equal(await cell.getAttribute('data-from'), 'list');
  const limits = await cell.textContent();
  assert.match(limits, /处置 3 个工作日/, limits);
  assert.doesNotMatch(limits, /24 小时/, limits);
  assert.match(limits, new RegExp(entry.id), 'names the entry');
  assert.deepEqual(await noI18nGaps(page), []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
