// case.js -- one case: summary, map pin, actions for this role, the full
// timeline and the trace (留痕) check.
import { h, pageTitle, errorBox, fmtTime, stateBadge } from '../ui.js';
import { t } from '../i18n.js';
import { get } from '../api.js';
import { caseSummary, timeline, actionPanel, traceMark, tickCountdowns } from '../components/caseview.js';
import { gridMap, casePins } from '../components/map.js';
import { HOME } from '../routes.js';
import { STAFF } from '../roles.js';
import { categoryName, areaLabel, deptName } from '../catalog.js';
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
  if (ctx.user.role === 'resident') citizenView(ctx, c, mapEl, back, refresh);
  else ctx.root.replaceChildren(
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

// ---- the citizen's view (12345 style) -------------------------------------
// A resident reads the key steps of their own case -- 受理, 办理中, 已办结,
// 回访 -- with their dates, and the answer: what the department reported
// back. The internal supervision (督办, deadlines, the timer, routing, the
// hash-chained trace) stays on the staff's page; the trace stays verifiable
// for staff (docs/ui.md).
const STEP_OF = {
  reported: 0, registered: 0, dispatched: 1, accepted: 1, handling: 1, feedback: 1, verified: 1, returned: 1,
  suspended: 1, deferred: 1, closed: 2, rated: 3, voided: 2, merged: 2,
};
function citizenSteps(c) {
  const tl = c.timeline || [];
  const at = (actions) => tl.find((e) => actions.includes(e.action))?.at;
  const when = [tl[0]?.at || c.created_at, at(['dispatch', 'accept']), at(['close', 'void', 'merge']), at(['rate'])];
  const cur = STEP_OF[c.state] ?? 0;
  const finished = ['closed', 'rated', 'voided', 'merged'].includes(c.state);
  const names = ['accepted', 'handling', c.state === 'voided' ? 'voided' : c.state === 'merged' ? 'merged' : 'done', 'rated'];
  return h('ol', { class: 'citizen-steps', 'aria-label': t('cit.steps') }, names.map((n, i) => {
    const st = i < cur || (i === cur && finished) ? 'done' : i === cur ? 'current' : 'todo';
    return h('li', { class: 'step ' + st, dataset: { step: n, status: st } },
      h('strong', null, t('cit.step_' + n)), h('small', { class: 'muted' }, st === 'todo' ? t('cit.todo') : fmtTime(when[i] || (i === cur ? c.updated_at : null))));
  }));
}
// The answer: the department's feedback (the last one), and the closing note.
function citizenAnswer(c) {
  const tl = c.timeline || [];
  const fb = [...tl].reverse().find((e) => e.action === 'feedback' && e.reason);
  const body = fb ? fb.reason : ['closed', 'rated'].includes(c.state) ? t('cit.answer_closed') : t('cit.answer_wait');
  return h('section', { class: 'card o-answer', 'aria-labelledby': 'ans-h', dataset: { card: 'answer' } }, h('h2', { id: 'ans-h' }, t('cit.answer')),
    h('p', { class: 'case-body', dataset: { answer: fb ? '1' : '0' } }, body),
    fb ? h('p', { class: 'small muted' }, t('cit.answer_by', { dept: c.dept_id ? deptName(c.dept_id) : t('reason.some_dept'), at: fmtTime(fb.at) })) : null);
}
function citizenView(ctx, c, mapEl, back, refresh) {
  const rows = [['case.no', c.no], ['case.state', stateBadge(c.state)], ['case.category', categoryName(c.category)], ['case.area', areaLabel(c.area)],
    ['case.created', fmtTime(c.created_at)], c.dept_id ? ['cit.dept', deptName(c.dept_id)] : null, c.address ? ['case.address', c.address] : null,
    c.phone ? ['case.phone', c.phone] : null, c.rating ? ['case.rating', t('rating.' + c.rating)] : null].filter(Boolean);
  ctx.root.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: back || '#/mine' }, '← ' + t('common.back'))),
    h('div', { class: 'case-head' }, pageTitle(c.title)),
    h('div', { class: 'case-grid citizen', dataset: { view: 'citizen' } },
      h('div', { class: 'col' },
        h('section', { class: 'card o-details', 'aria-label': t('case.details') },
          h('dl', { class: 'summary' }, rows.map(([k, v]) => [h('dt', null, t(k)), h('dd', { dataset: { field: k.split('.')[1] } }, v)])),
          c.body ? h('p', { class: 'case-body' }, c.body) : null),
        c.reporter_id === ctx.user.id ? photosCard(c) : null,
        mapEl ? h('section', { class: 'card o-map' }, mapEl) : null),
      h('div', { class: 'col' },
        h('section', { class: 'card o-steps', 'aria-labelledby': 'st-h' }, h('h2', { id: 'st-h' }, t('cit.progress')), citizenSteps(c)),
        citizenAnswer(c),
        actionPanel(c, ctx.user, refresh))));
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
