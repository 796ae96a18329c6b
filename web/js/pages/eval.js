// eval.js -- the evaluation table (评价, GET /api/v1/eval?period=&unit=):
// units of one kind (departments, communities, the street, grid workers) with
// score, grade, rank and their indicators (value with num/den); clicking a
// figure lists the cases behind it (GET /api/v1/eval/cases). Street staff
// download the Excel workbook (GET /api/v1/eval/export.xlsx).
import { h, pageTitle, errorBox, loading, errorText } from '../ui.js';
import { t, getLang } from '../i18n.js';
import { catalog } from '../catalog.js';
import { get, getUser } from '../api.js';
import { thisMonth } from './burden.js';

// A unit by its name in the reader's language: the server names units in Chinese;
// a department has an English name in the catalogue (communities and streets do not).
const unitName = (x) => {
  const m = /^dept:(\d+)$/.exec(x.unit || '');
  const d = m && getLang() === 'en' ? catalog().byDept.get(Number(m[1])) : null;
  return d?.name_en || x.name;
};

const UNITS = ['dept', 'community', 'street', 'worker'];
const ORDER = ['response', 'ontime_accept', 'resolution', 'satisfaction', 'ontime_close', 'ontime_verify', 'rework', 'return', 'upheld_returns',
  'overdue', 'avg_close_h', 'ontime_dispatch', 'accurate_dispatch', 'whistle_checkin', 'whistle_rating', 'followup'];
const COUNTS = new Set(['upheld_returns', 'overdue']);
const PLAIN = new Set(['avg_close_h', 'whistle_rating']);
// A sum of hours or ratings as a person reads it: one decimal at most.
const round1 = (v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v);

function figure(key, ind) {
  if (!ind || ind.value == null) return '—';
  if (COUNTS.has(key)) return String(Math.round(ind.num ?? ind.value));
  if (PLAIN.has(key)) return (Math.round(ind.value * 10) / 10).toFixed(1);
  return (Math.round(ind.value * 1000) / 10).toFixed(1) + '%';
}

// The Excel download, for the street's staff (the roles the server lets
// download it); a failure is said in a sentence with what to do next.
function exportRow(period) {
  const role = getUser()?.role;
  if (!['dispatcher', 'supervisor', 'admin'].includes(role)) return null;
  const msg = h('div', { id: 'eval-export-error', 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', class: 'btn', id: 'eval-xlsx' }, t('ev.export_btn'));
  btn.addEventListener('click', async () => {
    msg.replaceChildren();
    btn.disabled = true;
    btn.textContent = t('ev.export_busy');
    try {
      let res;
      try { res = await fetch(`/api/v1/eval/export.xlsx?period=${encodeURIComponent(period)}`, { cache: 'no-store' }); }
      catch { throw new Error(t('err.network')); }
      if (!res.ok) {
        const j = await res.json().catch(() => null);
        throw new Error(errorText({ code: j?.error?.code || 'http', message: j?.error?.message, detail: j?.error?.detail }));
      }
      const url = URL.createObjectURL(await res.blob());
      const a = h('a', { href: url, download: `${period}评价.xlsx` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      msg.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('ev.export_failed', { why: e.message })));
    } finally {
      btn.disabled = false;
      btn.textContent = t('ev.export_btn');
    }
  });
  return h('div', { id: 'eval-export' }, h('p', { class: 'small muted' }, btn, ' ', t('ev.export')), msg);
}

export async function render(ctx) {
  const q = ctx.query;
  const period = /^\d{4}(-\d{2})?$/.test(q.get('period') || '') ? q.get('period') : thisMonth();
  const unit = UNITS.includes(q.get('unit')) ? q.get('unit') : (q.get('unit') === 'grid_worker' ? 'worker' : 'dept');
  const go = (p, u) => ctx.navigate('/eval?' + new URLSearchParams({ period: p, unit: u }));
  const per = h('input', { type: 'month', id: 'eval-period', value: /^\d{4}-\d{2}$/.test(period) ? period : '' });
  per.addEventListener('change', () => { if (per.value) go(per.value, unit); });
  const drill = h('section', { class: 'card', id: 'eval-drill', hidden: true, 'aria-live': 'polite' });
  const box = h('div', { id: 'eval' }, loading());
  ctx.root.append(h('div', { class: 'page-head' }, pageTitle(t('ev.title')), h('div', { class: 'field inline' }, h('label', { for: 'eval-period' }, t('ev.period')), per)),
    h('p', { class: 'muted' }, t('ev.intro')),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('ev.unit') }, UNITS.map((u) => h('a', { role: 'tab', href: '#/eval?' + new URLSearchParams({ period, unit: u }),
      'aria-selected': String(u === unit), class: 'tab' + (u === unit ? ' active' : ''), dataset: { tab: u } }, t('ev.unit_' + u)))),
    box, drill,
    exportRow(period) || '');
  let r;
  try { r = await get(`/api/v1/eval?period=${encodeURIComponent(period)}&unit=${unit}`); } catch (e) { box.replaceChildren(errorBox(e)); return; }
  const rows = r.rows || [];
  const keys = ORDER.filter((k) => rows.some((x) => x.indicators && k in x.indicators));
  const showDrill = async (row, key, btn) => {
    drill.hidden = false;
    drill.replaceChildren(h('h2', { id: 'drill-h' }, t('ev.drill', { unit: unitName(row), ind: t('ev.i_' + key) })), loading());
    try {
      const d = await get(`/api/v1/eval/cases?period=${encodeURIComponent(period)}&unit=${encodeURIComponent(row.unit)}&indicator=${key}`);
      const facts = d.facts || [];
      drill.replaceChildren(h('h2', { id: 'drill-h' }, t('ev.drill', { unit: unitName(row), ind: t('ev.i_' + key) })),
        h('p', { class: 'small muted' }, t('ev.drill_caption', { n: facts.length, num: row.indicators[key].num, den: row.indicators[key].den })),
        facts.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'stats mini', id: 'drill-table' },
          h('thead', null, h('tr', null, ['ev.case', 'case.title_col', 'ev.num', 'ev.den'].map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', null, facts.map((f) => h('tr', { dataset: { case: f.case_id } }, h('th', { scope: 'row' }, h('a', { href: '#/case/' + f.case_id }, f.no || t('ev.case_link'))),
            h('td', null, f.title || ''), h('td', null, String(f.num)), h('td', null, String(f.den))))))) : h('p', { class: 'muted' }, t('ev.drill_none')));
      drill.querySelector('h2').setAttribute('tabindex', '-1');
      drill.querySelector('h2').focus();
    } catch (e) { drill.replaceChildren(errorBox(e)); btn?.focus(); }
  };
  box.replaceChildren(
    h('p', { class: 'small muted' }, t('ev.caption', { period: r.period, cases: r.cases, min: r.min_cases })),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'stats eval', id: 'eval-table' },
      h('thead', null, h('tr', null, ['ev.rank', 'ev.name', 'ev.cases', 'ev.score', 'ev.grade'].map((k) => h('th', { scope: 'col' }, t(k))),
        keys.map((k) => h('th', { scope: 'col', title: k }, t('ev.i_' + k))))),
      h('tbody', null, rows.map((x) => h('tr', { dataset: { unit: x.unit }, class: x.small_sample ? 'small-sample' : '' },
        h('td', null, x.rank ?? '—'),
        h('th', { scope: 'row' }, unitName(x), x.small_sample ? h('div', { class: 'small muted' }, t('ev.small_sample')) : null),
        h('td', null, String(x.cases)), h('td', { dataset: { k: 'score' } }, x.score == null ? '—' : (Math.round(x.score * 10) / 10).toFixed(1)),
        h('td', null, x.grade ? h('span', { class: 'badge grade-' + x.grade }, x.grade) : '—'),
        keys.map((k) => { const ind = x.indicators?.[k];
          const txt = figure(k, ind);
          if (!ind || !(ind.den > 0 || ind.num > 0)) return h('td', { dataset: { k } }, txt);
          const b = h('button', { type: 'button', class: 'linkish fig', title: `${round1(ind.num)}/${ind.den}`, 'aria-label': t('ev.drill_btn', { ind: t('ev.i_' + k), unit: unitName(x), v: txt }) }, txt);
          b.addEventListener('click', () => showDrill(x, k, b));
          return h('td', { dataset: { k } }, b, h('div', { class: 'small muted nd' }, `${round1(ind.num)}/${ind.den}`)); })))))) :
      h('p', { class: 'muted' }, t('ev.none')),
    h('p', { class: 'small muted' }, t('ev.grades')));
}
