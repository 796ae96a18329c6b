// whistles.js -- 吹哨报到 board: open (or all) whistles, which departments have
// checked in, who is late (red), who has finished, ratings. Department staff
// check in / finish here; the caller (dispatcher, community, supervisor) rates.
import { h, pageTitle, errorBox, loading } from '../ui.js';
import { t } from '../i18n.js';
import { get } from '../api.js';
import { whistleHead, whistleMembers } from '../components/casedispatch.js';

export async function render(ctx) {
  const show = ctx.query.get('show') === 'all' ? 'all' : 'open';
  const list = h('div', { id: 'whistle-list' }, loading());
  ctx.root.append(pageTitle(t('wh.board')), h('p', { class: 'muted' }, t('wh.intro')),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('wh.board') },
      ['open', 'all'].map((k) => h('a', { role: 'tab', href: '#/whistles' + (k === 'all' ? '?show=all' : ''), 'aria-selected': String(k === show), class: 'tab' + (k === show ? ' active' : ''), dataset: { tab: k } }, t('wh.show_' + k)))),
    list);
  async function load() {
    let r;
    try { r = await get('/api/v1/whistles' + (show === 'open' ? '?state=open' : '')); } catch (e) { list.replaceChildren(errorBox(e)); return; }
    const ws = r.whistles || [];
    if (!ws.length) { list.replaceChildren(h('p', { class: 'card muted empty' }, t('wh.none'))); return; }
    list.replaceChildren(...ws.map((w) => h('section', { class: 'card whistle', dataset: { whistleId: w.id, caseId: w.case_id }, 'aria-labelledby': 'wh-' + w.id },
      h('div', { class: 'card-head' }, h('h2', { id: 'wh-' + w.id }, h('a', { href: '#/case/' + w.case_id }, t('wh.case') + ' ' + (w.case_no || '')), ' · ', w.title || '')),
      whistleHead(w),
      whistleMembers(w, ctx.user, load))));
  }
  await load();
  // Lateness changes with time: refresh every 20 s.
  const timer = setInterval(load, 20000);
  return () => clearInterval(timer);
}
