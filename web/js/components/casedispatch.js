// casedispatch.js -- the dispatch side of one case: flags as badges, the
// routing explanation (list version, entry, legal basis, why this grid), the
// phases with their working-time deadlines, owners, returns (uphold/reject for
// the dispatcher), duplicates and whistles (吹哨报到: raise, check in, finish, rate).
import { h, field, fmtTime, countdown, toast, errorBox, nextId, serverNow } from '../ui.js';
import { levelText } from './caseview.js';
import { t } from '../i18n.js';
import { post } from '../api.js';
import { catalog, deptName, isOpen, areaName, areaLabel } from '../catalog.js';
import { deptLabel } from '../reasons.js';
import { getLang, has } from '../i18n.js';

// Some times come as epoch milliseconds, others as ISO strings.
export const iso = (v) => (v == null || v === '' ? null : typeof v === 'number' ? new Date(v).toISOString() : v);

const FLAG_CLASS = { overdue: 'red', reminded: 'amber', ownerless: 'amber', unlocated: 'amber', whistle: 'blue', duplicate: 'grey' };
// The flags a person reads: 临期 (due soon) gives way to 逾期 (overdue) --
// rows of earlier builds may carry both.
export const visibleFlags = (c) => { const f = c.flags || []; return f.includes('overdue') ? f.filter((x) => x !== 'reminded') : f; };
export function flagBadges(c) {
  const flags = visibleFlags(c);
  if (!flags.length) return null;
  return h('span', { class: 'flags' }, flags.map((f) => h('span', { class: 'badge flag ' + (FLAG_CLASS[f] || ''), dataset: { flag: f }, title: t('flag.' + f + '.hint') }, t('flag.' + f))));
}

// A countdown that ticks (tickCountdowns picks up .countdown[data-deadline]).
function liveDeadline(isoStr) {
  const cd = countdown(isoStr);
  return h('span', { class: 'countdown' + (cd.overdue ? ' overdue' : cd.soon ? ' soon' : ''), dataset: { deadline: isoStr } },
    fmtTime(isoStr), ' (', h('span', { class: 'cd-text' }, cd.text), ')');
}

// How the place was found (case_route.located, stored as English text).
function locatedText(v) {
  if (!v) return null;
  if (/^point in grid/.test(v)) return t('route.located_point');
  if (/^unlocated/.test(v)) return t('route.located_none');
  if (/^area given/.test(v)) return t('route.located_area');
  return null;
}
const LEVEL_LEN = { 6: 'district', 9: 'street', 12: 'community' };
const scopeText = (code) => t('route.scope_' + (LEVEL_LEN[String(code).length] || 'other')) + t('route.scope_sep') + areaName(code);

// A manual route: who sent it where (a code; a sentence of earlier builds).
export function manualText(r) {
  let c = null;
  if (String(r.explanation || '').startsWith('{"code":"')) { try { c = JSON.parse(r.explanation); } catch { c = null; } }
  const m = /^人工派遣 manual dispatch by \S+ \((\w+)\) to (\S+) /.exec(r.explanation || '');
  if (m) c = { dept: m[2], by_role: m[1] };
  const dept = c?.dept ? deptLabel(c.dept) : (r.lead_dept ? deptLabel(r.lead_dept) : t('reason.some_dept'));
  const who = c?.by_role && has('role.' + c.by_role) ? t('role.' + c.by_role) : t('route.someone');
  return t('route.manual_by', { who, dept });
}

// Which scopes of the responsibility list were checked and which entry applied
// (the server's steps, GET /api/v1/cases/:id route.steps, POST /route/explain).
export function stepsList(steps) {
  if (!Array.isArray(steps)) return null;
  return h('ol', { class: 'plain explain-steps' }, steps.map((s) => h('li', { dataset: { level: s.level, applies: s.applies ? '1' : '0' } },
    scopeText(s.scope), t('err.sep'),
    !s.entry ? t('route.step_none') : s.applies ? t('route.step_applies', { entry: s.entry, dept: deptLabel(s.lead) }) : t('route.step_overridden', { entry: s.entry }))));
}

export function routeCard(c) {
  const r = c.route;
  const box = h('section', { class: 'card o-route', 'aria-labelledby': 'route-h', dataset: { card: 'route' } }, h('h2', { id: 'route-h' }, t('route.title')));
  if (!r) { box.append(h('p', { class: 'muted' }, t('route.none'))); return box; }
  const co = Array.isArray(r.co_depts) ? r.co_depts : String(r.co_depts || '').split('|').filter(Boolean);
  const why = stepsList(r.steps);
  box.append(...[
    r.manual ? h('p', { class: 'alert info', dataset: { manual: '1' } }, manualText(r)) : null,
    h('dl', { class: 'summary' },
      h('dt', null, t('route.list_version')), h('dd', { dataset: { field: 'list_version' } }, t('route.version_n', { v: r.list_version })),
      r.manual ? null : [h('dt', null, t('route.entry')), h('dd', { dataset: { field: 'entry' } }, r.entry_id || t('route.no_entry'), r.scope ? h('small', { class: 'muted' }, ' · ' + scopeText(r.scope)) : null)],
      h('dt', null, t('route.lead')), h('dd', { dataset: { field: 'lead' } }, r.lead_dept ? deptLabel(r.lead_dept) : c.dept_id ? deptLabel(c.dept_id) : '—'),
      co.length ? [h('dt', null, t('route.co')), h('dd', null, co.map(deptLabel).join(getLang() === 'en' ? ', ' : '、'))] : null,
      h('dt', null, t('route.grid')), h('dd', null, r.grid ? areaLabel(r.grid) : '—', locatedText(r.located) ? h('small', { class: 'muted' }, ' · ' + locatedText(r.located)) : null),
      r.manual ? null : [h('dt', null, t('route.legal_basis')), h('dd', { class: 'legal', dataset: { field: 'legal_basis' } }, r.legal_basis || '—')]),
    why ? h('details', { class: 'explain' }, h('summary', null, t('route.why')), why) : null].filter(Boolean));
  return box;
}

function phaseStatus(p) {
  if (p.end_at) return ['done', t('phase.done_' + (p.end_reason || 'done'), {}) ];
  if (p.overdue_at || (p.deadline_at && Date.parse(p.deadline_at) < serverNow())) return ['overdue', t('phase.overdue')];
  if (p.reminded_at) return ['reminded', t('phase.reminded')];
  return ['running', t('phase.running')];
}

export function phasesCard(c) {
  const phases = c.phases || [];
  const box = h('section', { class: 'card o-phases', 'aria-labelledby': 'ph-h', dataset: { card: 'phases' } }, h('h2', { id: 'ph-h' }, t('phase.title')),
    h('p', { class: 'muted small' }, t('phase.intro')));
  if (!phases.length) { box.append(h('p', { class: 'muted' }, t('common.none'))); return box; }
  box.append(h('div', { class: 'table-wrap' }, h('table', { class: 'mini' },
    h('thead', null, h('tr', null, ['phase.phase', 'phase.who', 'phase.deadline', 'phase.status'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, phases.map((p) => {
      const [st, label] = phaseStatus(p);
      return h('tr', { dataset: { phase: p.phase, status: st } },
        h('td', null, t('phase.' + p.phase)),
        h('td', null, p.dept_id ? (deptName(p.dept_id) || p.dept) : p.user_id ? (p.user || t('phase.user_assigned')) : '—'),
        h('td', null, p.deadline_at ? (p.end_at || !isOpen(c.state) ? fmtTime(p.deadline_at) : liveDeadline(p.deadline_at)) : '—',
          p.provisional ? h('small', { class: 'muted', title: t('phase.provisional_hint') }, ' ' + t('phase.provisional')) : null),
        h('td', null, h('span', { class: 'badge ph-' + st }, label),
          p.level ? h('span', { class: 'badge esc', dataset: { level: Math.min(p.level, 2) } }, levelText(p.level)) : null));
    })))));
  return box;
}

export function ownersCard(c) {
  const owners = c.owners || [];
  if (!owners.length) return null;
  return h('section', { class: 'card o-owners', 'aria-labelledby': 'own-h', dataset: { card: 'owners' } }, h('h2', { id: 'own-h' }, t('owner.title')),
    h('ul', { class: 'plain' }, owners.map((o) => h('li', { dataset: { dept: o.dept_id, current: o.end_at ? '0' : '1' }, class: o.end_at ? 'past' : '' },
      h('strong', null, deptName(o.dept_id) || o.name), ' ', h('span', { class: 'badge' }, t('owner.' + o.role)), ' ',
      h('small', { class: 'muted' }, fmtTime(iso(o.start_at)), ' – ', o.end_at ? fmtTime(iso(o.end_at)) : t('owner.now'),
        o.end_reason ? ' · ' + (has('owner.end_' + o.end_reason) ? t('owner.end_' + o.end_reason) : t('owner.end_other')) : '')))));
}

// Returns: each with its reason and decision; the pending one gets uphold /
// reject for the dispatcher.
export function returnsCard(c, user, onDone) {
  const rets = c.returns || [];
  if (!rets.length) return null;
  const canDecide = ['dispatcher', 'admin'].includes(user.role) && c.state === 'returned';
  const box = h('section', { class: 'card o-returns', 'aria-labelledby': 'ret-h', dataset: { card: 'returns' } }, h('h2', { id: 'ret-h' }, t('ret.title')));
  const pending = rets.filter((r) => !r.decision);
  const last = pending[pending.length - 1];
  box.append(h('ul', { class: 'plain' }, rets.map((r) => h('li', { dataset: { returnId: r.id, decision: r.decision || 'pending' } },
    h('div', null, h('strong', null, deptName(r.dept_id) || r.dept), ' · ', h('small', { class: 'muted' }, fmtTime(iso(r.at))), ' ',
      h('span', { class: 'badge ' + (r.decision === 'upheld' ? 'green' : r.decision === 'rejected' ? 'red' : 'amber') }, t('ret.' + (r.decision || 'pending')))),
    h('div', { class: 'tl-reason' }, r.reason),
    r.note ? h('div', { class: 'muted small' }, r.note === 're-routed' ? t('ret.rerouted') : r.note) : null,
    canDecide && r === last ? decideForm(c, onDone) : null))));
  return box;
}

function decideForm(c, onDone) {
  const host = h('div', { class: 'stack decide' });
  const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 2000 });
  const err = h('div');
  const go = async (action, body, btn) => {
    btn.disabled = true;
    try {
      await post(`/api/v1/cases/${c.id}/${action}`, body);
      toast(t('action.done', { action: t('action.' + action) }));
      onDone?.();
    } catch (e) { btn.disabled = false; err.replaceChildren(errorBox(e)); }
  };
  const up = h('button', { type: 'button', class: 'btn small primary', dataset: { returnAction: 'uphold' } }, t('action.uphold'));
  up.addEventListener('click', () => go('uphold', {}, up));
  const rej = h('button', { type: 'button', class: 'btn small danger-outline', dataset: { returnAction: 'reject' } }, t('action.reject'));
  rej.addEventListener('click', () => {
    if (!reason.value.trim()) { reason.focus(); err.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('ret.need_reason'))); return; }
    go('reject', { reason: reason.value.trim() }, rej);
  });
  host.append(h('p', { class: 'small muted' }, t('ret.decide_hint')), field(t('ret.reject_reason'), reason), h('div', { class: 'btn-row' }, up, rej), err);
  return host;
}

export function duplicatesCard(c) {
  const d = c.duplicates || [];
  if (!d.length) return null;
  return h('section', { class: 'card o-dups', 'aria-labelledby': 'dup-h', dataset: { card: 'duplicates' } }, h('h2', { id: 'dup-h' }, t('dup.title')),
    h('ul', { class: 'plain' }, d.map((x) => {
      const mine = x.case_id === c.id, other = mine ? x.original_id : x.case_id;
      return h('li', null, t(mine ? 'dup.of' : 'dup.has'), ' ', h('a', { href: '#/case/' + other }, (mine ? x.original_no : x.case_no) || t('ev.case_link')),
        h('small', { class: 'muted' }, ' · ' + t('dup.score', { s: Number(x.score).toFixed(2), m: Math.round(x.distance_m ?? 0) }) + (x.auto ? ' · ' + t('dup.auto') : '')));
    })));
}

// ---- whistles (吹哨报到) ----
export const WHISTLE_CALLERS = ['dispatcher', 'community_staff', 'supervisor'];

// The member table of one whistle with the buttons this user may press.
export function whistleMembers(w, user, onDone) {
  const mine = user.role === 'dept_staff' ? w.members.find((m) => m.dept_id === user.dept_id) : null;
  const caller = WHISTLE_CALLERS.includes(user.role);
  const err = h('div');
  const act = async (path, body, btn, label) => {
    btn.disabled = true;
    try { await post(path, body); toast(t('action.done', { action: label })); onDone?.(); } catch (e) { btn.disabled = false; err.replaceChildren(errorBox(e)); }
  };
  const now = serverNow();
  const rows = w.members.map((m) => {
    const dl = iso(m.checkin_deadline);
    const late = !!m.late || (!m.checked_in_at && dl && Date.parse(dl) < now && w.state === 'open');
    const checkin = m.checked_in_at
      ? h('span', { class: late ? 'late' : 'ok' }, fmtTime(iso(m.checked_in_at)), late ? ' · ' + t('wh.late') : ' · ' + t('wh.on_time'))
      : h('span', { class: late ? 'late' : 'muted' }, late ? t('wh.not_in_late') : t('wh.not_in'));
    let actions = null;
    if (mine && mine === m && !m.checked_in_at) {
      const b = h('button', { type: 'button', class: 'btn small primary', dataset: { whAction: 'checkin' } }, t('wh.checkin'));
      b.addEventListener('click', () => act(`/api/v1/whistles/${w.id}/checkin`, {}, b, t('wh.checkin')));
      actions = b;
    } else if (mine && mine === m && !m.done_at) {
      const note = h('input', { type: 'text', name: 'note', maxlength: 200, 'aria-label': t('wh.finish_note'), placeholder: t('wh.finish_note') });
      const b = h('button', { type: 'button', class: 'btn small primary', dataset: { whAction: 'finish' } }, t('wh.finish'));
      b.addEventListener('click', () => act(`/api/v1/whistles/${w.id}/finish`, note.value.trim() ? { note: note.value.trim() } : {}, b, t('wh.finish')));
      actions = h('div', { class: 'inline' }, note, b);
    } else if (caller && m.done_at && !m.rating) {
      const id = nextId('whr');
      const sel = h('select', { id, name: 'rating', 'aria-label': t('wh.rating_for', { dept: deptName(m.dept_id) || m.dept }) },
        [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, '★'.repeat(n) + ' ' + n)));
      const b = h('button', { type: 'button', class: 'btn small primary', dataset: { whAction: 'rate' } }, t('wh.rate'));
      b.addEventListener('click', () => act(`/api/v1/whistles/${w.id}/rate`, { dept_id: m.dept_id, rating: Number(sel.value) }, b, t('wh.rate')));
      actions = h('div', { class: 'inline' }, sel, b);
    }
    return h('tr', { dataset: { dept: m.dept_id, late: late ? '1' : '0', checkedIn: m.checked_in_at ? '1' : '0', done: m.done_at ? '1' : '0' }, class: late ? 'is-late' : '' },
      h('td', { 'data-label': t('wh.dept') }, h('strong', null, deptName(m.dept_id) || m.dept)),
      h('td', { 'data-label': t('wh.deadline') }, fmtTime(dl)),
      h('td', { 'data-label': t('wh.checked_in') }, checkin),
      h('td', { 'data-label': t('wh.done') }, m.done_at ? h('span', { class: 'ok' }, '✓ ' + fmtTime(iso(m.done_at))) : '—', m.done_note ? h('div', { class: 'small muted' }, m.done_note) : null),
      h('td', { 'data-label': t('wh.rating') }, m.rating ? h('span', { class: 'stars', dataset: { rating: m.rating }, 'aria-label': t('wh.stars', { n: m.rating }) }, '★'.repeat(m.rating) + '☆'.repeat(5 - m.rating)) : '—'),
      h('td', { 'data-label': t('case.actions'), class: actions ? null : 'no-act' }, actions));
  });
  return h('div', null, h('div', { class: 'table-wrap' }, h('table', { class: 'cases whistle-members' },
    h('thead', null, h('tr', null, ['wh.dept', 'wh.deadline', 'wh.checked_in', 'wh.done', 'wh.rating', 'case.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows))), err);
}

export function whistleHead(w) {
  const done = w.members.filter((m) => m.done_at).length, inn = w.members.filter((m) => m.checked_in_at).length;
  return h('div', { class: 'wh-head' },
    h('span', { class: 'badge ' + (w.state === 'open' ? 'blue' : 'green'), dataset: { whState: w.state } }, t('wh.state_' + w.state)),
    h('small', { class: 'muted' }, ' ', t('wh.raised', { at: fmtTime(iso(w.raised_at)), m: w.checkin_minutes }), ' · ', t('wh.progress', { i: inn, d: done, n: w.members.length })),
    w.note ? h('div', { class: 'tl-reason' }, w.note) : null);
}

export function whistlesCard(c, user, onDone) {
  const ws = c.whistles || [];
  const canRaise = WHISTLE_CALLERS.includes(user.role) && isOpen(c.state);
  if (!ws.length && !canRaise) return null;
  const box = h('section', { class: 'card o-whistles', 'aria-labelledby': 'wh-h', dataset: { card: 'whistles' } },
    h('div', { class: 'card-head' }, h('h2', { id: 'wh-h' }, t('wh.title')), h('a', { href: '#/whistles', class: 'small' }, t('wh.board_link'))));
  for (const w of ws) box.append(h('div', { class: 'whistle', dataset: { whistleId: w.id } }, whistleHead(w), whistleMembers(w, user, onDone)));
  if (!ws.length) box.append(h('p', { class: 'muted' }, t('wh.none_case')));
  if (canRaise) {
    const btn = h('button', { type: 'button', class: 'btn ghost', 'aria-expanded': 'false', id: 'wh-raise' }, t('wh.raise'));
    const host = h('div');
    btn.addEventListener('click', () => {
      const open = btn.getAttribute('aria-expanded') === 'true';
      btn.setAttribute('aria-expanded', String(!open));
      host.replaceChildren(open ? '' : raiseForm(c, onDone));
      if (!open) host.querySelector('input')?.focus();
    });
    box.append(h('div', { class: 'btn-row' }, btn), host);
  }
  return box;
}

function raiseForm(c, onDone) {
  const en = getLang() === 'en';
  const owners = new Set((c.owners || []).filter((o) => !o.end_at).map((o) => o.dept_id));
  const fs = h('fieldset', { class: 'dept-pick' }, h('legend', null, t('wh.pick_depts')),
    catalog().depts.map((d) => h('label', { class: 'chip small' }, h('input', { type: 'checkbox', name: 'dept_ids', value: d.id, checked: owners.has(d.id) }), en ? d.name_en || d.name : d.name)));
  const minutes = h('input', { type: 'number', name: 'checkin_minutes', min: 0, max: 1440, value: 30, required: true, inputmode: 'numeric' });
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 200 });
  const err = h('div');
  const form = h('form', { class: 'stack', dataset: { form: 'whistle' } }, fs,
    field(t('wh.minutes'), minutes, t('wh.minutes_hint')), field(t('wh.note'), note),
    err, h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('wh.raise_submit'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ids = [...form.querySelectorAll('input[name=dept_ids]:checked')].map((i) => Number(i.value));
    if (!ids.length) { err.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('wh.need_dept'))); return; }
    const b = form.querySelector('button[type=submit]');
    b.disabled = true;
    try {
      const body = { dept_ids: ids, checkin_minutes: Number(minutes.value) };
      if (note.value.trim()) body.note = note.value.trim();
      await post(`/api/v1/cases/${c.id}/whistle`, body);
      toast(t('action.done', { action: t('action.whistle') }));
      onDone?.();
    } catch (e) { b.disabled = false; err.replaceChildren(errorBox(e)); }
  });
  return form;
}
