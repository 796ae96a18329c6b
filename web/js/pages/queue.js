// queue.js -- the street command centre's queue: filter by state (or open),
// category, area and department; page through with "load more".
import { h, field, select, pageTitle, errorBox } from '../ui.js';
import { t, getLang } from '../i18n.js';
import { get } from '../api.js';
import { catalog, STATES, areasOf, childrenOf, areaLabel } from '../catalog.js';
import { caseTable } from '../components/casetable.js';
import { tickCountdowns } from '../components/caseview.js';

const PAGE = 50;

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
  const form = h('form', { class: 'card filters', role: 'search', 'aria-label': t('queue.filters') },
    field(t('case.state'), stateSel), field(t('case.category'), catSel), field(t('case.area'), areaSel), field(t('case.dept'), deptSel),
    h('div', { class: 'btn-row end' },
      h('button', { type: 'submit', class: 'btn primary' }, t('queue.apply')),
      h('a', { class: 'btn ghost', href: '#/queue?state=' }, t('queue.reset'))));
  const apply = () => {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) p.set(k, v);
    ctx.navigate('/queue?' + p);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  for (const s of [stateSel, catSel, areaSel, deptSel]) s.addEventListener('change', apply);

  const status = h('p', { role: 'status', class: 'muted', id: 'queue-status' });
  const out = h('div', { class: 'card' });
  const more = h('button', { type: 'button', class: 'btn ghost', hidden: true }, t('queue.more'));
  ctx.root.append(pageTitle(t('queue.title')), form, status, out, h('div', { class: 'btn-row center' }, more));

  const filters = {};
  for (const k of ['state', 'category', 'area', 'dept']) { const v = k === 'state' ? state : q.get(k); if (v) filters[k] = v; }
  const cases = [];
  let before = null;
  async function load() {
    more.disabled = true;
    try {
      const p = new URLSearchParams({ ...filters, limit: String(PAGE) });
      if (before) p.set('before', before);
      const r = await get('/api/v1/cases?' + p);
      cases.push(...r.cases);
      before = r.next_before || null;
      out.replaceChildren(caseTable(cases, { cols: ['no', 'title', 'category', 'area', 'state', 'dept', 'deadline', 'created'] }));
      status.textContent = t(before ? 'queue.count_more' : 'queue.count', { n: cases.length });
      more.hidden = !before;
    } catch (e) { out.replaceChildren(errorBox(e)); }
    more.disabled = false;
  }
  more.addEventListener('click', load);
  await load();
  return tickCountdowns(ctx.root);
}
