// inbox.js -- a department's inbox: cases dispatched to it, to accept or
// return, then handle and give feedback before the deadline.
import { h, pageTitle, errorBox } from '../ui.js';
import { t } from '../i18n.js';
import { allCases } from '../api.js';
import { deptName } from '../catalog.js';
import { pagedCaseTable } from '../components/casetable.js';
import { tickCountdowns } from '../components/caseview.js';

const TABS = [
  ['new', ['dispatched']],
  ['doing', ['accepted', 'handling', 'deferred', 'suspended']],
  ['done', ['feedback', 'verified', 'closed', 'rated', 'returned']],
  // cases another department leads, which this one co-handles or was summoned to
  ['co', ['dispatched', 'accepted', 'handling', 'deferred', 'suspended', 'feedback', 'verified', 'returned']],
];

export async function render(ctx) {
  const tab = TABS.find(([k]) => k === ctx.query.get('tab')) ? ctx.query.get('tab') : 'new';
  ctx.root.append(pageTitle(t('inbox.title')), h('p', { class: 'muted' }, t('inbox.intro', { dept: deptName(ctx.user.dept_id) })));
  let cases;
  try { cases = await allCases({}, 2000); } catch (e) { ctx.root.append(errorBox(e)); return; }
  const ours = (c) => c.dept_id === ctx.user.dept_id;
  const byTab = Object.fromEntries(TABS.map(([k, states]) => [k, cases.filter((c) => states.includes(c.state) && ours(c) === (k !== 'co'))]));
  ctx.root.append(h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('inbox.title') },
    TABS.map(([k]) => h('a', { role: 'tab', href: '#/inbox?tab=' + k, 'aria-selected': String(k === tab), class: 'tab' + (k === tab ? ' active' : ''), dataset: { tab: k } },
      t('inbox.tab_' + k), h('span', { class: 'count' }, byTab[k].length)))));
  // Most urgent first: the nearest deadline on top.
  const rows = byTab[tab].slice().sort((a, b) => (a.deadline ? Date.parse(a.deadline) : Infinity) - (b.deadline ? Date.parse(b.deadline) : Infinity));
  ctx.root.append(h('div', { class: 'card', role: 'tabpanel' }, pagedCaseTable(rows, {
    cols: ['no', 'title', 'category', 'area', 'state', 'deadline'],
    extra: (c) => h('a', { href: '#/case/' + c.id, class: 'btn small primary' }, tab === 'new' ? t('inbox.open_new') : t('inbox.open')),
  })));
  return tickCountdowns(ctx.root);
}
