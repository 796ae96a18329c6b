// dispatch-lib.mjs -- what the dispatch files (06-dispatch, 06-dispatch-lists) share:
// a server with the demo street and its people logged in, points in the demo's grids,
// and reporting and acting on cases through the API.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, filler } from './lib.mjs';

// Grids of the demo: community i (1-based) occupies [lon0 + ((i-1)%4)*0.006, +0.006] x
// [lat0 + floor((i-1)/4)*0.008, +0.008]; its grid g (1..4) is the 2x2 quarter.
const LON0 = 116.396, LAT0 = 39.905;
export const pointIn = (comm, grid) => {
  const w0 = LON0 + ((comm - 1) % 4) * 0.006, s0 = LAT0 + Math.floor((comm - 1) / 4) * 0.008;
  return { lon: w0 + ((grid - 1) % 2) * 0.003 + 0.0015, lat: s0 + Math.floor((grid - 1) / 2) * 0.004 + 0.002 };
};

// The file's state: its server (x.srv, replaced when a test restarts it), the
// tokens of the demo's people (x.T) and the departments' ids by code (x.D).
async function dispatchSetup(x) {
  x.srv = await startServer();
  x.T = {};
  x.D = {};
  for (const n of ['resident1', 'resident2', 'dispatcher', 'supervisor', 'worker1', 'community1', 'admin',
    'dept_chengguan', 'dept_wuye', 'dept_gongan', 'dept_shengtai', 'dept_zhujian', 'dept_xiaofang'])
    x.T[n] = await x.srv.login(n);
  for (const d of (await x.srv.api('GET', '/api/v1/depts')).json.depts) x.D[d.code] = d.id;
}

// Registers the file's before (a server, then ready(x)) and after (its cleanup);
// returns x.
export function dispatchServer(ready) {
  const x = {};
  before(async () => {
    await dispatchSetup(x);
    ready(x);
  });
  after(async () => { await x.srv.cleanup(); });
  return x;
}

// report(who, body), act(id, action, who, body), get(id, who) on x's server.
// Reports get filler text (lib.mjs) unless they give a body.
export function caseCalls(x) {
  return {
    async report(who, body) {
      if (body.body === undefined) body = { ...body, body: filler() };
      const r = await x.srv.api('POST', '/api/v1/cases', { token: x.T[who], body });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json;
    },
    async act(id, action, who, body = {}) {
      const r = await x.srv.api('POST', `/api/v1/cases/${id}/${action}`, { token: x.T[who], body });
      assert.equal(r.status, 200, `${action} by ${who}: ${JSON.stringify(r.json)}`);
      return r.json;
    },
    get: async (id, who = 'dispatcher') => (await x.srv.api('GET', `/api/v1/cases/${id}`, { token: x.T[who] })).json,
  };
}
