// 72-access.test.mjs -- roles, sessions, keyboard, labels and small screens in
// a real browser: a resident cannot reach the dispatcher's pages (not shown,
// and the API refuses), logout forgets the token, password change, every form
// control is labelled, pages fit a 375 px wide phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium, sessionToken, scriptVisibleState } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

const navLinks = (page) => page.$$eval('#nav a', (as) => as.map((a) => a.dataset.nav));

// Controls without a label, an aria-label or aria-labelledby.
const unlabelled = (page) => page.$$eval('main input:not([type=hidden]), main select, main textarea', (els) =>
  els.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map((e) => e.outerHTML.slice(0, 80)));

test('a resident cannot reach the dispatcher pages: hidden, refused by the router and the API', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'resident1');
  assert.deepEqual(await navLinks(page), ['report', 'mine', 'track']);
  for (const p of ['queue', 'dashboard', 'inbox', 'tasks']) {
    await page.go('/' + p);
    await page.waitForSelector('[data-forbidden]');
    assert.equal(await page.$('.page'), null, p + ' page not rendered');
  }
  await shot(page, '15-resident-forbidden');
  // The API refuses too, with the resident's own token taken from the browser's cookie.
  const token = await sessionToken(page);
  assert.match(token, /^[0-9a-f]{64}$/);
  const own = (await srv.api('GET', '/api/v1/cases', { token })).json.cases;
  assert.ok(own.length > 0 && own.every((c) => c.reporter_id === own[0].reporter_id));
  const reported = own.find((c) => c.state === 'reported');
  assert.equal((await srv.api('POST', `/api/v1/cases/${reported.id}/register`, { token })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/audit/verify', { token })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/users', { token })).status, 403);
  // The case page shows a resident no staff actions.
  await visit(page, '/case/' + reported.id, 'case');
  await page.waitForSelector('.actions');
  assert.equal((await page.$$('.actions button[data-action]')).length, 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('each role sees its own navigation', async () => {
  const want = {
    dispatcher: ['report', 'queue', 'dashboard', 'track'],
    dept_shuiwu: ['inbox', 'track'],
    worker1: ['patrol', 'tasks', 'queue', 'track'],
    supervisor: ['queue', 'dashboard', 'track'],
  };
  for (const [name, links] of Object.entries(want)) {
    const page = await openPage(browser, srv);
    await uiLogin(page, name);
    assert.deepEqual(await navLinks(page), links, name);
    assert.deepEqual(page.errors, [], name);
    await page.context().close();
  }
});

test('login by keyboard, deep link after login, logout forgets the token', async () => {
  const page = await openPage(browser, srv);
  await page.go('/queue?state=reported');
  await page.waitForSelector('#login-form');
  assert.match(page.url(), /#\/login\?next=/);
  await page.focus('#login-form input[name=name]');
  await page.keyboard.type('dispatcher');
  await page.keyboard.press('Tab');
  await page.keyboard.type('wrong-password');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#login-form .alert.error');
  assert.match(await page.textContent('#login-form .alert.error'), /用户名或密码错误/);
  await page.fill('#login-form input[name=password]', 'jiceng-demo');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.page[data-page=queue]');
  assert.equal(await page.inputValue('select[name=state]'), 'reported', 'came back to the deep link');
  const token = await sessionToken(page);
  assert.equal((await srv.api('GET', '/api/v1/me', { token })).status, 200);
  // The session token is in the HttpOnly cookie only: no script-readable storage holds it.
  const cookie = (await page.context().cookies()).find((c) => c.name === 'jiceng_session');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.ok(!(await scriptVisibleState(page)).includes(token), 'token not in sessionStorage, localStorage or document.cookie');
  // A reload keeps the login (the cookie) and learns who it is from GET /api/v1/session.
  await page.reload();
  await page.waitForSelector('.page[data-page=queue]');
  assert.ok(!(await scriptVisibleState(page)).includes(token));
  await page.click('#logout');
  await page.waitForSelector('#login-form');
  assert.equal(await sessionToken(page), null, 'logout removed the cookie');
  assert.equal((await srv.api('GET', '/api/v1/me', { token })).status, 401, 'the server ended the session');
  // The only console error allowed is the refused wrong password (401).
  assert.deepEqual(page.errors.filter((e) => !/status of 401/.test(e)), []);
  await page.context().close();
});

test('change password, then log in with the new one', async () => {
  const page = await openPage(browser, srv);
  await uiLogin(page, 'resident2');
  await visit(page, '/password', 'password');
  assert.deepEqual(await unlabelled(page), []);
  await page.fill('input[name=old_password]', 'jiceng-demo');
  await page.fill('input[name=new_password]', 'new-secret-2026');
  await page.fill('input[name=again]', 'new-secret-2026');
  await shot(page, '16-password');
  await page.click('main form button[type=submit]');
  await page.waitForSelector('#login-form');
  await uiLogin(page, 'resident2', 'new-secret-2026');
  assert.equal((await srv.api('POST', '/api/v1/session', { body: { name: 'resident2', password: 'jiceng-demo' } })).status, 401);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('375 px phone: pages fit the width, controls are labelled; English switch', async () => {
  const phone = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  const checks = [
    ['resident1', '/report', 'report', '17-phone-report'],
    ['resident1', '/mine', 'mine', '18-phone-mine'],
    ['dispatcher', '/queue', 'queue', '19-phone-queue'],
    ['dispatcher', '/case/2', 'case', '20-phone-case'],
    ['dispatcher', '/dashboard', 'dashboard', '21-phone-dashboard'],
    ['dept_xiaofang', '/inbox', 'inbox', '22-phone-inbox'],
    ['worker1', '/tasks', 'tasks', '23-phone-tasks'],
  ];
  let page = null, who = null;
  for (const [name, hash, pageName, shotName] of checks) {
    if (who !== name) {
      if (page) { assert.deepEqual(page.errors, [], who); await page.context().close(); }
      page = await openPage(browser, srv, phone);
      await uiLogin(page, name);
      who = name;
    }
    await visit(page, hash, pageName);
    await page.waitForTimeout(300);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `${hash} is ${width}px wide`);
    assert.deepEqual(await unlabelled(page), [], hash);
    await shot(page, shotName);
  }
  assert.deepEqual(page.errors, [], who);
  await page.context().close();

  // English: switch with the language selector; the choice sticks.
  page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await page.selectOption('#lang', 'en');
  await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Case queue');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await visit(page, '/case/4', 'case');
  await page.waitForSelector('.trace[data-trace=verified]');
  assert.match(await page.textContent('.case-head .trace'), /trace verified/);
  await shot(page, '24-case-en');
  await page.reload();
  await page.waitForSelector('.page[data-page=case]');
  assert.equal(await page.textContent('#nav a[data-nav=queue]'), 'Case queue');
  assert.deepEqual(await noI18nGaps(page), []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
