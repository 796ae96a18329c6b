// followups.js -- 回访记录: the follow-up calls of a case rated unsatisfied
// (GET /api/v1/cases/:id/followups): when, who called, what came of it, the
// note. Shown on the case page to staff once the case is rated.
import { h, fmtTime } from '../ui.js';
import { t } from '../i18n.js';
import { get } from '../api.js';

export function followupsCard(c, user) {
  if (c.state !== 'rated' || user.role === 'resident') return null;
  const list = h('div', { id: 'followups' }, h('p', { class: 'muted small' }, t('common.loading')));
  const box = h('section', { class: 'card o-followups', 'aria-labelledby': 'fu-h', dataset: { card: 'followups' } },
    h('h2', { id: 'fu-h' }, t('followup.title')), list);
  get(`/api/v1/cases/${c.id}/followups`).then((r) => {
    list.replaceChildren(r.followups.length ? h('ul', { class: 'plain' }, r.followups.map((f) => h('li', { dataset: { followup: f.id, result: f.result } },
      h('span', { class: 'badge ' + ({ satisfied: 'green', basic: 'blue', unsatisfied: 'red', unreachable: 'grey' }[f.result] || '') }, t('followup.r_' + f.result)), ' ',
      h('small', { class: 'muted' }, fmtTime(f.at), ' · ', f.by),
      f.note ? h('div', { class: 'tl-reason' }, f.note) : null)))
      : h('p', { class: 'muted' }, c.rating === 'unsatisfied' ? t('followup.none_due') : t('followup.none')));
  }).catch(() => { list.replaceChildren(h('p', { class: 'muted' }, t('followup.none'))); });
  return box;
}
