// 75-alarms.test.mjs -- sensor alarms in the browser: a water-level reading
// over the threshold raises an alarm that the dispatcher acknowledges and
// clears with a reason; a silence is added and listed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { launch, openPage, uiLogin, visit, shot, noI18nGaps, haveChromium } from './ui-lib.mjs';

let srv, browser;
before(async () => {
  assert.ok(haveChromium(), '/usr/bin/chromium is missing: apt-get install -y chromium');
  srv = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await srv?.cleanup(); });

test('alarms: ack and clear with a reason; silences', async () => {
  const disp = await srv.login('dispatcher');
  let r = await srv.api('POST', '/api/v1/devices', { token: disp, body: { id: 'wl-ui-1', type: 'water_level', grid: '110101001001001', lon: 116.397, lat: 39.909, heartbeat_s: 3600 } });
  assert.equal(r.status, 201, r.text);
  r = await srv.api('POST', '/api/v1/readings', { token: disp, body: { readings: [{ device: 'wl-ui-1', values: { level: 45 } }] } });
  assert.equal(r.status, 200, r.text);
  let alarm;
  for (let i = 0; i < 50 && !alarm; i++) {
    alarm = (await srv.api('GET', '/api/v1/alarms?state=active&device=wl-ui-1', { token: disp })).json.alarms[0];
    if (!alarm) await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(alarm, 'an active alarm');

  const page = await openPage(browser, srv);
  await uiLogin(page, 'dispatcher');
  await page.click('#nav2 a[data-nav2=alarms]');
  await page.waitForSelector(`#alarm-table tr[data-alarm="${alarm.id}"][data-state=active]`);
  await shot(page, '60-alarms-active');
  await page.click(`tr[data-alarm="${alarm.id}"] button[data-alarm-action=ack]`);
  await page.waitForSelector(`.page[data-page=alarms] .tabs`);
  await visit(page, '/alarms?state=acknowledged', 'alarms');
  await page.waitForSelector(`tr[data-alarm="${alarm.id}"][data-state=acknowledged]`);
  await page.fill(`tr[data-alarm="${alarm.id}"] input[name=reason]`, '已上门处置，排水泵恢复');
  await page.click(`tr[data-alarm="${alarm.id}"] button[data-alarm-action=clear]`);
  await page.waitForSelector(`tr[data-alarm="${alarm.id}"]`, { state: 'detached' });
  const after = (await srv.api('GET', '/api/v1/alarms/' + alarm.id, { token: disp })).json;
  assert.equal((after.alarm || after).state, 'cleared');
  assert.match(JSON.stringify(after), /排水泵恢复/);

  await page.selectOption('#silence-form select[name=grid]', '110101001001001');
  await page.selectOption('#silence-form select[name=type]', 'water_level');
  await page.fill('#silence-form input[name=reason]', '地道排水泵检修');
  await page.click('#silence-form button[type=submit]');
  await page.waitForSelector('#silences li[data-silence]');
  assert.match(await page.textContent('#silences'), /地道排水泵检修/);
  await visit(page, '/alarms?state=all', 'alarms');
  await page.waitForSelector(`tr[data-alarm="${alarm.id}"][data-state=cleared]`);
  await shot(page, '61-alarms-all');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(await noI18nGaps(page), []);
  await page.context().close();
});
