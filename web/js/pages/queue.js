// queue.js -- the street command centre's queue: search by keywords or case
// number, filter by state (or open), category or category group, area,
// department, source, rating and the dates reported; newest or oldest first
// (the 编号 and 上报时间 headings); every filter in the address; page through
// with "load more" (keyset cursor); export what is filtered as a workbook
// (GET /api/v1/cases/export.xlsx, same parameters).
import { h, field, select, pageTitle, errorBox } from '../ui.js';
import { t, getLang, has } from '../i18n.js';
import { get, post } from '../api.js';
import { toast } from '../ui.js';
import { ACTIONS } from '../roles.js';
import { catalog, STATES, areasOf, childrenOf, areaLabel } from '../catalog.js';
import { caseTable } from '../components/casetable.js';
import { tickCountdowns } from '../components/caseview.js';

const PAGE = 50;
const SOURCES = ['web', 'api', 'hotline', 'patrol', 'open311', 'sensor', 'warning'];
const FILTERS = ['q', 'category', 'group', 'area', 'dept', 'source', 'rating', 'from', 'to']; // kept in the address

export async function render(ctx) {
  const q = ctx.query;
  const en = getLang() === 'en';
  const state = q.has('state') ? q.get('state') : 'open';
  const stateSel = select([['', t('queue.all')], ['open', t('queue.open')], ...STATES.map((s) => [s, t('state.' + s)])], state, { name: 'state' });
  const catSel = select([['', t('queue.all')], ...catalog().categories.map((k) => [k.code, `${k.code} ${en ? k.name_en : k.name}`])], q.get('category'), { name: 'category' });
  const areaSel = h('select', { name: 'area' }, h('option', { value: '' }, t('queue.all')),
    areasOf('community').map((c) => h('optgroup', { label: c.name },
      h('option', { value: c.code, selected: q.get('area') === c.code }, c.name + ' ' + t('queue.whole')),
      childrenOf(c.code).map((g) => h('option', { value: g.code, selected: q.get('area') === g.code }, areaLabel(g.code))))));
  const deptSel = select([['', t('queue.all')], ...catalog().depts.map((d) => [d.id, en ? d.name_en : d.name])], q.get('dept'), { name: 'dept' });
  const qInput = h('input', { type: 'search', name: 'q', value: q.get('q') || '', maxlength: 100, placeholder: t('queue.q_ph'), id: 'queue-q' });
  const groups = [...new Set(catalog().categories.map((k) => k.code.slice(0, 2)))].sort();
  const groupName = (g) => (has('group.' + g) ? t('group.' + g) : (catalog().categories.find((k) => k.code.startsWith(g))?.[en ? 'name_en' : 'name'] || g) + t('queue.group_etc'));
  const groupSel = select([['', t('queue.all')], ...groups.map((g) => [g, groupName(g)])], q.get('group'), { name: 'group' });
  const sourceSel = select([['', t('queue.all')], ...SOURCES.map((s) => [s, t('source.' + s)])], q.get('source'), { name: 'source' });
  const ratingSel = select([['', t('queue.all')], ...['satisfied', 'basic', 'unsatisfied'].map((r) => [r, t('rating.' + r)])], q.get('rating'), { name: 'rating' });
  const fromIn = h('input', { type: 'date', name: 'from', value: q.get('from') || '' });
  const toIn = h('input', { type: 'date', name: 'to', value: q.get('to') || '' });
  const sort = q.get('sort') === 'oldest' ? 'oldest' : 'newest';
  const FLAGS = ['overdue', 'ownerless', 'escalated', 'whistle'];
  const filters = {};
  for (const k of ['state', ...FILTERS]) { const v = k === 'state' ? state : q.get(k); if (v) filters[k] = v; }
  for (const k of FLAGS) if (q.get(k) === '1') filters[k] = '1';
  if (sort === 'oldest') filters.sort = 'oldest';
  // 导出 Excel: the list as it is filtered now (the server keeps to the caller's scope)
  const xlsx = h('a', { class: 'btn ghost', id: 'queue-xlsx', href: '/api/v1/cases/export.xlsx?' + new URLSearchParams(filters),
    download: `cases-${new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)}.xlsx` }, t('queue.export'));
  const form = h('form', { class: 'card filters', role: 'search', 'aria-label': t('queue.filters') },
    h('div', { class: 'field wide' }, h('label', { for: 'queue-q' }, t('queue.q')), qInput),
    field(t('case.state'), stateSel), field(t('case.category'), catSel), field(t('queue.group'), groupSel), field(t('case.area'), areaSel), field(t('case.dept'), deptSel),
    field(t('case.source'), sourceSel), field(t('case.rating'), ratingSel), field(t('queue.from'), fromIn), field(t('queue.to'), toIn),
    h('div', { class: 'btn-row end' },
      h('button', { type: 'submit', class: 'btn primary' }, t('queue.apply')),
      h('a', { class: 'btn ghost', href: '#/queue?state=' }, t('queue.reset')),
      xlsx));
  const apply = () => {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v !== '' || k === 'state') p.set(k, String(v).trim());
    for (const k of ['overdue', 'ownerless', 'escalated', 'whistle']) if (q.get(k) === '1') p.set(k, '1');
    if (sort === 'oldest') p.set('sort', 'oldest');
    ctx.navigate('/queue?' + p);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  for (const s of [stateSel, catSel, groupSel, areaSel, deptSel, sourceSel, ratingSel, fromIn, toIn]) s.addEventListener('change', apply);

  // Flag chips: 超期 overdue, 无主 ownerless, 督办 escalated, 吹哨 whistle (toggle, kept in the address).
  const chipHref = (k) => { const p = new URLSearchParams(q); if (q.get(k) === '1') p.delete(k); else p.set(k, '1'); if (!p.has('state')) p.set('state', state); return '#/queue?' + p; };
  const chips = h('div', { class: 'chip-bar', role: 'group', 'aria-label': t('queue.flags') },
    FLAGS.map((k) => h('a', { class: 'chip', href: chipHref(k), role: 'button', 'aria-pressed': String(q.get(k) === '1'), dataset: { chip: k } }, t('queue.chip_' + k))));
  // Bulk actions on the selected cases (dispatcher/admin: register, escalate; supervisor: escalate; community: register).
  const selected = new Set();
  const canReg = ACTIONS.register.roles.includes(ctx.user.role), canEsc = ACTIONS.escalate.roles.includes(ctx.user.role);
  const canDisp = ACTIONS.dispatch.roles.includes(ctx.user.role);
  // 批量派遣: to one department, or each by the responsibility list
  const dispDept = select([['', t('queue.bulk_by_list')], ...catalog().depts.map((d) => [d.id, en ? d.name_en : d.name])], '', { name: 'bulk_dept', 'aria-label': t('queue.bulk_dept') });
  const dispBtn = h('button', { type: 'button', class: 'btn small primary', dataset: { bulk: 'dispatch' }, disabled: true }, t('queue.bulk_dispatch'));
  const selCount = h('strong', { id: 'sel-count' }, t('queue.selected', { n: 0 }));
  const escNote = h('input', { type: 'text', name: 'bulk_note', maxlength: 2000, 'aria-label': t('queue.bulk_note'), placeholder: t('queue.bulk_note') });
  const regBtn = h('button', { type: 'button', class: 'btn small primary', dataset: { bulk: 'register' }, disabled: true }, t('queue.bulk_register'));
  const escBtn = h('button', { type: 'button', class: 'btn small primary', dataset: { bulk: 'escalate' }, disabled: true }, t('queue.bulk_escalate'));
  const allBox = h('input', { type: 'checkbox', id: 'sel-all' });
  const bulkOut = h('div', { id: 'bulk-result' });
  const bulk = (canReg || canEsc) ? h('div', { class: 'bulk-bar', role: 'region', 'aria-label': t('queue.bulk') },
    h('label', { class: 'inline', for: 'sel-all' }, allBox, t('queue.select_all')), selCount,
    canReg ? regBtn : null, canDisp ? dispDept : null, canDisp ? dispBtn : null, canEsc ? escNote : null, canEsc ? escBtn : null) : null;
  const onSelect = () => {
    selCount.textContent = t('queue.selected', { n: selected.size });
    regBtn.disabled = escBtn.disabled = dispBtn.disabled = selected.size === 0;
    allBox.checked = cases.length > 0 && cases.every((c) => selected.has(c.id));
  };
  allBox.addEventListener('change', () => {
    for (const c of cases) { if (allBox.checked) selected.add(c.id); else selected.delete(c.id); }
    for (const b of out.querySelectorAll('input.row-sel')) b.checked = allBox.checked;
    onSelect();
  });
  async function runBulk(action, body, btn) {
    if (action === 'escalate' && !escNote.value.trim()) { escNote.focus(); bulkOut.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('queue.bulk_need_note'))); return; }
    btn.disabled = true;
    const ids = [...selected];
    const failed = [];
    for (const id of ids) {
      try { await post(`/api/v1/cases/${id}/${action}`, body); } catch (e) { failed.push(`${cases.find((c) => c.id === id)?.no || id}: ${e.message}`); }
    }
    toast(t('queue.bulk_done', { action: t('action.' + action), n: ids.length - failed.length, m: failed.length }), failed.length ? 'error' : 'ok');
    if (failed.length) sessionStorage.setItem('jiceng.bulkFailed', JSON.stringify(failed));
    ctx.rerender();
  }
  regBtn.addEventListener('click', () => runBulk('register', {}, regBtn));
  dispBtn.addEventListener('click', () => runBulk('dispatch', dispDept.value ? { dept_id: Number(dispDept.value) } : {}, dispBtn));
  escBtn.addEventListener('click', () => runBulk('escalate', { note: escNote.value.trim() }, escBtn));
  const prevFailed = JSON.parse(sessionStorage.getItem('jiceng.bulkFailed') || 'null');
  sessionStorage.removeItem('jiceng.bulkFailed');
  if (prevFailed) bulkOut.append(h('div', { class: 'alert error', role: 'alert' }, t('queue.bulk_failed'), h('ul', null, prevFailed.map((f) => h('li', null, f)))));

  const status = h('p', { role: 'status', class: 'muted', id: 'queue-status' });
  const sortHref = (dir) => { const p = new URLSearchParams(q); if (dir === 'oldest') p.set('sort', 'oldest'); else p.delete('sort'); if (!p.has('state')) p.set('state', state); return '#/queue?' + p; };
  const out = h('div', { class: 'card' });
  const more = h('button', { type: 'button', class: 'btn ghost', hidden: true }, t('queue.more'));
  ctx.root.append(pageTitle(t('queue.title')), form, chips, bulkOut, bulk || '', status, out,
    h('div', { class: 'btn-row center' }, more));

  const cases = [];
  let before = null; // the cursor of the next page
  let keyset = 'cursor'; // an older server pages with before=<id> and answers no `next`
  async function load() {
    more.disabled = true;
    try {
      const p = new URLSearchParams({ ...filters, limit: String(PAGE) });
      if (before) p.set(keyset, before);
      const r = await get('/api/v1/cases?' + p);
      cases.push(...r.cases);
      if (!('next' in r)) keyset = 'before';
      before = r.next ?? (r.next_before != null ? String(r.next_before) : null);
      draw();
    } catch (e) { out.replaceChildren(errorBox(e)); }
    more.disabled = false;
  }
  function draw(fresh) {
    out.replaceChildren(caseTable(cases, { cols: ['no', 'title', 'category', 'area', 'state', 'dept', 'deadline', 'created'], select: bulk ? selected : null, onSelect,
      sort: { cols: ['no', 'created'], dir: sort, href: sortHref } }));
    if (fresh) for (const tr of out.querySelectorAll('tbody tr[data-id]')) if (fresh.has(+tr.dataset.id)) tr.classList.add('live-new');
    onSelect();
    status.textContent = t(before ? 'queue.count_more' : 'queue.count', { n: cases.length });
    // A page stops after a bounded number of cases looked at (a search of
    // two common words that rarely meet may find none in it) while the
    // cursor goes on: say so and offer to look further, not "no cases".
    const older = sort === 'oldest' ? 'newer' : 'older';
    if (before && !cases.length) {
      out.replaceChildren(h('p', { class: 'muted empty', id: 'queue-none-yet' }, t('queue.none_yet_' + older)));
      status.textContent = t('queue.none_yet_' + older);
    }
    more.textContent = t(before && !cases.length ? 'queue.search_' + older : 'queue.more');
    more.hidden = !before;
  }
  more.addEventListener('click', load);
  await load();
  // Live updates: reload the rows on screen in place (filters, selection and
  // the bulk note stay); rows that are new since the last look are marked.
  ctx.onLive(async () => {
    const known = new Set(cases.map((c) => c.id));
    const p = new URLSearchParams({ ...filters, limit: String(Math.min(500, Math.max(PAGE, cases.length))) });
    const r = await get('/api/v1/cases?' + p);
    cases.splice(0, cases.length, ...r.cases);
    before = r.next ?? (r.next_before != null ? String(r.next_before) : null);
    const ids = new Set(cases.map((c) => c.id));
    for (const id of [...selected]) if (!ids.has(id)) selected.delete(id);
    draw(new Set(cases.filter((c) => !known.has(c.id)).map((c) => c.id)));
  });
  return tickCountdowns(ctx.root);
}
