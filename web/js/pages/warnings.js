// warnings.js -- early warnings (预警研判) for street and community staff: the
// warnings of GET /api/v1/warnings by state, each with its explanation
// (series: category and area; observed vs expected and threshold; method and
// parameters; the daily series it was judged on), the actions ack / dismiss
// (reason) / open a case; the hotspots of GET /api/v1/hotspots, listed and
// highlighted on the grid map.
import { h, field, pageTitle, errorBox, toast, fmtTime, loading } from '../ui.js';
import { t } from '../i18n.js';
import { get, post } from '../api.js';
import { categoryName, areaName, areaLabel, communityOf } from '../catalog.js';
import { gridMap } from '../components/map.js';

const STATES = ['open', 'acknowledged', 'escalated', 'dismissed', 'all'];
const HOT_DAYS = [1, 7, 14, 30];
const fix = (v, n = 2) => (v == null ? '—' : Number(v).toFixed(n).replace(/\.?0+$/, '') || '0');
const pval = (p) => (p == null ? '—' : p < 0.001 ? Number(p).toExponential(1) : Number(p).toFixed(3));

// The daily series as a small bar strip, the judged day last and the threshold as a line.
function spark(series, threshold, from) {
  const max = Math.max(1, threshold || 0, ...series);
  const days = series.map((_, i) => { const d = new Date(Date.parse(from + 'T00:00:00Z') + i * 86400e3); return d.toISOString().slice(5, 10); });
  return h('div', { class: 'spark', role: 'img', 'aria-label': t('warn.series_label', { list: series.map((n, i) => `${days[i]}: ${n}`).join(', ') }) },
    threshold != null ? h('span', { class: 'spark-th', style: `bottom:${(threshold / max) * 100}%`, title: t('warn.threshold') + ' ' + fix(threshold) }) : null,
    series.map((n, i) => h('span', { class: 'spark-bar' + (i === series.length - 1 ? ' last' : ''), style: `height:${Math.max(2, (n / max) * 100)}%`, title: `${days[i]}: ${n}` })));
}

function warningCard(w, ctx, onDone) {
  const p = w.params || {};
  const level = w.series?.level || p.level;
  const msg = h('div', { 'aria-live': 'polite' });
  const decided = w.state === 'dismissed' || w.state === 'escalated';
  let actions = null;
  if (!decided) {
    const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, placeholder: t('warn.reason_ph') });
    const run = async (btn, path, body) => {
      btn.disabled = true;
      try {
        const r = await post(`/api/v1/warnings/${w.id}/${path}`, body);
        onDone(path, r);
      } catch (e) { btn.disabled = false; msg.replaceChildren(errorBox(e)); }
    };
    const ack = w.state === 'open' ? h('button', { type: 'button', class: 'btn small primary', dataset: { warnAction: 'ack' } }, t('warn.ack')) : null;
    const mk = h('button', { type: 'button', class: 'btn small', dataset: { warnAction: 'case' } }, t('warn.to_case'));
    const dis = h('button', { type: 'button', class: 'btn small danger-outline', dataset: { warnAction: 'dismiss' } }, t('warn.dismiss'));
    ack?.addEventListener('click', () => run(ack, 'ack', reason.value.trim() ? { reason: reason.value.trim() } : {}));
    mk.addEventListener('click', () => run(mk, 'case', reason.value.trim() ? { reason: reason.value.trim() } : {}));
    dis.addEventListener('click', () => {
      if (!reason.value.trim()) { msg.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('warn.need_reason'))); reason.focus(); return; }
      run(dis, 'dismiss', { reason: reason.value.trim() });
    });
    actions = h('div', { class: 'warn-actions' }, field(t('warn.reason'), reason, t('warn.reason_hint')), h('div', { class: 'btn-row' }, ack, mk, dis));
  }
  const stateCls = { open: 'red', acknowledged: 'amber', escalated: 'blue', dismissed: 'grey' }[w.state] || '';
  return h('article', { class: 'card warning', dataset: { warning: w.id, state: w.state } },
    h('div', { class: 'warn-head' },
      h('h2', null, categoryName(w.series?.category), ' · ', areaName(w.series?.area)),
      h('span', { class: 'badge ' + stateCls }, t('warn.st_' + w.state)),
      h('span', { class: 'badge grey' }, t('warn.level_' + (level === 'street' ? 'street' : 'community')))),
    h('div', { class: 'warn-body' },
      h('dl', { class: 'warn-nums' },
        h('div', { dataset: { num: 'observed' } }, h('dt', null, t('warn.observed')), h('dd', { class: 'big' }, String(w.observed))),
        h('div', { dataset: { num: 'expected' } }, h('dt', null, t('warn.expected')), h('dd', null, fix(w.expected))),
        h('div', { dataset: { num: 'threshold' } }, h('dt', null, t('warn.threshold')), h('dd', null, fix(w.threshold)))),
      Array.isArray(p.series) && p.series.length ? h('div', { class: 'warn-spark' }, spark(p.series, w.threshold, p.series_from || w.day),
        h('small', { class: 'muted' }, t('warn.series_caption', { from: p.series_from || '', to: w.day }))) : null),
    h('p', { class: 'small' }, t('warn.summary', { day: w.day, method: String(w.method).toUpperCase(), obs: w.observed, th: fix(w.threshold) })),
    h('dl', { class: 'summary small warn-params' },
      h('dt', null, t('warn.method')), h('dd', null, w.method),
      h('dt', null, t('warn.params')), h('dd', null, t('warn.params_text', { baseline: p.baseline ?? '—', alpha: p.alpha ?? '—', min: p.min_count ?? '—' }),
        p.partial_day === 'yes' ? ' · ' + t('warn.partial') : ''),
      p.stat != null ? [h('dt', null, t('warn.stat')), h('dd', null, fix(p.stat))] : null,
      h('dt', null, t('warn.raised')), h('dd', null, fmtTime(w.created_at)),
      w.by ? [h('dt', null, t('warn.decided')), h('dd', null, `${w.by} · ${fmtTime(w.at)}`, w.reason ? ' · ' + w.reason : '')] : null,
      w.case_id ? [h('dt', null, t('warn.case')), h('dd', null, h('a', { href: '#/case/' + w.case_id, dataset: { warnCase: w.case_id } }, '#' + w.case_id))] : null),
    h('details', { class: 'explain' }, h('summary', null, t('warn.explanation')), h('pre', { class: 'explain-text' }, w.explanation || '')),
    actions, msg);
}

export async function render(ctx) {
  const state = STATES.includes(ctx.query.get('state')) ? ctx.query.get('state') : 'open';
  const days = HOT_DAYS.includes(Number(ctx.query.get('days'))) ? Number(ctx.query.get('days')) : 7;
  const level = ctx.query.get('level') === 'grid' ? 'grid' : 'community';
  const list = h('div', { id: 'warning-list', class: 'warning-list' }, loading());
  const hot = h('div', { id: 'hotspot-list' }, loading());
  const mapEl = h('div', { class: 'map', id: 'hot-map', role: 'img', 'aria-label': t('warn.hot_map') });
  const link = (q) => '#/warnings?' + new URLSearchParams({ state, days, level, ...q });
  const daySel = h('select', { id: 'hot-days' }, HOT_DAYS.map((d) => h('option', { value: d, selected: d === days }, t('dash.days_n', { n: d }))));
  const levelSel = h('select', { id: 'hot-level' }, ['community', 'grid'].map((l) => h('option', { value: l, selected: l === level }, t('warn.level_' + l))));
  daySel.addEventListener('change', () => { location.hash = link({ days: daySel.value }); });
  levelSel.addEventListener('change', () => { location.hash = link({ level: levelSel.value }); });
  ctx.root.append(pageTitle(t('warn.title')), h('p', { class: 'muted' }, t('warn.intro')),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('warn.title') },
      STATES.map((k) => h('a', { role: 'tab', href: link({ state: k }), 'aria-selected': String(k === state), class: 'tab' + (k === state ? ' active' : ''), dataset: { tab: k } }, t('warn.st_' + k)))),
    h('div', { class: 'warn-layout' },
      h('section', { 'aria-label': t('warn.list') }, list),
      h('section', { class: 'card', 'aria-labelledby': 'hot-h' }, h('h2', { id: 'hot-h' }, t('warn.hotspots')),
        h('div', { class: 'btn-row' }, h('div', { class: 'field inline' }, h('label', { for: 'hot-days' }, t('dash.window')), daySel),
          h('div', { class: 'field inline' }, h('label', { for: 'hot-level' }, t('warn.level')), levelSel)),
        mapEl, h('div', { class: 'legend', 'aria-hidden': 'true' }, h('span', { class: 'sw hot' }, t('warn.hot')), h('span', { class: 'sw warm' }, t('warn.has_cases'))), hot)));

  const onDone = (action, r) => {
    if (action === 'case' && r?.case) toast(t('warn.case_opened', { no: r.case.no || '#' + r.case.id }));
    else toast(t('warn.done_' + action));
    ctx.rerender();
  };
  try {
    const r = await get('/api/v1/warnings?limit=200' + (state === 'all' ? '' : '&state=' + state));
    const ws = r.warnings || [];
    list.replaceChildren(h('p', { class: 'muted', id: 'warning-count', dataset: { n: ws.length } }, t('warn.count', { n: ws.length })),
      ...(ws.length ? ws.map((w) => warningCard(w, ctx, onDone)) : [h('p', { class: 'card muted empty' }, t('warn.none'))]));
  } catch (e) { list.replaceChildren(errorBox(e)); }

  let mapObj = null;
  try {
    const r = await get(`/api/v1/hotspots?days=${days}&level=${level}`);
    const areas = r.areas || [];
    const byArea = new Map(areas.map((a) => [a.area, a]));
    const hotN = areas.filter((a) => a.hotspot).length;
    hot.replaceChildren(h('p', { class: 'small muted' }, t('warn.hot_caption', { n: hotN, days, alpha: r.alpha ?? 0.05 })),
      h('div', { class: 'table-wrap' }, h('table', { class: 'stats mini', id: 'hotspot-table' },
        h('thead', null, h('tr', null, ['warn.rank', 'case.area', 'warn.observed', 'warn.expected', 'warn.p_adj'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', null, areas.filter((a) => a.hotspot || a.observed > 0).map((a) => h('tr', { dataset: { area: a.area, hot: a.hotspot ? '1' : '0' }, class: a.hotspot ? 'is-hot' : '', title: a.explanation },
          h('td', null, String(a.rank)), h('th', { scope: 'row' }, a.name || areaLabel(a.area), a.hotspot ? [' ', h('span', { class: 'badge red' }, t('warn.hot'))] : null),
          h('td', { dataset: { k: 'observed' } }, String(a.observed)), h('td', { dataset: { k: 'expected' } }, fix(a.expected)), h('td', null, pval(a.p_adjusted))))))));
    const of = (code) => byArea.get(level === 'grid' ? code : communityOf(code));
    mapObj = await gridMap(mapEl, {
      style: (g) => { const a = of(g.code); return a?.hotspot ? { fillColor: '#c8402a', fillOpacity: 0.75 } : a?.observed ? { fillColor: '#fde0b2', fillOpacity: 0.8 } : {}; },
      tooltip: (g) => { const a = of(g.code); return `${areaLabel(g.code)}: ${a ? a.observed : 0}${a?.hotspot ? ' · ' + t('warn.hot') : ''}`; },
    });
    for (const [code, layer] of mapObj.layers) layer.eachLayer((p) => p.getElement?.()?.setAttribute('data-hot', of(code)?.hotspot ? '1' : '0'));
  } catch (e) { hot.replaceChildren(errorBox(e)); }
  return () => mapObj?.map.remove();
}
