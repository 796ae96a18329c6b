// burden.js -- the burden ledger (减负台账, GET /api/v1/burden?month=): per
// community and per sending department, tasks delivered, done, refused,
// exceptions, forms, reports, estimated hours and repeated data requests
// answered from the store; the (department, community) pairs over the monthly
// limit are listed as warnings.
import { h, pageTitle, errorBox, loading, serverNow } from '../ui.js';
import { t, getLang } from '../i18n.js';
import { get } from '../api.js';
import { areaName, catalog } from '../catalog.js';

const COLS = ['received', 'done', 'refused', 'exceptions', 'forms', 'reports', 'hours', 'answered_from_store'];
export const thisMonth = () => new Date(serverNow() + 8 * 3600e3).toISOString().slice(0, 7);
const deptLabel = (code) => { if (code === 'street') return t('wl.street'); const d = catalog().byDeptCode.get(code); return d ? (getLang() === 'en' ? d.name_en || d.name : d.name) : code; };

export async function render(ctx) {
  const month = /^\d{4}-\d{2}$/.test(ctx.query.get('month') || '') ? ctx.query.get('month') : thisMonth();
  const input = h('input', { type: 'month', id: 'burden-month', value: month });
  input.addEventListener('change', () => { if (input.value) ctx.navigate('/burden?month=' + input.value); });
  const box = h('div', { id: 'burden' }, loading());
  ctx.root.append(h('div', { class: 'page-head' }, pageTitle(t('bd.title')), h('div', { class: 'field inline' }, h('label', { for: 'burden-month' }, t('bd.month')), input)),
    h('p', { class: 'muted' }, t('bd.intro')), box);
  let r;
  try { r = await get('/api/v1/burden?month=' + month); } catch (e) { box.replaceChildren(errorBox(e)); return; }
  const table = (id, rows, key, label) => h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t(label)), COLS.map((k) => h('th', { scope: 'col' }, t('bd.' + k))))),
    h('tbody', null, rows.map((row) => h('tr', { dataset: { key: row[key] } }, h('th', { scope: 'row' }, key === 'dept' ? deptLabel(row[key]) : areaName(row[key])),
      COLS.map((k) => h('td', { dataset: { k } }, String(k === 'hours' ? Math.round((row[k] || 0) * 10) / 10 : row[k] ?? 0)))))),
    h('tfoot', null, h('tr', null, h('th', { scope: 'row' }, t('dash.sum')), COLS.map((k) => h('td', null, String(Math.round(rows.reduce((a, x) => a + Number(x[k] || 0), 0) * 10) / 10)))))));
  const warns = r.warnings || [];
  box.replaceChildren(
    h('section', { class: 'card', 'aria-labelledby': 'bd-warn-h' }, h('h2', { id: 'bd-warn-h' }, t('bd.warnings', { limit: r.limit ?? '—' })),
      warns.length ? h('ul', { class: 'plain', id: 'burden-warnings' }, warns.map((w) => h('li', { class: 'alert error', dataset: { dept: w.dept, community: w.community } },
        t('bd.warning', { dept: deptLabel(w.dept), com: areaName(w.community), n: w.tasks, limit: w.limit ?? r.limit })))) :
        h('p', { class: 'ok', id: 'burden-ok' }, t('bd.no_warnings'))),
    h('section', { class: 'card', 'aria-labelledby': 'bd-com-h' }, h('h2', { id: 'bd-com-h' }, t('bd.by_community')),
      (r.communities || []).length ? table('burden-communities', r.communities, 'community', 'case.area') : h('p', { class: 'muted' }, t('bd.none'))),
    h('section', { class: 'card', 'aria-labelledby': 'bd-dept-h' }, h('h2', { id: 'bd-dept-h' }, t('bd.by_dept')),
      (r.depts || []).length ? table('burden-depts', r.depts, 'dept', 'bd.sender') : h('p', { class: 'muted' }, t('bd.none'))),
    h('p', { class: 'small muted' }, t('bd.hours_note')));
}
