// warnings.js -- early warnings (预警研判) for street and community staff:
// one line per warning in plain words -- what rose, where, how unusual
// ("12月5日 东厂社区违章搭建 9 件，往常约 2 件") -- the most unusual first,
// with the ways to act (open a case, hand it to the community to check,
// dismiss with a reason) and the statistics behind a 详情 fold (the daily
// series, the numbers the detector judged, its method and parameters in
// words). Beside it the hotspots (GET /api/v1/hotspots) in the same plain
// words, listed and on the grid map.
import { h, field, pageTitle, errorBox, toast, fmtTime, loading } from '../ui.js';
import { t, getLang } from '../i18n.js';
import { get, post } from '../api.js';
import { categoryName, areaName, areaLabel, communityOf } from '../catalog.js';
import { gridMap } from '../components/map.js';

const STATES = ['open', 'acknowledged', 'escalated', 'dismissed', 'all'];
const HOT_DAYS = [1, 7, 14, 30];
const fix = (v, n = 2) => (v == null ? '—' : Number(v).toFixed(n).replace(/\.?0+$/, '') || '0');
const about = (v) => (v == null ? '—' : v < 1 ? fix(v, 1) : String(Math.round(v * 10) / 10));
const METHODS = new Set(['ears-c1', 'ears-c2', 'ears-c3', 'cusum']);
const methodName = (m) => t(METHODS.has(m) ? 'wcfg.m_' + m : 'warn.method_other');

// A day as a person says it ("12月5日", "5 Dec").
function dayText(ymd) {
  const d = new Date(ymd + 'T00:00:00Z');
  if (Number.isNaN(d.getTime())) return ymd || '—';
  return new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'zh-CN', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
}

// How unusual: observed against what is usual, as "约 4.5 倍" or "往常没有".
function ratioText(w) {
  if (!(w.expected > 0.05)) return t('warn.ratio_none');
  return t('warn.ratio', { x: about(w.observed / w.expected) });
}
// Importance: how far above usual, counting the size (9 against 2 before 3 against 0.5).
const importance = (w) => (w.observed - (w.expected || 0)) * Math.min(10, w.observed / Math.max(w.expected || 0, 0.5));

// The daily series as a small bar strip, the judged day last and the threshold as a line.
function spark(series, threshold, from) {
  const max = Math.max(1, threshold || 0, ...series);
  const days = series.map((_, i) => dayText(new Date(Date.parse(from + 'T00:00:00Z') + i * 86400e3).toISOString().slice(0, 10)));
  return h('div', { class: 'spark', role: 'img', 'aria-label': t('warn.series_label', { list: series.map((n, i) => `${days[i]}: ${n}`).join(', ') }) },
    threshold != null ? h('span', { class: 'spark-th', style: `bottom:${(threshold / max) * 100}%`, title: t('warn.threshold') + ' ' + fix(threshold) }) : null,
    series.map((n, i) => h('span', { class: 'spark-bar' + (i === series.length - 1 ? ' last' : ''), style: `height:${Math.max(2, (n / max) * 100)}%`, title: `${days[i]}: ${n}` })));
}

// The statistics in words, for whoever wants to check the judgement.
function detailsFold(w) {
  const p = w.params || {};
  const where = w.series?.level === 'street' || p.level === 'street' ? t('warn.level_street') : t('warn.level_community');
  return h('details', { class: 'explain warn-details' }, h('summary', null, t('warn.details')),
    h('div', { class: 'warn-body' },
      h('dl', { class: 'warn-nums' },
        h('div', { dataset: { num: 'observed' } }, h('dt', null, t('warn.observed')), h('dd', { class: 'big' }, String(w.observed))),
        h('div', { dataset: { num: 'expected' } }, h('dt', null, t('warn.expected')), h('dd', null, fix(w.expected))),
        h('div', { dataset: { num: 'threshold' } }, h('dt', null, t('warn.threshold')), h('dd', null, fix(w.threshold)))),
      Array.isArray(p.series) && p.series.length ? h('div', { class: 'warn-spark' }, spark(p.series, w.threshold, p.series_from || w.day),
        h('small', { class: 'muted' }, t('warn.series_caption', { from: dayText(p.series_from || ''), to: dayText(w.day) }))) : null),
    h('p', { class: 'small explain-text' }, t('warn.judged', { method: methodName(w.method), baseline: p.baseline ?? '—', where }),
      ' ', t('warn.judged_nums', { mean: fix(p.mean ?? w.expected), th: fix(w.threshold), obs: w.observed }),
      p.alpha != null ? ' ' + t('warn.judged_alpha', { alpha: p.alpha }) : '',
      p.min_count != null ? ' ' + t('warn.judged_min', { min: p.min_count }) : '',
      p.partial_day === 'yes' ? ' ' + t('warn.partial') : ''),
    h('p', { class: 'small muted' }, t('warn.raised'), t('err.sep'), fmtTime(w.created_at)));
}

function warningItem(w, ctx, onDone) {
  const level = w.series?.level || w.params?.level;
  const area = level === 'street' ? t('warn.whole_street', { street: areaName(w.series?.area) }) : areaName(w.series?.area);
  const msg = h('div', { 'aria-live': 'polite' });
  const decided = w.state === 'dismissed' || w.state === 'escalated';
  let actions = null;
  if (!decided) {
    const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, placeholder: t('warn.reason_ph'), 'aria-label': t('warn.reason') });
    const run = async (btn, path, body) => {
      btn.disabled = true;
      try {
        const r = await post(`/api/v1/warnings/${w.id}/${path}`, body);
        onDone(path, r);
      } catch (e) { btn.disabled = false; msg.replaceChildren(errorBox(e)); }
    };
    const opt = () => (reason.value.trim() ? { reason: reason.value.trim() } : {});
    const mk = h('button', { type: 'button', class: 'btn small primary', dataset: { warnAction: 'case' } }, t('warn.to_case'));
    const ack = w.state === 'open' ? h('button', { type: 'button', class: 'btn small', dataset: { warnAction: 'ack' } }, t(level === 'street' ? 'warn.ack_street' : 'warn.ack')) : null;
    const dis = h('button', { type: 'button', class: 'btn small danger-outline', dataset: { warnAction: 'dismiss' } }, t('warn.dismiss'));
    mk.addEventListener('click', () => run(mk, 'case', opt()));
    ack?.addEventListener('click', () => run(ack, 'ack', opt()));
    dis.addEventListener('click', () => {
      if (!reason.value.trim()) { msg.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('warn.need_reason'))); reason.focus(); return; }
      run(dis, 'dismiss', { reason: reason.value.trim() });
    });
    actions = h('div', { class: 'warn-actions inline' }, reason, mk, ack, dis);
  }
  const stateCls = { open: 'red', acknowledged: 'amber', escalated: 'blue', dismissed: 'grey' }[w.state] || '';
  return h('li', { class: 'card warning', dataset: { warning: w.id, state: w.state } },
    h('div', { class: 'warn-line' },
      h('h2', { class: 'warn-what' },
        t('warn.line', { day: dayText(w.day), area, cat: categoryName(w.series?.category), n: w.observed, usual: about(w.expected) })),
      h('span', { class: 'badge ' + (w.expected > 0.05 && w.observed / w.expected >= 3 ? 'red' : 'amber') }, ratioText(w)),
      w.state !== 'open' ? h('span', { class: 'badge ' + stateCls }, t('warn.st_' + w.state)) : null),
    w.by ? h('p', { class: 'small muted' }, t('warn.decided'), t('err.sep'), `${w.by_display || t('warn.someone')} · ${fmtTime(w.at)}`, w.reason ? ' · ' + w.reason : '') : null,
    w.case_id ? h('p', { class: 'small' }, h('a', { href: '#/case/' + w.case_id, dataset: { warnCase: w.case_id } }, t('warn.case_link'))) : null,
    actions, msg, detailsFold(w));
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
    if (action === 'case' && r?.case) toast(t('warn.case_opened', { no: r.case.no || '' }));
    else toast(t('warn.done_' + action));
    ctx.rerender();
  };
  try {
    const r = await get('/api/v1/warnings?limit=200' + (state === 'all' ? '' : '&state=' + state));
    const ws = (r.warnings || []).slice().sort((a, b) => importance(b) - importance(a) || b.id - a.id);
    list.replaceChildren(h('p', { class: 'muted', id: 'warning-count', dataset: { n: ws.length } }, t('warn.count', { n: ws.length }), ws.length > 1 ? ' · ' + t('warn.sorted') : ''),
      ws.length ? h('ol', { class: 'plain warn-items' }, ws.map((w) => warningItem(w, ctx, onDone))) : h('p', { class: 'card muted empty' }, t('warn.none')));
  } catch (e) { list.replaceChildren(errorBox(e)); }

  let mapObj = null;
  try {
    const r = await get(`/api/v1/hotspots?days=${days}&level=${level}`);
    const areas = r.areas || [];
    const byArea = new Map(areas.map((a) => [a.area, a]));
    const hotN = areas.filter((a) => a.hotspot).length;
    hot.replaceChildren(h('p', { class: 'small muted' }, t('warn.hot_caption', { n: hotN, days })),
      h('div', { class: 'table-wrap' }, h('table', { class: 'stats mini', id: 'hotspot-table' },
        h('thead', null, h('tr', null, ['warn.rank', 'case.area', 'warn.hot_cases', 'warn.hot_usual'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', null, areas.filter((a) => a.hotspot || a.observed > 0).map((a) => h('tr', { dataset: { area: a.area, hot: a.hotspot ? '1' : '0' }, class: a.hotspot ? 'is-hot' : '', title: t('warn.p_title', { p: a.p_adjusted == null ? '—' : Number(a.p_adjusted).toPrecision(2) }) },
          h('td', null, String(a.rank)), h('th', { scope: 'row' }, areaLabel(a.area), a.hotspot ? [' ', h('span', { class: 'badge red' }, t('warn.hot'))] : null),
          h('td', { dataset: { k: 'observed' } }, String(a.observed)), h('td', { dataset: { k: 'expected' } }, about(a.expected))))))),
      h('details', { class: 'explain' }, h('summary', null, t('warn.details')), h('p', { class: 'small' }, t('warn.hot_method', { alpha: r.alpha ?? 0.05 }))));
    const of = (code) => byArea.get(level === 'grid' ? code : communityOf(code));
    mapObj = await gridMap(mapEl, {
      style: (g) => { const a = of(g.code); return a?.hotspot ? { fillColor: '#c8402a', fillOpacity: 0.75 } : a?.observed ? { fillColor: '#fde0b2', fillOpacity: 0.8 } : {}; },
      tooltip: (g) => { const a = of(g.code); return `${areaLabel(g.code)}: ${a ? a.observed : 0}${a?.hotspot ? ' · ' + t('warn.hot') : ''}`; },
    });
    for (const [code, layer] of mapObj.layers) layer.eachLayer((p) => p.getElement?.()?.setAttribute('data-hot', of(code)?.hotspot ? '1' : '0'));
  } catch (e) { hot.replaceChildren(errorBox(e)); }
  return () => mapObj?.map.remove();
}
