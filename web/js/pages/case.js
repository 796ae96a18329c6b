// case.js -- one case: summary, map pin, actions for this role, the full
// timeline and the trace (留痕) check.
import { h, pageTitle, errorBox } from '../ui.js';
import { t } from '../i18n.js';
import { get } from '../api.js';
import { caseSummary, timeline, actionPanel, traceMark, tickCountdowns } from '../components/caseview.js';
import { gridMap, casePins } from '../components/map.js';
import { HOME } from '../routes.js';
import { flagBadges, routeCard, phasesCard, ownersCard, returnsCard, duplicatesCard, whistlesCard } from '../components/casedispatch.js';

export async function render(ctx) {
  return renderCase(ctx, ctx.params.id);
}

// Shared with the track page: shows case `id` (number or JC… number) in ctx.root.
export async function renderCase(ctx, id, { back } = {}) {
  let c;
  try {
    c = await get('/api/v1/cases/' + encodeURIComponent(id));
  } catch (e) {
    ctx.root.replaceChildren(pageTitle(t('case.title')), errorBox(e));
    return;
  }
  let mapObj = null;
  const mapEl = c.lat != null ? h('div', { class: 'map small', role: 'img', 'aria-label': t('case.map_label', { no: c.no }) }) : null;
  const refresh = () => ctx.rerender();
  ctx.root.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: back || '#' + (HOME[ctx.user.role] || '/track') }, '← ' + t('common.back'))),
    h('div', { class: 'case-head' }, pageTitle(c.title), traceMark(c), flagBadges(c)),
    h('div', { class: 'case-grid' },
      h('div', { class: 'col' },
        h('section', { class: 'card o-details', 'aria-label': t('case.details') },
          caseSummary(c),
          c.body ? h('p', { class: 'case-body' }, c.body) : null),
        phasesCard(c),
        routeCard(c),
        mapEl ? h('section', { class: 'card o-map' }, mapEl) : null),
      h('div', { class: 'col' },
        actionPanel(c, ctx.user, refresh),
        returnsCard(c, ctx.user, refresh),
        whistlesCard(c, ctx.user, refresh),
        ownersCard(c),
        duplicatesCard(c),
        timeline(c))));
  if (mapEl) {
    mapObj = await gridMap(mapEl, { keepView: true });
    casePins(mapObj.L, mapObj.map, [c]);
    mapObj.map.setView([c.lat, c.lon], 15, { animate: false });
  }
  const stop = tickCountdowns(ctx.root);
  return () => { stop(); mapObj?.map.remove(); };
}
