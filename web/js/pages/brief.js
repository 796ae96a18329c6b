// brief.js -- 工作简报, the one-page daily or weekly brief of the street or a
// community (GET /api/v1/brief): what came in and was closed with 环比 and
// 同比, 三率, cases in by category, hot spots, what is overdue now and which
// departments are late, early warnings. Printable on one A4 page (the print
// stylesheet of the forms) and exported as a workbook (GET /api/v1/brief.xlsx).
import { h, pageTitle, errorBox, fmtTime, select } from '../ui.js';
import { t } from '../i18n.js';
import { get } from '../api.js';
import { areaName, areasOf, categoryName, deptName } from '../catalog.js';
import { today, figure, FIGURES } from '../components/leader.js';

export async function render(ctx) {
  const q = ctx.query;
  const kind = q.get('kind') === 'weekly' ? 'weekly' : 'daily';
  const own = ctx.user.area && ctx.user.area.length === 12 ? ctx.user.area : null;
  const street = areasOf('street')[0];
  const area = own || q.get('area') || '';
  const params = new URLSearchParams({ kind, date: q.get('date') || today() });
  if (area) params.set('area', area);

  const kindSel = select([['daily', t('brief.daily')], ['weekly', t('brief.weekly')]], kind, { id: 'brief-kind', name: 'kind', 'aria-label': t('brief.kind') });
  const date = h('input', { type: 'date', id: 'brief-date', name: 'date', value: params.get('date'), 'aria-label': t('brief.date') });
  const areaSel = h('select', { id: 'brief-area', name: 'area', 'aria-label': t('dash.scope') },
    own ? null : h('option', { value: '' }, street ? street.name : t('dash.whole_street')),
    areasOf('community').filter((c) => !own || c.code === own).map((c) => h('option', { value: c.code, selected: area === c.code }, c.name)));
  const go = () => {
    const p = new URLSearchParams({ kind: kindSel.value, date: date.value });
    if (areaSel.value) p.set('area', areaSel.value);
    ctx.navigate('/brief?' + p);
  };
  for (const el of [kindSel, date, areaSel]) el.addEventListener('change', go);
  const printBtn = h('button', { type: 'button', class: 'btn primary', id: 'print-now' }, t('print.print'));
  printBtn.addEventListener('click', () => window.print());
  const xlsx = h('a', { class: 'btn ghost', id: 'brief-xlsx', href: '/api/v1/brief.xlsx?' + params, download: `brief-${kind}-${params.get('date')}.xlsx` }, t('brief.export'));
  ctx.root.append(h('div', { class: 'print-bar btn-row' }, kindSel, date, areaSel, printBtn, xlsx));

  let b;
  try { b = await get('/api/v1/brief?' + params); } catch (e) { ctx.root.append(pageTitle(t('brief.title')), errorBox(e)); return; }
  const place = b.area ? areaName(b.area) : (street ? street.name : t('dash.whole_street'));
  const title = t(kind === 'daily' ? 'brief.title_daily' : 'brief.title_weekly');
  document.title = `${place}${title} · ${t('app.name')}`;
  const td = (v) => h('td', null, v);
  const table = (id, heads, rows) => h('table', { class: 'sheet-grid', id },
    h('thead', null, h('tr', null, heads.map((k) => h('th', { scope: 'col' }, t(k))))), h('tbody', null, rows));
  const sec = (key, ...kids) => h('section', { class: 'sheet-sec', dataset: { sec: key } }, h('h2', null, t('brief.s_' + key)), ...kids);
  const none = h('p', { class: 'small' }, t('common.none'));

  const sheet = h('article', { class: 'sheet brief', id: 'sheet', dataset: { kind } },
    h('header', { class: 'sheet-head' }, h('div', { class: 'sheet-titles' },
      h('div', { class: 'sheet-street', id: 'sheet-street' }, place),
      h('h1', { id: 'page-title', tabindex: '-1' }, title),
      h('div', { class: 'sheet-no' }, t('brief.period', { from: b.from, to: b.to }), ' · ', t('brief.compare', { pfrom: b.prev.from, pto: b.prev.to, yfrom: b.last_year.from, yto: b.last_year.to })))),
    sec('overview', h('div', { class: 'tiles brief-tiles' }, FIGURES.map(([k, pick, isRate]) => figure(k, b, pick, isRate)),
      h('div', { class: 'tile lead-tile', dataset: { lead: 'closed' } }, h('span', { class: 'tile-v' }, String(b.closed.now)), h('span', { class: 'tile-k' }, t('brief.closed')),
        h('span', { class: 'lead-d' }, t('lead.mom'), ' ', String(b.closed.prev))),
      h('div', { class: 'tile lead-tile', dataset: { lead: 'overdue' } }, h('span', { class: 'tile-v' }, String(b.overdue.total)), h('span', { class: 'tile-k' }, t('brief.overdue_now'))))),
    sec('categories', b.by_category.length ? table('brief-cats', ['case.category', 'brief.n', 'lead.mom', 'lead.yoy'],
      b.by_category.slice(0, 8).map((c) => h('tr', { dataset: { category: c.category } }, td(categoryName(c.category)), td(String(c.n)), td(String(c.prev)), td(String(c.last_year)))))
      : none.cloneNode(true)),
    sec('hotspots', b.hotspots.length ? table('brief-hot', ['case.area', 'case.category', 'brief.n', 'lead.mom'],
      b.hotspots.map((x) => h('tr', null, td(areaName(x.area)), td(categoryName(x.category)), td(String(x.n)), td(String(x.prev)))))
      : none.cloneNode(true)),
    sec('overdue', b.overdue.cases.length ? table('brief-overdue', ['case.no', 'case.title_col', 'case.dept', 'case.deadline'],
      b.overdue.cases.map((c) => h('tr', { dataset: { id: c.id } }, td(c.no), td(c.title), td(c.dept_id ? deptName(c.dept_id) : '—'), td(fmtTime(c.deadline)))))
      : h('p', { class: 'small' }, t('brief.no_overdue')),
    b.late_depts.length ? h('p', { class: 'small', id: 'brief-late' }, h('strong', null, t('brief.late')), ' ',
      b.late_depts.map((d) => t('brief.late_item', { dept: d.dept_id ? deptName(d.dept_id) : t('brief.no_dept'), n: d.overdue })).join('；')) : null),
    sec('warnings', b.warnings.length ? table('brief-warn', ['brief.day', 'case.area', 'case.category', 'brief.observed'],
      b.warnings.map((w) => h('tr', null, td(w.day), td(areaName(w.area)), td(categoryName(w.category)), td(`${w.observed} / ${Math.round(w.threshold * 10) / 10}`))))
      : none.cloneNode(true)),
    h('footer', { class: 'sheet-foot small' }, t('print.printed', { at: fmtTime(new Date().toISOString()), who: ctx.user.display || ctx.user.name })));
  ctx.root.append(sheet);
}
