// 7h-admin.test.mjs -- administration in the browser: create a user, disable
// them (their login is refused), reset a password (the new one works);
// register a device (its token shown once); an Open311 key made and disabled;
// a webhook made (its secret shown once) and switched off; the audit log
// filtered by action and case, and the whole chain verified. English at 375 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, dbQuery } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

test('administration: users, devices, Open311 keys, webhooks', async () => {
  const admin = await srv.login('admin');
  const user = async (n) => (await srv.api('GET', '/api/v1/users', { token: admin })).json.users.find((u) => u.name === n);
  const page = await openPage(browser, srv);
  await uiLogin(page, 'admin');
  await page.click('a[data-nav2=admin]');
  await page.waitForSelector('#user-table');
  // the table lists what the API lists
  const api = (await srv.api('GET', '/api/v1/users', { token: admin })).json.users.map((u) => u.name).sort();
  assert.deepEqual((await page.$$eval('#user-table tbody tr', (t) => t.map((r) => r.dataset.user))).sort(), api);

  // a new community worker
  await page.fill('#user-add input[name=name]', 'community9');
  await page.fill('#user-add input[name=display]', '九社区干部');
  await page.selectOption('#user-add select[name=role]', 'community_staff');
  await page.selectOption('#user-add select[name=area]', '110101001002');
  await page.fill('#user-add input[name=password]', 'initial-password-9');
  await page.click('#user-add button[type=submit]');
  await page.waitForSelector('#user-table tr[data-user=community9]');
  const u = await user('community9');
  assert.equal(u.role, 'community_staff');
  assert.equal(u.area, '110101001002');
  assert.equal(u.display, '九社区干部');
  await srv.login('community9', 'initial-password-9');
  // a refusal shows the server's message and adds nothing
  await page.fill('#user-add input[name=name]', 'worker99');
  await page.selectOption('#user-add select[name=role]', 'grid_worker');
  await page.fill('#user-add input[name=password]', 'short');
  await page.evaluate(() => document.querySelector('#user-add input[name=password]').removeAttribute('minlength'));
  await page.click('#user-add button[type=submit]');
  await page.waitForSelector('#user-add [role=alert]');
  assert.equal(await user('worker99'), undefined);

  // disable: the login is refused; the row says so
  await page.click('#user-table tr[data-user=community9] button[data-act=disable]');
  await page.waitForSelector('#user-table tr[data-user=community9][data-disabled=true]');
  assert.equal((await srv.api('POST', '/api/v1/session', { body: { name: 'community9', password: 'initial-password-9' } })).status, 401);
  await page.click('#user-table tr[data-user=community9] button[data-act=enable]');
  await page.waitForSelector('#user-table tr[data-user=community9][data-disabled=false]');
  // the admin's own row cannot be disabled here
  assert.equal(await page.isDisabled('#user-table tr[data-user=admin] button[data-act=disable]'), true);
  // reset the password
  await page.click('#user-table tr[data-user=community9] button[data-act=reset]');
  await page.fill('form[data-reset-user] input[name=password]', 'reset-password-9');
  await page.click('form[data-reset-user] button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('form[data-reset-user]'));
  assert.equal((await srv.api('POST', '/api/v1/session', { body: { name: 'community9', password: 'initial-password-9' } })).status, 401);
  await srv.login('community9', 'reset-password-9');
  // edit the role and scope
  await page.click('#user-table tr[data-user=community9] button[data-act=edit]');
  await page.selectOption('form[data-edit-user] select[name=area]', '110101001005');
  await page.click('form[data-edit-user] button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('form[data-edit-user]'));
  assert.equal((await user('community9')).area, '110101001005');
  await shot(page, '82-admin-users');

  // a device: its token is shown once
  await page.click('a[data-tab=devices]');
  await page.waitForSelector('#device-add');
  await page.fill('#device-add input[name=id]', 'door-77');
  await page.selectOption('#device-add select[name=type]', 'door_contact');
  await page.selectOption('#device-add select[name=grid]', '110101001001001');
  await page.fill('#device-add input[name=person_label]', '王奶奶');
  await page.click('#device-add button[type=submit]');
  await page.waitForSelector('#device-token');
  assert.match(await page.textContent('#device-token'), /^[0-9a-f]{64}$/);
  const dev = (await srv.api('GET', '/api/v1/devices/door-77', { token: admin })).json;
  assert.equal(dev.person_label, '王奶奶');
  await page.click('#once-refresh');
  await page.waitForSelector('#device-table tr[data-device=door-77]');
  assert.match(await page.textContent('#device-table tr[data-device=door-77]'), /门磁/);

  // an Open311 key: shown once, then disabled
  await page.click('a[data-tab=keys]');
  await page.fill('#key-add input[name=name]', 'citizen-app');
  await page.click('#key-add button[type=submit]');
  await page.waitForSelector('#api-key');
  const key = await page.textContent('#api-key');
  assert.match(key, /^[0-9a-f]{64}$/);
  const o311 = () => srv.api('POST', '/open311/v2/requests.json', { body: new URLSearchParams({ api_key: key, service_code: '0104', description: '测试', address_string: '东华门' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal((await o311()).status, 201);
  await page.click('#once-refresh');
  await page.click('#key-table tr[data-key=citizen-app] button[data-act=disable]');
  await page.waitForSelector('#key-table tr[data-key=citizen-app][data-active=false]');
  assert.equal((await o311()).status, 403);

  // a webhook: its secret shown once; then off
  await page.click('a[data-tab=webhooks]');
  await page.fill('#hook-add input[name=name]', '短信网关');
  await page.fill('#hook-add input[name=url]', 'http://127.0.0.1:9/sms');
  await page.check('#hook-add input[value=dispatched]');
  await page.check('#hook-add input[value=escalate]');
  await page.click('#hook-add button[type=submit]');
  await page.waitForSelector('#hook-secret');
  assert.match(await page.textContent('#hook-secret'), /^[0-9a-f]{64}$/);
  const hooks = (await srv.api('GET', '/api/v1/webhooks', { token: admin })).json.webhooks;
  assert.equal(hooks[0].kinds, 'dispatched,escalate');
  await page.click('#once-refresh');
  await page.click('#hook-table tr[data-hook="短信网关"] button[data-act=off]');
  await page.waitForSelector('#hook-table tr[data-hook="短信网关"][data-active=false]');
  await page.click('#hook-table tr[data-hook="短信网关"] button[data-act=deliveries]');
  await page.waitForSelector('#hook-deliveries h3');
  await shot(page, '83-admin-webhooks');
  assert.deepEqual(page.errors.filter((e) => !/status of 400/.test(e)), []);
  assert.equal(page.errors.length, 1, 'the one deliberate 400');
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});

test('the audit log: filters in the address, a case\'s trace, the chain verified; English at 375 px', async () => {
  const res = await srv.login('resident1');
  const disp = await srv.login('dispatcher');
  const k = (await srv.api('POST', '/api/v1/cases', { token: res, body: { title: '审计页测试', category: '0104', area: '110101001001003' } })).json;
  await srv.api('POST', `/api/v1/cases/${k.id}/register`, { token: disp });
  // a day of the calendar and the working hours changed by a dispatcher
  assert.equal((await srv.api('PUT', '/api/v1/calendar/days/2027-01-04', { token: disp, body: { kind: 'workday', name: '调休上班' } })).status, 200);
  assert.equal((await srv.api('PUT', '/api/v1/calendar/hours', { token: disp, body: { intervals: [['08:30', '12:00'], ['13:30', '17:30']] } })).status, 200);
  // settings, alarm rules, silences, a worker's duty, a login lock lifted
  const adm = await srv.login('admin');
  const call = async (m, path, body, token = adm) => {
    const r = await srv.api(m, path, { token, body });
    assert.ok(r.status < 300, `${m} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  await call('PUT', '/api/v1/eval/config', { min_cases: 6 });
  const wc = await call('GET', '/api/v1/warnings/config');
  await call('PUT', '/api/v1/warnings/config', { method: wc.method, baseline: wc.baseline + 1, alpha: wc.alpha, min_count: wc.min_count, confidence: wc.confidence });
  await call('PUT', '/api/v1/burden/config', { key: 'limit.tasks_per_community_month', value: 9 });
  await call('PUT', '/api/v1/sensor/settings', { group_window_s: 600 });
  const rule = await call('POST', '/api/v1/alarm-rules', { type: 'generic', metric: 'pm25', kind: 'threshold', high: 150, low: 100, severity: 'minor', name: '细颗粒物超标' });
  await call('DELETE', '/api/v1/alarm-rules/' + rule.id);
  const sil = await call('POST', '/api/v1/silences', { grid: '110101001005002', reason: '管道维修', until: new Date(Date.now() + 3600e3).toISOString() });
  await call('DELETE', '/api/v1/silences/' + sil.id);
  await call('POST', '/api/v1/me/duty', { on_duty: false }, await srv.login('worker1'));
  assert.equal((await srv.api('POST', '/api/v1/session', { body: { name: 'worker3', password: 'not-the-password' } })).status, 401);
  await call('POST', '/api/v1/login-locks/lift', { account: 'worker3' });
  const page = await openPage(browser, srv);
  await uiLogin(page, 'admin');
  await visit(page, '/audit', 'audit');
  await page.waitForSelector('#audit-table tbody tr');
  for (let i = 0; i < 5 && await page.isVisible('#audit-more'); i++) { // every page of the log
    const n = await page.$$eval('#audit-table tbody tr', (t) => t.length);
    await page.click('#audit-more');
    await page.waitForFunction((k) => document.querySelectorAll('#audit-table tbody tr').length > k, n);
  }
  // what the administrator did in the test above, worded in Chinese: who, what, where (the
  // entries are codes); logins, device numbers and addresses set as code
  const rows = await page.$$eval('#audit-table tbody tr', (t) => t.map((r) => {
    const c = r.querySelector('td:nth-child(7)').cloneNode(true);
    const codes = [...c.querySelectorAll('code')].map((x) => x.textContent);
    c.querySelectorAll('code').forEach((x) => x.remove());
    return { action: r.dataset.action, text: c.textContent, codes };
  }));
  const said = (action, re, code) => {
    const row = rows.find((r) => r.action === action && re.test(r.text));
    assert.ok(row, `${action} worded as ${re}: ${JSON.stringify(rows.filter((r) => r.action === action))}`);
    if (code) assert.ok(row.codes.includes(code), `${code} as code: ${JSON.stringify(row)}`);
  };
  said('user_add', /^用户 ：社区工作人员，范围：/, 'community9');
  said('user_update', /^用户 ：社区工作人员，范围：.*社区；已停用$/, 'community9');
  said('user_passwd_reset', /^管理员为用户  设置了新密码$/, 'community9');
  said('device_add', /^设备 （王奶奶）|^设备 （门磁）/, 'door-77');
  said('open311_key_add', /^外部系统  的接口密钥，上报范围：/, 'citizen-app');
  said('open311_key_off', /^外部系统  的接口密钥已停用$/, 'citizen-app');
  said('calendar_set', /^2027-01-04 设为上班（调休上班）$/);
  said('hours_set', /^工作时间改为 8:30–12:00、13:30–17:30，此后的新时限按此计算$/);
  said('eval_config', /^考核设置：.* 6$/);
  said('warning_config', /^预警设置：基线天数 \d+ → \d+$/);
  said('worklist_config', /^减负设置：每月下派上限 9$/);
  said('sensor_settings', /^感知设置：告警归并时间窗（秒） 600$/);
  said('alarm_rule_add', /^告警规则 \d+“细颗粒物超标”：.+，阈值；填写：/);
  said('alarm_rule_delete', /^告警规则 \d+ 已删除$/);
  said('silence_add', /^静默 \d+：.+（管道维修）$/);
  said('silence_delete', /^静默 \d+ 已删除$/);
  said('duty', /^网格员  不在岗$/, 'worker1');
  said('login_unlock', /^解除登录限制：$/, 'account:worker3');
  said('duty_import', /^权责清单第 1 版，\d+ 个条目$/);
  said('worklist_version', /^工作事项清单第 1 版，\d+ 项/);
  said('webhook_update', /^消息推送“短信网关”发往 （已停用）$/, 'http://127.0.0.1:9/sms');
  const ADMIN = ['user_add', 'user_update', 'user_passwd', 'user_passwd_reset', 'open311_key_add', 'open311_key_off', 'webhook_add', 'webhook_update', 'device_add', 'device_update', 'device_delete', 'category_put', 'duty_import', 'worklist_version', 'calendar_set', 'hours_set',
    'eval_config', 'warning_config', 'worklist_config', 'sensor_settings', 'alarm_rule_add', 'alarm_rule_update', 'alarm_rule_delete', 'silence_add',
    'silence_delete', 'duty', 'device_import', 'login_unlock'];
  for (const r of rows.filter((x) => ADMIN.includes(x.action))) {
    assert.doesNotMatch(r.text, /平台记录/, `${r.action}: ${r.text}`);
    assert.doesNotMatch(r.text, /[A-Za-z]{4,}/, `no English outside codes: ${r.action}: ${r.text}`);
  }
  await page.selectOption('#audit-filters select[name=action]', 'user_add');
  await page.click('#audit-filters button[type=submit]');
  await page.waitForFunction(() => location.hash.includes('action=user_add'));
  await page.waitForSelector('#audit-status:not(:empty)');
  const acts = await page.$$eval('#audit-table tbody tr', (t) => t.map((r) => r.dataset.action));
  assert.ok(acts.length > 0 && acts.every((a) => a === 'user_add'), acts.join(','));
  assert.match(await page.textContent('#audit-table tbody'), /新建用户/);
  // a case's trace, from a link someone shared
  await visit(page, '/audit?case=' + k.no, 'audit');
  await page.waitForSelector('#audit-table tbody tr');
  const seqs = await page.$$eval('#audit-table tbody tr', (t) => t.map((r) => Number(r.dataset.seq)));
  const api = (await srv.api('GET', '/api/v1/audit?case=' + k.no, { token: await srv.login('admin') })).json.entries.map((e) => e.seq);
  assert.deepEqual(seqs, api);
  assert.equal(await page.inputValue('#audit-filters input[name=case]'), k.no);
  await page.click('#chain-verify');
  await page.waitForSelector('#chain-result [data-chain=ok]');
  await shot(page, '84-audit');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();

  // a supervisor, in English, on a phone
  const sup = await openPage(browser, srv, { viewport: { width: 375, height: 740 }, lang: 'en' });
  await uiLogin(sup, 'supervisor');
  await visit(sup, '/audit', 'audit');
  await sup.waitForSelector('#audit-table tbody tr');
  assert.ok(!/[\u4e00-\u9fff]/.test(await sup.textContent('.page[data-page=audit] h1')));
  assert.equal(await sup.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1), false, 'no horizontal scrolling');
  await shot(sup, '85-audit-en-375');
  await sup.go('/admin');
  await sup.waitForSelector('[data-forbidden]');
  assert.deepEqual(sup.errors, []);
  assert.deepEqual(await noI18nGaps(sup), []);
  await sup.context().close();

  // the administrator's entries in English
  const en = await openPage(browser, srv, { lang: 'en' });
  await uiLogin(en, 'admin');
  await visit(en, '/audit?action=user_passwd_reset', 'audit');
  await en.waitForSelector('#audit-table tbody tr');
  assert.equal(await en.textContent('#audit-table tbody tr td:nth-child(7)'), 'new password for community9 set by an administrator');
  await visit(en, '/audit?action=webhook_update', 'audit');
  await en.waitForSelector('#audit-table tbody tr');
  assert.equal(await en.textContent('#audit-table tbody tr td:nth-child(7)'), 'webhook \u201c短信网关\u201d to http://127.0.0.1:9/sms (switched off)');
  assert.deepEqual(en.errors, []);
  assert.deepEqual(await noI18nGaps(en), []);
  await en.context().close();
});

test('a street with a thousand resident accounts: the users tab shows 100, the filter finds the others', async () => {
  // accounts written as another program would (bench-fill's residents): they cannot log in
  const rows = Array.from({ length: 1000 }, (_, i) => `('res${String(i).padStart(4, '0')}', '居民${i}', 'resident', '', '!nologin', 0)`);
  dbQuery(srv.db, `INSERT INTO users(name, display, role, area, pw_hash, created_at) VALUES ${rows.join(',')};`);
  const total = (await srv.api('GET', '/api/v1/users', { token: await srv.login('admin') })).json.users.length;
  assert.ok(total > 1000, String(total));
  const page = await openPage(browser, srv);
  await uiLogin(page, 'admin');
  await visit(page, '/admin', 'admin');
  await page.waitForSelector('#user-table');
  assert.equal(await page.$$eval('#user-table tbody tr', (t) => t.length), 100);
  assert.match(await page.textContent('#user-count'), new RegExp(`显示 100 个用户，共 ${total} 个`));
  await page.click('#user-more');
  await page.waitForFunction(() => document.querySelectorAll('#user-table tbody tr').length === 200);
  await page.fill('#user-filter', 'res0999');
  await page.waitForFunction(() => document.querySelectorAll('#user-table tbody tr').length === 1);
  assert.equal(await page.getAttribute('#user-table tbody tr', 'data-user'), 'res0999');
  assert.equal(await page.$('#user-more'), null);
  assert.doesNotMatch(await page.textContent('#main'), /\bnull\b/, 'no stray null where the button was');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});
