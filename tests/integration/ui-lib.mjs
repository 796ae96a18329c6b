// ui-lib.mjs -- helpers of the browser tests (7x-*.test.mjs): launch Debian's
// chromium through playwright-core, open pages per role, collect console
// errors, take screenshots into build/screenshots/.
import { chromium } from 'playwright-core';
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, DEMO_PASSWORD } from './lib.mjs';

export const SHOTS = join(ROOT, 'build/screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function haveChromium() { return existsSync(CHROMIUM); }

export async function launch() {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A page in its own context (own cookies and storage), with every console error and
// uncaught exception recorded in page.errors.
export async function openPage(browser, srv, { viewport = { width: 1280, height: 900 }, lang, ...ctxOpts } = {}) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...ctxOpts });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push('console: ' + m.text()); });
  page.on('pageerror', (e) => page.errors.push('pageerror: ' + e.message));
  if (lang) await context.addInitScript((l) => localStorage.setItem('jiceng.lang', l), lang);
  page.base = srv.url;
  page.go = async (hash) => { await page.goto(srv.url + '/#' + hash); };
  return page;
}

// Logs in through the login form; waits for the role's home page.
export async function uiLogin(page, name, password = DEMO_PASSWORD) {
  await page.goto(page.base + '/#/login');
  await page.waitForSelector('#login-form');
  await page.fill('#login-form input[name=name]', name);
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('.page:not([data-page=login])');
}

// Goes to a hash route and waits for its page root and the loading line to go.
export async function visit(page, hash, pageName) {
  await page.go(hash);
  await page.waitForSelector(`.page[data-page="${pageName}"]`);
  await page.waitForFunction(() => !document.querySelector('#main [role=status].muted') || document.querySelector('.page'));
}

// The session token of a page's login: the HttpOnly cookie, which only the
// browser (and Playwright) can read -- the page's scripts never see it.
export async function sessionToken(page) {
  const c = (await page.context().cookies()).find((x) => x.name === 'jiceng_session');
  return c ? c.value : null;
}

// Everything the page's scripts could read: both storages and document.cookie.
export async function scriptVisibleState(page) {
  return page.evaluate(() => JSON.stringify({
    session: Object.entries(sessionStorage), local: Object.entries(localStorage), cookie: document.cookie }));
}

export async function shot(page, name) {
  await page.waitForTimeout(250); // let charts/maps finish their animation frame
  await page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });
}

// The state shown on a case page.
export async function caseState(page) {
  return page.getAttribute('dd[data-field=state] .badge', 'data-state');
}

export async function noI18nGaps(page) {
  return page.evaluate(() => window.__i18nMissing || []);
}
