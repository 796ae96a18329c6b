// dashboard.js -- community cloud (社区云): tiles, charts and the per-community
// table come from GET /api/v1/stats (counted by the server in the viewer's
// scope, equal to the case list), the base numbers (people, households, elders
// living alone, houses, organisations; people with a disability and students
// where departments' data arrived) from GET /api/v1/base/summary; only the
// map's grid colouring and pins use a bounded list of open cases. Each chart
// also carries its numbers in data-series / data-chart (screen readers, tests).
import { h, pageTitle, errorBox } from '../ui.js';
import { t } from '../i18n.js';
import { get } from '../api.js';
import { STATES, areasOf, categoryName, areaName, areaLabel } from '../catalog.js';
import { gridMap, casePins } from '../components/map.js';
import { leaderCard } from '../components/leader.js';

const DAY_CHOICES = [7, 14, 30, 90];
const PIN_LIMIT = 500;
const LOAD_COLORS = ['#f4efe6', '#fde0b2', '#f9b36b', '#ec7a3c', '#c8402a', '#8c1c13'];
const BASE_KEYS = ['people', 'households', 'elders_living_alone', 'houses', 'organisations'];
// Known only from the departments' data (一人一档): shown once any reached the scope.
const DEPT_KEYS = ['disabled', 'students'];
const STAFF_WARN = ['dispatcher', 'admin', 'supervisor', 'community_staff'];

// Puts the numbers the chart actually holds (read back from ECharts) on its
// element as data-chart: {label: value}, for tests and assistive tools.
function recordChart(el, chart) {
  const o = chart.getOption();
  const labels = o.xAxis[0].data, data = o.series[0].data;
  el.dataset.chart = JSON.stringify(Object.fromEntries(labels.map((l, i) => [l, data[i]])));
}

export async function render(ctx) {
  const q = ctx.query;
  const scope = q.get('area') || '';
  const days = DAY_CHOICES.includes(Number(q.get('days'))) ? Number(q.get('days')) : 14;
  // Community staff see their own community only (the API narrows it anyway).
  const own = ctx.user.area && ctx.user.area.length === 12 ? ctx.user.area : null;
  const go = (area, d) => ctx.navigate('/dashboard?' + new URLSearchParams({ ...(area ? { area } : {}), ...(d !== 14 ? { days: d } : {}) }));
  const sel = h('select', { id: 'dash-scope', name: 'area' },
    own ? null : h('option', { value: '' }, t('dash.whole_street')),
    areasOf('community').filter((c) => !own || c.code === own).map((c) => h('option', { value: c.code, selected: scope === c.code }, c.name)));
  sel.addEventListener('change', () => go(sel.value, days));
  const daySel = h('select', { id: 'dash-days', name: 'days' }, DAY_CHOICES.map((d) => h('option', { value: d, selected: d === days }, t('dash.days_n', { n: d }))));
  daySel.addEventListener('change', () => go(scope, Number(daySel.value)));
  ctx.root.append(h('div', { class: 'page-head' }, pageTitle(t('dash.title')),
    h('div', { class: 'btn-row' },
      h('div', { class: 'field inline' }, h('label', { for: 'dash-scope' }, t('dash.scope')), sel),
      h('div', { class: 'field inline' }, h('label', { for: 'dash-days' }, t('dash.window')), daySel))),
    leaderCard(ctx, scope));

  const aq = scope ? 'area=' + scope + '&' : '';
  let s, base, pins;
  try {
    [s, base, pins] = await Promise.all([
      get(`/api/v1/stats?${aq}days=${days}`),
      get('/api/v1/base/summary' + (scope ? '?area=' + scope : '')).catch(() => null),
      get(`/api/v1/cases?${aq}state=open&limit=${PIN_LIMIT}`),
    ]);
  } catch (e) { ctx.root.append(errorBox(e)); return; }
  const T = s.totals;
  const closed = (s.by_state.closed || 0) + (s.by_state.rated || 0);
  const tile = (k, v, cls = '', href) => {
    const inner = [h('span', { class: 'tile-v' }, String(v)), h('span', { class: 'tile-k' }, t('dash.' + k))];
    return href ? h('a', { class: 'tile link ' + cls, href, dataset: { stat: k } }, inner) : h('div', { class: 'tile ' + cls, dataset: { stat: k } }, inner);
  };
  const warnLink = STAFF_WARN.includes(ctx.user.role);
  ctx.root.append(h('section', { class: 'tiles', 'aria-label': t('dash.summary') },
    tile('total', T.total), tile('open', T.open), tile('overdue', T.overdue, T.overdue ? 'warn' : ''),
    tile('escalated', T.escalated, T.escalated ? 'warn' : ''), tile('ownerless', T.ownerless, T.ownerless ? 'warn' : ''),
    tile('closed', closed),
    tile('warnings_open', T.warnings_open, T.warnings_open ? 'alert' : 'calm', warnLink ? '#/warnings' : null),
    tile('alarms_active', T.alarms_active, T.alarms_active ? 'alert' : 'calm', warnLink ? '#/alarms' : null)));

  // Base numbers (fictional demo data) for the scope.
  const baseRow = base && (scope ? base.communities.find((c) => c.area === scope) || base.total : base.total);
  const baseKeys = base && base.from_departments ? [...BASE_KEYS, ...DEPT_KEYS] : BASE_KEYS;
  const baseVal = (v) => (v == null ? '—' : Number(v).toLocaleString('zh-CN'));
  if (baseRow) {
    ctx.root.append(h('section', { class: 'tiles base-tiles', 'aria-label': t('dash.base'), id: 'base-tiles' },
      baseKeys.map((k) => h('div', { class: 'tile base', dataset: { base: k } }, h('span', { class: 'tile-v' }, DEPT_KEYS.includes(k) ? baseVal(baseRow[k]) : Number(baseRow[k] || 0).toLocaleString('zh-CN')), h('span', { class: 'tile-k' }, t('base.' + k))))));
  }

  const cats = s.by_category.map((c) => c.category);
  const catData = s.by_category.map((c) => c.total);
  const dayLabels = s.per_day.map((d) => d.day);
  const created = s.per_day.map((d) => d.created), closedPerDay = s.per_day.map((d) => d.closed);
  const stateData = STATES.map((st) => s.by_state[st] || 0);

  const chartBox = (id, title, labels, data) => h('section', { class: 'card chart-card', 'aria-labelledby': id + '-h' },
    h('h2', { id: id + '-h' }, title),
    h('div', { class: 'chart', id, role: 'img', 'aria-label': title, dataset: { series: JSON.stringify(Object.fromEntries(labels.map((l, i) => [l, data[i]]))) } }));
  const stateBox = chartBox('chart-state', t('dash.by_state'), STATES, stateData);
  const catBox = chartBox('chart-category', t('dash.by_category'), cats, catData);
  const dayBox = chartBox('chart-daily', t('dash.daily_n', { n: days }), dayLabels, created);
  dayBox.querySelector('.chart').dataset.closed = JSON.stringify(Object.fromEntries(dayLabels.map((l, i) => [l, closedPerDay[i]])));
  const mapEl = h('div', { class: 'map', id: 'dash-map', role: 'img', 'aria-label': t('dash.map') });
  const legend = h('div', { class: 'legend', 'aria-hidden': 'true' }, t('dash.legend'), LOAD_COLORS.map((c, i) => h('span', { class: 'sw', style: `background:${c}` }, i === LOAD_COLORS.length - 1 ? i + '+' : String(i))));
  const pinNote = pins.next_before ? h('p', { class: 'muted small', id: 'pin-note' }, t('dash.pins_capped', { n: PIN_LIMIT })) : null;
  ctx.root.append(h('div', { class: 'dash-grid' }, stateBox, catBox, dayBox,
    h('section', { class: 'card chart-card map-card', 'aria-labelledby': 'dash-map-h' }, h('h2', { id: 'dash-map-h' }, t('dash.map')), mapEl, legend, pinNote)));

  // The same numbers as a table, per community (every community of the scope,
  // also those without cases), with the base numbers beside them.
  const baseBy = new Map((base?.communities || []).filter((c) => !scope || c.area === scope).map((c) => [c.area, c]));
  const caseBy = new Map(s.by_community.map((r) => [r.area, r]));
  const rowAreas = [...new Set([...caseBy.keys(), ...baseBy.keys()])].sort();
  const withBase = !!base;
  const num = (v) => h('td', null, String(v ?? 0));
  const baseCell = (b, k) => (DEPT_KEYS.includes(k) && b && b[k] == null ? h('td', null, '—') : num(b ? b[k] : 0));
  const sum = (k) => rowAreas.reduce((a, c) => a + Number(baseBy.get(c)?.[k] || 0), 0);
  ctx.root.append(h('section', { class: 'card', 'aria-labelledby': 'dash-table-h' }, h('h2', { id: 'dash-table-h' }, t('dash.by_community')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'dash-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('case.area')), ['dash.total', 'dash.open', 'dash.overdue'].map((k) => h('th', { scope: 'col' }, t(k))),
        withBase ? baseKeys.map((k) => h('th', { scope: 'col', class: 'base-col' }, t('base.' + k))) : null)),
      h('tbody', null, rowAreas.map((area) => { const r = caseBy.get(area) || {}, b = baseBy.get(area);
        return h('tr', { dataset: { area } }, h('th', { scope: 'row' }, r.name || b?.name || areaName(area)), num(r.total), num(r.open), num(r.overdue),
          withBase ? baseKeys.map((k) => baseCell(b, k)) : null); })),
      h('tfoot', null, h('tr', null, h('th', { scope: 'row' }, t('dash.sum')), num(T.total), num(T.open), num(T.overdue),
        withBase ? baseKeys.map((k) => num(sum(k))) : null)))),
    withBase && base.fictional ? h('p', { class: 'muted small' }, t('base.fictional')) : null,
    withBase && base.from_departments ? h('p', { class: 'muted small', id: 'dash-from-people' }, t('base.from_people'), ' ', h('a', { href: '#/people' }, t('nav.people'))) : null));

  const echarts = await import('/vendor/echarts/dist/echarts.esm.min.js');
  const charts = [];
  const baseOpt = { aria: { enabled: true }, grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true }, tooltip: { trigger: 'axis' }, textStyle: { fontFamily: 'inherit' } };
  const bar = (el, labels, data, color) => {
    const ch = echarts.init(el, null, { renderer: 'canvas' });
    ch.setOption({ ...baseOpt, color: [color],
      xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 || labels.some((l) => l.length > 8) || labels.length * 64 > el.clientWidth ? 35 : 0, fontSize: 11, width: 110, overflow: 'truncate' } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data, label: { show: true, position: 'top' }, barMaxWidth: 28 }] });
    charts.push(ch);
    recordChart(el, ch);
  };
  bar(stateBox.querySelector('.chart'), STATES.map((st) => t('state.' + st)), stateData, '#b3261e');
  bar(catBox.querySelector('.chart'), cats.map((c) => categoryName(c)), catData, '#1f5f8b');
  const line = echarts.init(dayBox.querySelector('.chart'));
  line.setOption({ ...baseOpt, color: ['#2e7d32', '#1f5f8b'],
    legend: { top: 0, right: 8, itemWidth: 14, textStyle: { fontSize: 11 } },
    xAxis: { type: 'category', data: dayLabels.map((d) => d.slice(5)), boundaryGap: false },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'line', data: created, name: t('dash.new_cases'), areaStyle: { opacity: 0.15 } },
      { type: 'line', data: closedPerDay, name: t('dash.closed_cases'), lineStyle: { type: 'dashed' } }] });
  charts.push(line);
  recordChart(dayBox.querySelector('.chart'), line);

  const openByGrid = {};
  for (const c of pins.cases) openByGrid[c.area] = (openByGrid[c.area] || 0) + 1;
  const m = await gridMap(mapEl, {
    focus: scope || (ctx.user.area && ctx.user.area.length >= 12 ? ctx.user.area : undefined), // the community in view
    style: (a) => { const n = openByGrid[a.code] || 0; return { fillColor: LOAD_COLORS[Math.min(n, LOAD_COLORS.length - 1)], fillOpacity: 0.8 }; },
    tooltip: (a) => `${areaLabel(a.code)}: ${t('dash.open')} ${openByGrid[a.code] || 0}`,
  });
  for (const [code, layer] of m.layers) layer.eachLayer((p) => p.getElement?.()?.setAttribute('data-open', String(openByGrid[code] || 0)));
  casePins(m.L, m.map, pins.cases);

  const onResize = () => charts.forEach((c) => c.resize());
  window.addEventListener('resize', onResize);
  return () => { window.removeEventListener('resize', onResize); charts.forEach((c) => c.dispose()); m.map.remove(); };
}
