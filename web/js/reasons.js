// reasons.js -- what the platform wrote, in the reader's language.
//
// The server stores its own sentences as codes with parameters
// ({"code":"overdue","phase":"accept","level":1}; src/reason.h, docs/audit.md)
// and this module words them with the dictionaries' reason.* keys, naming
// departments, categories, areas and cases from the catalogue.  Entries
// written by earlier builds hold bilingual text ("超时督办 overdue, escalation
// level 1"); they keep that text (the trace hashes it) and are recognised
// here by their known patterns and worded the same way.  A code is read only
// where the platform wrote the reason: entries of its own actors (role
// system) and the actions whose reason it composes (COMPOSED) -- a person's
// note that looks like a code stays a note.
import { t, has } from './i18n.js';
import { fmtTime } from './ui.js';
import { catalog, deptName, categoryName, areaLabel } from './catalog.js';
import { getLang } from './i18n.js';

const COMPOSED = new Set(['report', 'absorb', 'whistle', 'whistle_rate', 'whistle_done', 'whistle_finish', 'checkin',
  'checkin_late', 'photo_add', 'read_contact', 'deadline_recomputed', 'alarm_grouped', 'alarm_cleared', 'alarm_acked',
  'escalation_config', 'task_admit', 'task_refuse', 'task_answer_store', 'task_exception', 'task_done']);

// The department of a code (chengguan) or an id, named in the reader's language.
export function deptLabel(v) {
  if (v == null || v === '') return '—';
  const d = catalog().byDeptCode.get(String(v)) || catalog().byDept.get(Number(v));
  return d ? (getLang() === 'en' ? d.name_en || d.name : d.name) : t('reason.some_dept');
}
const join = (list) => list.join(getLang() === 'en' ? ', ' : '、');
const phaseName = (p) => (has('phase.' + p) ? t('phase.' + p) : t('reason.some_phase'));
const actionName = (a) => (has('action.' + a) ? t('action.' + a) : t('reason.some_action'));
const caseRef = (p) => p.no || (p.case_id ? t('reason.case_id', { id: p.case_id }) : '—');

// Who did it, as a person reads it: the platform's actors by what they do,
// staff by their display name (the server adds it), residents by their role
// only (their name is theirs); never a login name.
export function actorLabel(e) {
  if (e.role === 'system') return has('actor.' + e.actor) ? t('actor.' + e.actor) : t('actor.platform');
  if (e.actor_display) return e.actor_display;
  return has('role.' + e.role) ? t('role.' + e.role) : t('actor.someone');
}
// "name · role", the role left out when the name says it already.
export function whoText(e) {
  const name = actorLabel(e), role = has('role.' + e.role) ? t('role.' + e.role) : t('role.system');
  return name === role || e.role === 'system' ? name : `${name} · ${role}`;
}

// The code in an entry's reason, or null (see the header).
export function reasonCode(e) {
  const r = e.reason;
  if (!r || typeof r !== 'string') return null;
  if (!(e.role === 'system' || COMPOSED.has(e.action))) return null;
  if (r.startsWith('{"code":"')) {
    try { const o = JSON.parse(r); return o && typeof o.code === 'string' ? o : null; } catch { return null; }
  }
  return legacy(r);
}

// Known sentences of earlier builds -> codes.
const LEGACY = [
  [/^超时督办 overdue, escalation level (\d+)$/, (m) => ({ code: 'overdue_old', n: +m[1] })],
  [/^已用时80% 80% of the time limit used; deadline in (-?\d+) min$/, (m) => ({ code: 'remind_old', min: +m[1] })],
  [/^按权责清单自动派遣 automatic dispatch by the responsibility list$/, () => ({ code: 'auto_dispatch' })],
  [/^registered on intake$/, () => ({ code: 'intake' })],
  [/^duplicate of case (\d+) \(score ([\d.]+), (\d+) m\)$/, (m) => ({ code: 'dup_merge', case_id: +m[1], score: m[2], m: +m[3] })],
  [/^merged case (\d+)$/, (m) => ({ code: 'absorbed', case_id: +m[1] })],
  [/^吹哨报到超时 (.*) did not check in in time$/, (m) => ({ code: 'checkin_late', dept_name: m[1] })],
  [/^photo [0-9a-f]+$/, () => ({ code: 'photo_add' })],
  [/^unmasked personal data$/, () => ({ code: 'read_contact' })],
  [/^the official calendar changed$/, () => ({ code: 'calendar_changed' })],
  [/^whistle \d+: department (\d+) rated (\d)\/5$/, (m) => ({ code: 'whistle_rate', dept: +m[1], rating: +m[2] })],
  [/^吹哨 whistle \d+: (.*?) 须在(\d+)分钟内报到 ?([\s\S]*)$/, (m) => ({ code: 'whistle', dept_names: m[1], minutes: +m[2], note: m[3] })],
  [/^whistle \d+: 报到 checked in(?: \(迟到 late\))? ?([\s\S]*)$/, (m, r) => ({ code: 'checkin', late: /迟到 late/.test(r) ? 1 : 0, note: m[1] })],
  [/^whistle \d+: 处置完成 finished(?: \(迟到 late\))? ?([\s\S]*)$/, (m, r) => ({ code: 'whistle_finish', late: /迟到 late/.test(r) ? 1 : 0, note: m[1] })],
  [/^alarm \d+ cleared by (\S+) at \S+: (\w+)=(\S+) \((back to normal|activity)\)$/, (m) => ({ code: 'alarm_cleared', by: m[1], metric: m[2], value: m[3] })],
  [/^alarm \d+ \((.*), device (\S+), (\w+)=(\S+)\) grouped into this case$/, (m) => ({ code: 'alarm_grouped', device: m[2], metric: m[3], value: m[4] })],
  [/^随后 then: ([\s\S]*)$/, (m) => ({ code: 'chain', steps: m[1].split('; ').map((s) => {
    const x = /^(\w+) \(([^)]+)\)(?:: ([\s\S]*))?$/.exec(s);
    return x ? { a: x[1], by: x[2], r: x[3] ? (legacy(x[3]) || x[3]) : null } : { a: '', by: '', r: s };
  }) })],
];
function legacy(r) {
  for (const [re, f] of LEGACY) { const m = re.exec(r); if (m) return f(m, r); }
  return null;
}

const METRIC = new Set(['smoke', 'gas', 'level', 'tilt', 'door', 'noise', 'current', 'battery', 'temperature']);
// A sensor reading as a person reads it: two decimals at most.
export const reading = (v) => (v != null && v !== '' && Number.isFinite(Number(v)) ? String(Math.round(Number(v) * 100) / 100) : v);
export const metricName = (m) => (m === 'db' ? t('metric.noise') : METRIC.has(m) ? t('metric.' + m) : t('metric.other'));

// The scope of a user or a key: its area and department, or everything.
function scopeText(p) {
  const parts = [p.area ? areaLabel(p.area) : null, p.dept ? deptLabel(p.dept) : null].filter(Boolean);
  return parts.length ? join(parts) : t('reason.everywhere');
}
// The parameters of an entry's code that are codes a person types (a login, a
// device number, a web address): the audit page sets them as code.
export const TYPED = ['user', 'client', 'device', 'url', 'key'];

// One code as a sentence.
export function codeText(c) {
  const p = c || {};
  switch (p.code) {
    case 'remind': return t('reason.remind', { phase: phaseName(p.phase), pct: p.pct ?? 80, deadline: fmtTime(p.deadline) });
    case 'remind_old': return t('reason.remind_old', { min: p.min });
    case 'overdue': return t(p.level >= 2 ? 'reason.overdue2' : 'reason.overdue1', { phase: phaseName(p.phase) });
    case 'overdue_old': return t('reason.overdue_old', { n: p.n });
    case 'dup_merge': return t('reason.dup_merge', { no: caseRef(p), score: p.score, m: p.m });
    case 'absorbed': return t('reason.absorbed', { no: caseRef(p) });
    case 'checkin_late': return t('reason.checkin_late', { dept: p.dept != null ? deptLabel(p.dept) : p.dept_name });
    case 'whistle': return t('reason.whistle', { depts: Array.isArray(p.depts) ? join(p.depts.map(deptLabel)) : p.dept_names, minutes: p.minutes })
      + (p.note ? ' ' + p.note : '');
    case 'checkin': return t(p.late ? 'reason.checkin_late_in' : 'reason.checkin') + (p.note ? ' ' + p.note : '');
    case 'whistle_finish': return t(p.late ? 'reason.whistle_finish_late' : 'reason.whistle_finish') + (p.note ? ' ' + p.note : '');
    case 'whistle_rate': return t('reason.whistle_rate', { dept: deptLabel(p.dept), n: p.rating });
    case 'alarm_cleared':
      if (p.why === 'staff') return t('reason.alarm_cleared_staff') + (p.note ? ' ' + p.note : '');
      if (p.why === 'activity') return t('reason.alarm_cleared_activity', { metric: metricName(p.metric) });
      return t('reason.alarm_cleared', { metric: metricName(p.metric), value: reading(p.value) });
    case 'alarm_grouped': return t('reason.alarm_grouped', { device: p.device, metric: metricName(p.metric), value: reading(p.value) });
    case 'task_decided': return t('reason.task_decided', { task: p.task, decision: t('wl.decision_' + (['admitted', 'refused', 'answered_from_store', 'exception'].includes(p.decision) ? p.decision : 'admitted')) }) + (p.r && typeof p.r === 'object' ? ' ' + codeText(p.r) : '');
    case 'task_exception': return t('reason.task_exception', { task: p.task }) + (p.note ? ' ' + p.note : '');
    case 'task_done': return t('reason.task_done', { task: p.task, area: areaLabel(p.area) });
    case 'chain': return t('reason.chain') + (p.steps || []).map((s) => actionName(s.a) + (s.r ? t('reason.step_reason', { r: typeof s.r === 'string' ? s.r : codeText(s.r) }) : '')).join(t('reason.sep'));
    case 'manual_dispatch': return t('reason.manual_dispatch', { dept: deptLabel(p.dept) });
    // 一人一档 (docs/people.md): a source by its name (its key is a code), a person by number
    case 'people_import': return t('reason.people_import', { source: p.name || t('pp.unnamed_source'), file: p.file, rows: p.rows, added: p.added, updated: p.updated, retired: p.retired, persons: p.persons, review: p.review });
    case 'people_withdraw': return t('reason.people_withdraw', { source: p.name || t('pp.unnamed_source'), n: p.deleted });
    case 'people_mapping': return t(p.mapping ? 'reason.people_mapping' : 'reason.people_named', { source: p.name || t('pp.unnamed_source') });
    case 'people_review': return t(p.decision === 'same' ? 'reason.people_same' : 'reason.people_different');
    case 'people_unmask': return t('reason.people_unmask', { id: p.person, purpose: p.purpose });
    case 'people_report': return t('reason.people_report', { form: has('pp.tpl.' + p.template) ? t('pp.tpl.' + p.template) : t('reason.some_form'), area: p.area ? areaLabel(p.area) : t('reason.all_areas'), n: p.rows });
    case 'task_sender': {
      const who = (d) => (d === 'street' ? t('wl.street') : d === '*' ? t('reason.anyone') : deptLabel(d));
      return t('reason.task_sender', { name: p.name, dept: who(p.dept), allowed: join(String(p.allowed || '').split(';').filter(Boolean).map(who)) });
    }
    // 系统管理 and 基层设计 (docs/audit.md): users, Open311 keys, webhooks, devices, categories;
    // logins, device numbers and addresses are codes a person types (the audit page shows them so)
    case 'user_add': case 'user_update':
      return t(p.disabled ? 'reason.user_off' : 'reason.user', { user: p.user, role: has('role.' + p.role) ? t('role.' + p.role) : t('role.system'), scope: scopeText(p) });
    case 'user_passwd': case 'user_passwd_reset': return t('reason.' + p.code, { user: p.user });
    case 'user_passwd_own': return t('reason.user_passwd_own');
    case 'open311_key_add': return t('reason.open311_key_add', { client: p.client, scope: scopeText(p) });
    case 'open311_key_off': return t('reason.open311_key_off', { client: p.client });
    case 'webhook_add': case 'webhook_update': return t(p.active ? 'reason.webhook' : 'reason.webhook_off', { name: p.name, url: p.url });
    case 'device_add': case 'device_update': case 'device_delete':
      return t('reason.device', { device: p.device, label: p.label || deviceType(p.type), type: deviceType(p.type), grid: areaLabel(p.grid) });
    case 'category_put':
      return t(p.added ? 'reason.category_added' : 'reason.category_changed', { code: p.category, cat: getLang() === 'en' ? categoryName(p.category) : p.name,
        kind: has('kind.' + p.kind) ? t('kind.' + p.kind) : '—', dept: deptLabel(p.dept), a: p.accept_h, h: p.handle_h, v: p.verify_h })
        + (p.urgent ? t('reason.category_urgent') : '');
    case 'warning_decided':
      return t('reason.warning', { area: areaLabel(p.area), cat: categoryName(p.category), day: p.day, n: p.observed })
        + (p.no ? t('reason.warning_case', { no: p.no }) : '') + (p.note ? t('reason.step_reason', { r: p.note }) : '');
    case 'calendar_set': {
      const day = String(p.day || '').replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');
      if (p.kind === 'reset') return t('reason.calendar_reset', { day });
      return t('reason.calendar_set', { day, kind: has('des.kind_' + p.kind) ? t('des.kind_' + p.kind) : t('reason.unknown') }) + (p.name ? t('reason.step_reason', { r: p.name }) : '');
    }
    case 'hours_set': {
      const hm = (m) => `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
      const spans = String(p.hours || '').split(',').map((s) => s.split('-').map(Number)).filter((x) => x.length === 2 && x.every(Number.isFinite));
      return t('reason.hours_set', { hours: join(spans.map(([a, b]) => `${hm(a)}–${hm(b)}`)) });
    }
    case 'settings': { // 考核, 预警, 减负 and 感知 settings: each named, [before, after] when both are kept
      const label = (k) => (has('setting.' + k) ? t('setting.' + k) : has('ecfg.' + k) ? t('ecfg.' + k) : k === 'limit.tasks_per_community_month' ? t('bcfg.limit_short') : fieldName(k));
      const val = (k, v) => (k === 'method' ? (has('wcfg.m_' + v) ? t('wcfg.m_' + v) : t('reason.unknown')) : String(v));
      const parts = Object.entries(p.changes && typeof p.changes === 'object' ? p.changes : {}).map(([k, v]) => (!Array.isArray(v) ? `${label(k)} ${val(k, v)}`
        : String(v[0]) === String(v[1]) ? null : `${label(k)} ${val(k, v[0])} → ${val(k, v[1])}`)).filter(Boolean);
      return t('reason.settings_' + (['eval', 'warning', 'burden', 'sensor'].includes(p.of) ? p.of : 'other')) + (parts.length ? join(parts) : t('reason.settings_same'));
    }
    case 'alarm_rule': {
      const fields = Object.keys(p.patch && typeof p.patch === 'object' ? p.patch : {}).filter((k) => has('des.f_' + k)).map((k) => t('des.f_' + k));
      return t('reason.alarm_rule', { id: p.rule, name: p.name || '—', type: deviceType(p.type), kind: has('des.kind_rule_' + p.kind) ? t('des.kind_rule_' + p.kind) : t('reason.unknown') })
        + (fields.length ? t('reason.fields', { list: join(fields) }) : '');
    }
    case 'deleted': return t(p.what === 'silence' ? 'reason.deleted_silence' : 'reason.deleted_rule', { id: p.id });
    case 'silence_add': {
      const target = p.device ? t('reason.silence_device', { device: p.device }) : join([p.type ? deviceType(p.type) : null, p.grid ? areaLabel(p.grid) : t('reason.everywhere')].filter(Boolean));
      return t('reason.silence_add', { id: p.silence, target }) + (p.note ? t('reason.step_reason', { r: p.note }) : '');
    }
    case 'device_import': return t('reason.device_import', { n: p.n });
    case 'login_unlock': return t('reason.login_unlock', { key: p.key });
    case 'login_throttled': case 'login_locked': return t(p.locked_min ? 'reason.login_locked' : 'reason.login_throttled', { key: p.key, n: p.n, min: p.locked_min });
    case 'duty': return t(p.on ? 'reason.duty_on' : 'reason.duty_off', { user: p.user || t('actor.someone') });
    case 'duty_import': return t('reason.duty_import', { v: p.version, n: p.entries });
    case 'worklist_version': return t('reason.worklist_version', { v: p.version, n: p.items }) + (p.note ? t('reason.step_reason', { r: p.note }) : '');
    case 'category': return t('reason.category', { cat: categoryName(p.category) });
    case 'area': return t('reason.area', { area: areaLabel(p.area) });
    default:
      return has('reason.' + p.code) ? t('reason.' + p.code, p) : t('reason.unknown');
  }
}

// The reason of an audit entry as shown: a code worded, or the person's text.
// composed: the caller knows the platform wrote it (an entry about no case,
// written by a module): an English sentence of an earlier build is then not
// shown in Chinese, only said to be there.
export function reasonText(e, { composed = false } = {}) {
  const c = reasonCode(e) || (composed && e.reason && String(e.reason).startsWith('{"code":"') ? reasonCode({ ...e, role: 'system' }) : null);
  if (c) return codeText(c);
  if (composed && getLang() !== 'en' && /[A-Za-z]{4,}/.test(e.reason || '')) return t('reason.english_only');
  return e.reason || '';
}

// A field or setting named by the server (remind_pct, weights.rework, grades.B).
function fieldName(f) {
  if (has('setting.' + f)) return t('setting.' + f);
  if (has('field.' + f)) return t('field.' + f);
  const [a, b] = f.split('.');
  if (a === 'weights' && has('ev.i_' + b)) return t('setting.weight_of', { ind: t('ev.i_' + b) });
  if (a === 'grades' && /^[A-D]$/.test(b || '')) return t('ecfg.grade', { g: b });
  return t('setting.this');
}

// An API error's detail ({code, params}) as a sentence, or null when unknown.
export function detailText(d) {
  if (!d || typeof d.code !== 'string' || !has('errd.' + d.code)) return null;
  const p = { ...d };
  if (p.field != null) p.field = fieldName(String(p.field));
  if (p.area) p.area = areaLabel(p.area);
  if (p.scope) p.scope = areaLabel(p.scope);
  if (p.category) p.category = categoryName(p.category);
  if (p.dept != null) p.dept = deptLabel(p.dept);
  if (p.state) p.state = has('state.' + p.state) ? t('state.' + p.state) : p.state;
  if (p.action) p.action = actionName(p.action);
  return t('errd.' + d.code, p);
}

// ---- codes of the catalogue and the sensors, as a person reads them -------

// A time limit of the responsibility list ("2wh", "3wd", "48h") in words.
export function limitText(v) {
  const m = /^(\d+)(wh|wd|h|wmin|min)$/.exec(String(v || ''));
  return m ? t('lim.' + m[2], { n: m[1] }) : (v ? t('reason.unknown') : '—');
}
const DEV = new Set(['smoke', 'gas', 'water_level', 'manhole_tilt', 'door_contact', 'ebike_charging', 'noise', 'generic']);
export const deviceType = (x) => t(DEV.has(x) ? 'dev.' + x : 'dev.other');
export const severityText = (s) => (has('sev.' + s) ? t('sev.' + s) : t('sev.info'));
export function durationText(sec) {
  const n = Number(sec);
  if (!Number.isFinite(n)) return '—';
  if (n >= 3600 && n % 3600 === 0) return t('dur.h', { n: n / 3600 });
  if (n >= 60 && n % 60 === 0) return t('dur.min', { n: n / 60 });
  return t('dur.s', { n });
}
// The parameters of an alarm rule in words ("上限 30 · 恢复线 20").
export function ruleParams(r) {
  const out = [];
  if (r.kind !== 'offline' && r.metric) out.push(t('rp.metric', { m: metricName(r.metric) }));
  if (r.high != null && (r.kind === 'threshold' || r.kind === 'battery')) out.push(t('rp.high', { v: r.high }));
  if (r.low != null && (r.kind === 'threshold' || r.kind === 'battery')) out.push(t('rp.low', { v: r.low }));
  if (r.rate != null && r.kind === 'rate') out.push(t('rp.rate', { v: r.rate }));
  if (r.duration_s != null && r.kind === 'inactivity') out.push(t('rp.duration_s', { v: durationText(r.duration_s) }));
  const w = r.window || (r.from && r.to ? { from: r.from, to: r.to } : null);
  if (w) out.push(t('rp.window', w));
  if (r.k != null && r.kind === 'offline') out.push(t('rp.k', { v: r.k }));
  return out.join(' · ');
}
