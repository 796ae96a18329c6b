// dashboard.js -- community cloud (社区云): counts per street/community by
// state and category (ECharts bar charts), new cases per day (line chart) and
// a map of the grids coloured by open-case load with case pins. Every number
// is counted from GET /api/v1/cases in the viewer's scope; each chart also
// carries its numbers in data-series and in a table (screen readers, tests).
import { h, pageTitle, errorBox, shanghaiDay } from '../ui.js';
import { t, getLang } from '../i18n.js';
import { allCases } from '../api.js';
import { STATES, isOpen, areasOf, communityOf, categoryName, areaName, catalog, areaLabel } from '../catalog.js';
import { gridMap, casePins } from '../components/map.js';

const DAYS = 14;
const LOAD_COLORS = ['#f4efe6', '#fde0b2', '#f9b36b', '#ec7a3c', '#c8402a', '#8c1c13'];

export function summarize(cases, now = Date.now()) {
  const byState = Object.fromEntries(STATES.map((s) => [s, 0]));
  const byCategory = {}, byCommunity = {}, openByGrid = {}, byDay = {};
  let open = 0, overdue = 0, rated = 0, satisfied = 0;
  for (const c of cases) {
    byState[c.state] = (byState[c.state] || 0) + 1;
    byCategory[c.category] = (byCategory[c.category] || 0) + 1;
    const com = communityOf(c.area);
    const row = (byCommunity[com] ||= { total: 0, open: 0, overdue: 0, closed: 0 });
    row.total++;
    if (isOpen(c.state)) {
      open++; row.open++;
      openByGrid[c.area] = (openByGrid[c.area] || 0) + 1;
      if (c.deadline && Date.parse(c.deadline) < now) { overdue++; row.overdue++; }
    } else if (c.state === 'closed' || c.state === 'rated') row.closed++;
    if (c.rating) { rated++; if (c.rating !== 'unsatisfied') satisfied++; }
    const d = shanghaiDay(c.created_at);
    byDay[d] = (byDay[d] || 0) + 1;
  }
  return { total: cases.length, open, overdue, rated, satisfied, byState, byCategory, byCommunity, openByGrid, byDay };
}

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
  // Community staff see their own community only (the API narrows it anyway).
  const own = ctx.user.area && ctx.user.area.length === 12 ? ctx.user.area : null;
  const sel = h('select', { id: 'dash-scope', name: 'area' },
    own ? null : h('option', { value: '' }, t('dash.whole_street')),
    areasOf('community').filter((c) => !own || c.code === own).map((c) => h('option', { value: c.code, selected: scope === c.code }, c.name)));
  sel.addEventListener('change', () => ctx.navigate('/dashboard' + (sel.value ? '?area=' + sel.value : '')));
  ctx.root.append(h('div', { class: 'page-head' }, pageTitle(t('dash.title')),
    h('div', { class: 'field inline' }, h('label', { for: 'dash-scope' }, t('dash.scope')), sel)));

  let cases;
  try { cases = await allCases(scope ? { area: scope } : {}); } catch (e) { ctx.root.append(errorBox(e)); return; }
  const s = summarize(cases);
  const pct = s.rated ? Math.round((s.satisfied / s.rated) * 1000) / 10 + '%' : '—';
  const tile = (k, v, cls = '') => h('div', { class: 'tile ' + cls, dataset: { stat: k } }, h('span', { class: 'tile-v' }, String(v)), h('span', { class: 'tile-k' }, t('dash.' + k)));
  ctx.root.append(h('section', { class: 'tiles', 'aria-label': t('dash.summary') },
    tile('total', s.total), tile('open', s.open), tile('overdue', s.overdue, s.overdue ? 'warn' : ''),
    tile('closed', s.byState.closed + s.byState.rated), tile('satisfaction', pct)));

  const en = getLang() === 'en';
  const stateData = STATES.map((st) => s.byState[st]);
  const cats = catalog().categories.filter((k) => s.byCategory[k.code]).map((k) => k.code);
  const catData = cats.map((c) => s.byCategory[c]);
  const days = [];
  for (let i = DAYS - 1; i >= 0; i--) days.push(shanghaiDay(new Date(Date.now() - i * 86400e3).toISOString()));
  const dayData = days.map((d) => s.byDay[d] || 0);

  const chartBox = (id, titleKey, labels, data) => h('section', { class: 'card chart-card', 'aria-labelledby': id + '-h' },
    h('h2', { id: id + '-h' }, t(titleKey)),
    h('div', { class: 'chart', id, role: 'img', 'aria-label': t(titleKey), dataset: { series: JSON.stringify(Object.fromEntries(labels.map((l, i) => [l, data[i]]))) } }));
  const stateBox = chartBox('chart-state', 'dash.by_state', STATES, stateData);
  const catBox = chartBox('chart-category', 'dash.by_category', cats, catData);
  const dayBox = chartBox('chart-daily', 'dash.daily', days, dayData);
  const mapEl = h('div', { class: 'map', id: 'dash-map', role: 'img', 'aria-label': t('dash.map') });
  const legend = h('div', { class: 'legend', 'aria-hidden': 'true' }, t('dash.legend'), LOAD_COLORS.map((c, i) => h('span', { class: 'sw', style: `background:${c}` }, i === LOAD_COLORS.length - 1 ? i + '+' : String(i))));
  ctx.root.append(h('div', { class: 'dash-grid' }, stateBox, catBox, dayBox,
    h('section', { class: 'card chart-card map-card', 'aria-labelledby': 'dash-map-h' }, h('h2', { id: 'dash-map-h' }, t('dash.map')), mapEl, legend)));

  // The same numbers as a table, per community.
  const coms = Object.keys(s.byCommunity).sort();
  ctx.root.append(h('section', { class: 'card', 'aria-labelledby': 'dash-table-h' }, h('h2', { id: 'dash-table-h' }, t('dash.by_community')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'dash-table' },
      h('thead', null, h('tr', null, ['case.area', 'dash.total', 'dash.open', 'dash.overdue', 'dash.closed'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, coms.map((c) => { const r = s.byCommunity[c]; return h('tr', { dataset: { area: c } }, h('th', { scope: 'row' }, areaName(c)), [r.total, r.open, r.overdue, r.closed].map((v) => h('td', null, String(v)))); })),
      h('tfoot', null, h('tr', null, h('th', { scope: 'row' }, t('dash.sum')), [s.total, s.open, s.overdue, s.byState.closed + s.byState.rated].map((v) => h('td', null, String(v)))))))));

  const echarts = await import('/vendor/echarts/dist/echarts.esm.min.js');
  const charts = [];
  const base = { aria: { enabled: true }, grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true }, tooltip: { trigger: 'axis' }, textStyle: { fontFamily: 'inherit' } };
  const bar = (el, labels, data, color) => {
    const ch = echarts.init(el, null, { renderer: 'canvas' });
    ch.setOption({ ...base, color: [color],
      xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 || labels.some((l) => l.length > 8) || labels.length * 64 > el.clientWidth ? 35 : 0, fontSize: 11, width: 110, overflow: 'truncate' } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data, label: { show: true, position: 'top' }, barMaxWidth: 28 }] });
    charts.push(ch);
    recordChart(el, ch);
  };
  bar(stateBox.querySelector('.chart'), STATES.map((st) => t('state.' + st)), stateData, '#b3261e');
  bar(catBox.querySelector('.chart'), cats.map((c) => (en ? categoryName(c) : categoryName(c))), catData, '#1f5f8b');
  const line = echarts.init(dayBox.querySelector('.chart'));
  line.setOption({ ...base, color: ['#2e7d32'],
    xAxis: { type: 'category', data: days.map((d) => d.slice(5)), boundaryGap: false },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'line', data: dayData, smooth: false, areaStyle: { opacity: 0.15 }, name: t('dash.new_cases') }] });
  charts.push(line);
  recordChart(dayBox.querySelector('.chart'), line);

  const m = await gridMap(mapEl, {
    style: (a) => { const n = s.openByGrid[a.code] || 0; return { fillColor: LOAD_COLORS[Math.min(n, LOAD_COLORS.length - 1)], fillOpacity: 0.8 }; },
    tooltip: (a) => `${areaLabel(a.code)}: ${t('dash.open')} ${s.openByGrid[a.code] || 0}`,
  });
  for (const [code, layer] of m.layers) layer.eachLayer((p) => p.getElement?.()?.setAttribute('data-open', String(s.openByGrid[code] || 0)));
  casePins(m.L, m.map, cases.filter((c) => isOpen(c.state)));

  const onResize = () => charts.forEach((c) => c.resize());
  window.addEventListener('resize', onResize);
  return () => { window.removeEventListener('resize', onResize); charts.forEach((c) => c.dispose()); m.map.remove(); };
}
