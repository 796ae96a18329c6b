// caseview.js -- one case: summary, trace mark, timeline and the action panel
// (only the actions this role may take in this state).
import { h, field, select, fmtTime, countdown, stateBadge, toast, errorBox, nextId, serverNow } from '../ui.js';
import { t } from '../i18n.js';
import { post, get } from '../api.js';
import { categoryName, deptName, areaLabel, catalog, defaultDeptFor, isOpen } from '../catalog.js';
import { ACTIONS, actionsFor, DANGER } from '../roles.js';
import { getLang, has } from '../i18n.js';
import { photoPicker } from './photos.js';
import { reasonText, whoText } from '../reasons.js';
import { docPicker } from './attachments.js';

// What a follow-up call (回访) came to.
export const FOLLOWUP_RESULTS = ['satisfied', 'basic', 'unsatisfied', 'unreachable'];

// Actions whose form offers photos of the work (linked after the action).
const PHOTO_ACTIONS = new Set(['feedback', 'handle']);

export function traceMark(c) {
  const ok = c.trace?.verified === true;
  return h('span', {
    class: 'trace ' + (ok ? 'ok' : 'bad'),
    dataset: { trace: ok ? 'verified' : 'failed' },
    title: c.trace?.message || '',
  }, ok ? '✓ ' + t('trace.verified') : '✗ ' + t('trace.failed') + (c.trace?.message ? ': ' + c.trace.message : ''));
}

export function deadlineEl(c) {
  if (!c.deadline || !isOpen(c.state)) return h('span', null, c.deadline ? fmtTime(c.deadline) : '—');
  const cd = countdown(c.deadline);
  return h('span', { class: 'countdown' + (cd.overdue ? ' overdue' : cd.soon ? ' soon' : ''), dataset: { deadline: c.deadline } },
    fmtTime(c.deadline), ' (', h('span', { class: 'cd-text' }, cd.text), ')');
}

// Refreshes every countdown under root; returns a stop function.
export function tickCountdowns(root) {
  const id = setInterval(() => {
    for (const el of root.querySelectorAll('.countdown[data-deadline]')) {
      const cd = countdown(el.dataset.deadline);
      el.classList.toggle('overdue', cd.overdue);
      el.classList.toggle('soon', cd.soon);
      const txt = el.querySelector('.cd-text');
      if (txt) txt.textContent = cd.text;
    }
  }, 30000);
  return () => clearInterval(id);
}

export function caseSummary(c) {
  const rows = [
    ['case.no', c.no],
    ['case.state', stateBadge(c.state)],
    ['case.category', `${categoryName(c.category)} (${c.category})`],
    ['case.area', areaLabel(c.area)],
    ['case.source', t('source.' + c.source)],
    ['case.dept', c.dept_id ? deptName(c.dept_id) : '—'],
    ['case.deadline', deadlineEl(c)],
    ['case.escalation', escalationText(c)],
    ['case.created', fmtTime(c.created_at)],
    ['case.updated', fmtTime(c.updated_at)],
    c.address ? ['case.address', c.address] : null,
    c.phone ? ['case.phone', c.phone] : null,
    c.rating ? ['case.rating', t('rating.' + c.rating)] : null,
  ].filter(Boolean);
  return h('dl', { class: 'summary' }, rows.map(([k, v]) => [h('dt', null, t(k)), h('dd', { dataset: { field: k.slice(5) } }, v)]));
}

// 督办: the supervisors' own (counted from the trace: entries of people, so
// that the repeated 督办 an earlier build's timer wrote are not counted) and
// the timer's level on the open phase (超时督办, 领导督办).
export function escalationText(c) {
  const people = (c.timeline || []).filter((e) => e.action === 'escalate' && e.role !== 'system').length;
  const n = c.timeline ? people : c.escalation;
  const level = Math.max(0, ...(c.phases || []).filter((p) => !p.end_at).map((p) => p.level || 0));
  const parts = [n ? t('case.escalated_n', { n }) : null, level ? levelText(level) : null].filter(Boolean);
  return parts.length ? parts.join(t('reason.sep')) : '—';
}
// The timer's level of a phase (rows of earlier builds may hold more than 2).
export const levelText = (n) => t(n >= 2 ? 'phase.level2' : 'phase.level1');

const actionLabel = (a) => (has('action.' + a) ? t('action.' + a) : t('reason.some_action'));

function entryItem(e, staff) {
  return h('li', { class: 'tl-item', dataset: { action: e.action } },
    h('div', { class: 'tl-head' },
      h('strong', null, actionLabel(e.action)),
      e.from !== e.to && e.to ? h('span', { class: 'tl-states' }, e.from ? t('state.' + e.from) + ' → ' : '', t('state.' + e.to)) : null,
      h('time', { datetime: e.at }, fmtTime(e.at))),
    h('div', { class: 'tl-who' }, whoText(e)),
    e.reason ? h('div', { class: 'tl-reason' }, reasonText(e)) : null,
    staff ? h('div', { class: 'tl-hash', title: t('trace.hash_title', { seq: e.seq }) }, t('trace.seq', { seq: e.seq })) : null);
}

// Runs of 3 or more consecutive entries of one action by one actor (the
// timer's repeated 督办 in stores of earlier builds) shown as one line with
// the count and the span, the entries themselves in a fold.
function groupRuns(list) {
  const out = [];
  for (const e of list) {
    const last = out[out.length - 1];
    if (last && last.action === e.action && last.actor === e.actor && last.role === e.role) last.run.push(e);
    else out.push({ action: e.action, actor: e.actor, role: e.role, run: [e] });
  }
  return out;
}

export function timeline(c, { staff = true } = {}) {
  const items = groupRuns(c.timeline || []).flatMap((g) => {
    if (g.run.length < 3) return g.run.map((e) => entryItem(e, staff));
    const [a, b] = [g.run[0], g.run[g.run.length - 1]];
    return [h('li', { class: 'tl-item tl-run', dataset: { action: g.action, run: g.run.length } },
      h('div', { class: 'tl-head' }, h('strong', null, t('case.run', { action: actionLabel(g.action), n: g.run.length })),
        h('time', { datetime: a.at }, t('case.run_span', { from: fmtTime(a.at), to: fmtTime(b.at) }))),
      h('div', { class: 'tl-who' }, whoText(a)),
      h('details', { class: 'tl-fold' }, h('summary', null, t('case.run_show', { n: g.run.length })), h('ol', { class: 'timeline' }, g.run.map((e) => entryItem(e, staff)))))];
  });
  return h('section', { class: 'card o-timeline', 'aria-labelledby': 'tl-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'tl-h' }, t('case.timeline')), c.trace ? traceMark(c) : null),
    items.length ? h('ol', { class: 'timeline' }, items) : h('p', { class: 'muted' }, t('common.none')));
}

function control(f, c) {
  const name = f.name;
  if (f.kind === 'textarea') return h('textarea', { name, rows: 3, maxlength: 2000, required: f.required });
  if (f.kind === 'rate_reason') return h('textarea', { name, rows: 2, maxlength: 500, placeholder: t('hint.rate_reason') });
  if (f.kind === 'datetime') {
    const d = new Date(serverNow() + 8 * 3600e3 + 3 * 86400e3).toISOString().slice(0, 16);
    return h('input', { type: 'datetime-local', name, required: f.required, value: d });
  }
  // the case number a person reads (JC20261127-6); resolved to the case on submit
  if (f.kind === 'case') return h('input', { type: 'text', name, required: f.required, autocomplete: 'off', spellcheck: 'false', placeholder: t('hint.case_no_ph') });
  if (f.kind === 'result') return select([['', t('common.choose')], ...FOLLOWUP_RESULTS.map((r) => [r, t('followup.r_' + r)])], '', { name, required: f.required });
  if (f.kind === 'dept') {
    const def = defaultDeptFor(c.category);
    const en = getLang() === 'en';
    return select([['', t('common.choose')], ...catalog().depts.map((d) => [d.id, (en ? d.name_en : d.name) + (def && def.id === d.id ? ' ★' : '')])], def?.id, { name, required: f.required });
  }
  return h('input', { type: 'text', name, required: f.required });
}

function ratingGroup() {
  const gid = nextId('rate');
  return h('fieldset', { class: 'rating', role: 'radiogroup' },
    h('legend', null, t('field.rating')),
    ['satisfied', 'basic', 'unsatisfied'].map((r, i) => {
      const id = gid + '-' + r;
      return h('label', { for: id, class: 'chip' }, h('input', { type: 'radio', name: 'rating', id, value: r, required: i === 0 }), t('rating.' + r));
    }));
}

// actionPanel(c, user, onDone): the buttons and forms for the allowed actions.
export function actionPanel(c, user, onDone) {
  // a follow-up call is for an unsatisfied rating only
  const names = actionsFor(user, c).filter((n) => n !== 'followup' || c.rating === 'unsatisfied');
  const box = h('section', { class: 'card actions o-actions', 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, t('case.actions')));
  if (!names.length) { box.append(h('p', { class: 'muted' }, t('case.no_actions'))); return box; }
  const formHost = h('div', { class: 'action-form' });
  const bar = h('div', { class: 'btn-row' });
  for (const name of names) {
    const a = ACTIONS[name];
    const btn = h('button', { type: 'button', class: 'btn ' + (DANGER.has(name) ? 'danger-outline' : 'primary'), dataset: { action: name }, 'aria-expanded': a.fields.length ? 'false' : null }, t('action.' + name));
    btn.addEventListener('click', () => {
      if (!a.fields.length) return submit(name, {}, btn);
      for (const b of bar.querySelectorAll('[aria-expanded]')) b.setAttribute('aria-expanded', String(b === btn));
      formHost.replaceChildren(actionForm(name, a, c, submit));
      formHost.querySelector('select, textarea, input')?.focus();
    });
    bar.append(btn);
  }
  box.append(bar, formHost);

  async function submit(name, body, btn, photos, docs) {
    const buttons = box.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await photos?.settle();
      await docs?.settle();
      await post(`/api/v1/cases/${c.id}/${name}`, body);
      const failed = (photos ? await photos.linkTo(c.id) : 0) + (docs ? await docs.linkTo(c.id) : 0);
      toast(t('action.done', { action: t('action.' + name) }) + (failed ? ' · ' + t('photo.link_failed', { n: failed }) : ''), failed ? 'error' : 'ok');
      onDone?.(name);
    } catch (e) {
      buttons.forEach((b) => { b.disabled = false; });
      formHost.prepend(errorBox(e));
      btn?.focus();
    }
  }
  return box;
}

function actionForm(name, a, c, submit) {
  const photos = PHOTO_ACTIONS.has(name) ? photoPicker() : null;
  const docs = PHOTO_ACTIONS.has(name) ? docPicker() : null;
  const form = h('form', { class: 'stack', dataset: { form: name } },
    h('h3', null, t('action.' + name)),
    a.fields.map((f) => f.kind === 'rating' ? ratingGroup() : field(t(f.kind === 'rate_reason' ? 'field.rate_reason' : 'field.' + f.name), control(f, c), f.kind === 'case' ? t('hint.target_id') : null)),
    photos?.el,
    docs?.el,
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn ' + (DANGER.has(name) ? 'danger' : 'primary') }, t('common.submit_action', { action: t('action.' + name) }))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body = {};
    if (name === 'rate' && fd.get('rating') === 'unsatisfied' && !String(fd.get('reason') || '').trim()) {
      form.querySelector('.form-error')?.remove();
      form.prepend(h('div', { class: 'alert error form-error', role: 'alert' }, t('err.rate_reason')));
      form.querySelector('textarea[name=reason]')?.focus();
      return;
    }
    for (const f of a.fields) {
      const v = fd.get(f.name);
      if (v === null || v === '') continue;
      if (f.kind === 'case') {
        // a case number (or the number part of one) -> the case it names
        const no = String(v).trim().toUpperCase();
        let target = null;
        try { target = /^(JC\d{8}-)?\d+$/.test(no) ? await get('/api/v1/cases/' + encodeURIComponent(no)) : null; } catch { target = null; }
        if (!target || target.id === c.id) {
          form.querySelector('.form-error')?.remove();
          form.prepend(h('div', { class: 'alert error form-error', role: 'alert' }, t(target ? 'err.merge_self' : 'err.case_no', { no })));
          return;
        }
        body[f.name] = target.id;
      } else body[f.name] = f.kind === 'dept' ? Number(v) : String(v).trim();
    }
    submit(name, body, form.querySelector('button[type=submit]'), photos, docs);
  });
  return form;
}
