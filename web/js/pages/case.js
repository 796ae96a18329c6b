// case.js -- one case: summary, map pin, actions for this role, the full
// timeline and the trace (留痕) check.
import { h, pageTitle, errorBox, fmtTime } from '../ui.js';
import { t } from '../i18n.js';
import { get } from '../api.js';
import { caseSummary, timeline, actionPanel, traceMark, tickCountdowns } from '../components/caseview.js';
import { gridMap, casePins } from '../components/map.js';
import { HOME } from '../routes.js';
import { STAFF } from '../roles.js';
import { categoryName } from '../catalog.js';
import { photosCard } from '../components/photos.js';
import { followupsCard } from '../components/followups.js';
import { attachmentsCard } from '../components/attachments.js';
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
    ...(STAFF.includes(ctx.user.role) ? [printLinks(c)] : []),
    h('div', { class: 'case-grid' },
      h('div', { class: 'col' },
        h('section', { class: 'card o-details', 'aria-label': t('case.details') },
          caseSummary(c),
          c.body ? h('p', { class: 'case-body' }, c.body) : null),
        // A resident following a case merged from their report may read it but not list its photos.
        ctx.user.role !== 'resident' || c.reporter_id === ctx.user.id ? photosCard(c) : null,
        ctx.user.role !== 'resident' || c.reporter_id === ctx.user.id ? attachmentsCard(c) : null,
        phasesCard(c),
        routeCard(c),
        STAFF.includes(ctx.user.role) ? suggestionCard(c) : null,
        mapEl ? h('section', { class: 'card o-map' }, mapEl) : null),
      h('div', { class: 'col' },
        actionPanel(c, ctx.user, refresh),
        returnsCard(c, ctx.user, refresh),
        followupsCard(c, ctx.user),
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

// 打印派单单 / 打印督办单: the printable forms (pages/print.js).
function printLinks(c) {
  return h('p', { class: 'print-links btn-row' },
    h('a', { class: 'btn small ghost', href: `#/print/${c.id}?form=dispatch`, dataset: { print: 'dispatch' } }, t('print.open_dispatch')),
    h('a', { class: 'btn small ghost', href: `#/print/${c.id}?form=supervise`, dataset: { print: 'supervise' } }, t('print.open_supervise')));
}

// The classifier's suggestion recorded when the case was created
// (GET /api/v1/cases/:id/suggestion) and whether the final category differs.
// Loaded when opened; a case the model has not looked at answers with
// suggestion null.
function suggestionCard(c) {
  const body = h('div', { class: 'sug-body' }, h('p', { class: 'muted small' }, t('common.loading')));
  const det = h('details', { class: 'explain', id: 'suggestion-details' }, h('summary', null, t('cls.case_show')), body);
  let loaded = false;
  det.addEventListener('toggle', async () => {
    if (!det.open || loaded) return;
    loaded = true;
    let s;
    try { s = await get(`/api/v1/cases/${c.id}/suggestion`); } catch (e) {
      body.replaceChildren(h('p', { class: 'muted small', dataset: { noSuggestion: '1' } }, e.status === 404 ? t('cls.none') : e.message));
      return;
    }
    if (!s.top1) { // 200 with suggestion null: the model has not looked at this case
      body.replaceChildren(h('p', { class: 'muted small', dataset: { noSuggestion: '1' } }, t('cls.none')));
      return;
    }
    const agrees = s.agrees ?? (s.top1 === c.category);
    body.replaceChildren(
      h('p', { dataset: { agrees: String(agrees) } },
        h('span', { class: 'badge ' + (agrees ? 'green' : 'amber') }, agrees ? t('cls.agrees') : t('cls.differs')), ' ',
        agrees ? t('cls.agrees_text', { cat: categoryName(s.top1) }) : t('cls.differs_text', { sug: categoryName(s.top1), cat: categoryName(c.category) })),
      h('ol', { class: 'sug-top' }, (s.top || []).slice(0, 3).map((x) => h('li', { dataset: { category: x.category || x.label } },
        categoryName(x.category || x.label), ' ', h('span', { class: 'muted' }, Math.round((x.prob ?? 0) * 100) + '%')))),
      h('p', { class: 'small muted' }, t('cls.model', { model: s.model, at: fmtTime(s.at) })));
  });
  return h('section', { class: 'card o-route suggestion', id: 'suggestion', 'aria-labelledby': 'sug-h' }, h('h2', { id: 'sug-h' }, t('cls.case_title')), det);
}
