// casetable.js -- a list of cases as a table (cards on narrow screens).
import { h, fmtTime, stateBadge } from '../ui.js';
import { t } from '../i18n.js';
import { categoryName, areaLabel, deptName } from '../catalog.js';
import { deadlineEl } from './caseview.js';
import { visibleFlags } from './casedispatch.js';

const FLAG_CLASS = { overdue: 'red', reminded: 'amber', ownerless: 'amber', unlocated: 'amber', whistle: 'blue', duplicate: 'grey' };

// cols: subset of no,title,category,area,state,dept,deadline,created,escalation
// select: a Set of selected case ids (adds a checkbox column first; onSelect() after each change).
// sort: {cols, dir: 'newest'|'oldest', href(dir)} -- those headings link to the other order.
// citizen: a resident's list -- no internal badges (督办, 逾期, 无主 ...).
export function caseTable(cases, { cols = ['no', 'title', 'category', 'area', 'state', 'deadline', 'created'], caption, extra, select, onSelect, sort, citizen } = {}) {
  if (!cases.length) return h('p', { class: 'muted empty' }, t('common.no_cases'));
  const cell = {
    no: (c) => h('a', { href: '#/case/' + c.id, class: 'case-link' }, c.no),
    // 督办: a supervisor escalated it (no count here: stores of earlier builds
    // counted the timer's repeated escalations too; the case page counts)
    title: (c) => citizen ? c.title : [c.title, c.escalation ? h('span', { class: 'badge esc', dataset: { escalated: '1' }, title: t('flag.escalated.hint') }, t('case.escalation')) : null,
      visibleFlags(c).map((f) => h('span', { class: 'badge flag ' + (FLAG_CLASS[f] || ''), dataset: { flag: f } }, t('flag.' + f)))],
    sel: (c) => {
      const box = h('input', { type: 'checkbox', class: 'row-sel', value: c.id, checked: select.has(c.id), 'aria-label': t('queue.select_case', { no: c.no }) });
      box.addEventListener('change', () => { if (box.checked) select.add(c.id); else select.delete(c.id); onSelect?.(); });
      return box;
    },
    category: (c) => categoryName(c.category),
    area: (c) => areaLabel(c.area),
    state: (c) => stateBadge(c.state),
    dept: (c) => (c.dept_id ? deptName(c.dept_id) : '—'),
    deadline: (c) => deadlineEl(c),
    created: (c) => fmtTime(c.created_at),
  };
  const allCols = [...(select ? ['sel'] : []), ...cols, ...(extra ? ['extra'] : [])];
  const label = (k) => t(k === 'extra' ? 'case.actions' : k === 'sel' ? 'queue.select' : k === 'title' ? 'case.title_col' : 'case.' + k);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cases' },
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, allCols.map((k) => sort?.cols.includes(k)
      ? h('th', { scope: 'col', 'aria-sort': sort.dir === 'oldest' ? 'ascending' : 'descending' },
        h('a', { href: sort.href(sort.dir === 'oldest' ? 'newest' : 'oldest'), class: 'sort-link', dataset: { sort: k }, title: t(sort.dir === 'oldest' ? 'queue.sort_newest' : 'queue.sort_oldest') },
          label(k), sort.dir === 'oldest' ? ' ↑' : ' ↓'))
      : h('th', { scope: 'col' }, label(k))))),
    h('tbody', null, cases.map((c) => h('tr', { dataset: { id: c.id, no: c.no, state: c.state } },
      allCols.map((k) => h('td', { 'data-label': label(k), class: 'c-' + k }, h('span', { class: 'cv' }, k === 'extra' ? extra(c) : cell[k](c)))))))));
}

// A long list shown a page at a time: the first `page` rows, then a button
// for the next ones (the department's done tab, a resident's reports).
export function pagedCaseTable(cases, opts = {}, page = 50) {
  const box = h('div', { class: 'paged' });
  let shown = Math.min(page, cases.length);
  const more = h('button', { type: 'button', class: 'btn ghost paged-more' });
  const draw = () => {
    // (replaceChildren would write a null as the text "null")
    box.replaceChildren(caseTable(cases.slice(0, shown), opts),
      ...(shown < cases.length ? [h('div', { class: 'btn-row center' }, more)] : []));
    more.textContent = t('queue.more_n', { n: Math.min(page, cases.length - shown), left: cases.length - shown });
  };
  more.addEventListener('click', () => { shown = Math.min(cases.length, shown + page); draw(); });
  draw();
  return box;
}
