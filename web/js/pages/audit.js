// audit.js -- 审计日志, the audit-log viewer (administrators; supervisors see
// the entries of cases in their area): filter by actor, action, case and time
// (kept in the address), newest first with "more", and the verification of
// the whole hash chain on demand (GET /api/v1/audit/verify). docs/admin.md.
import { h, field, select, pageTitle, errorBox, fmtTime, loading } from '../ui.js';
import { t, has } from '../i18n.js';
import { get } from '../api.js';
import { areaLabel } from '../catalog.js';
import { reasonText, reasonCode, actorLabel, TYPED } from '../reasons.js';

// The actions a person may look for, case actions first.
const CASE_ACTIONS = ['report', 'register', 'dispatch', 'accept', 'handle', 'feedback', 'verify', 'rework', 'close', 'rate', 'return',
  'uphold', 'reject', 'suspend', 'defer', 'resume', 'extend', 'void', 'merge', 'absorb', 'reopen', 'escalate', 'remind', 'whistle', 'read_contact', 'photo_add'];
const OTHER = ['user_add', 'user_update', 'user_passwd', 'user_passwd_reset', 'category_put', 'duty_import', 'calendar_set', 'hours_set',
  'eval_config', 'worklist_version', 'worklist_config', 'device_add', 'device_update', 'device_delete', 'alarm_rule_add', 'alarm_rule_update',
  'alarm_rule_delete', 'silence_add', 'silence_delete', 'sensor_settings', 'warning_config', 'open311_key_add', 'open311_key_off', 'webhook_add', 'webhook_update',
  'device_import', 'warning_ack', 'warning_dismiss', 'warning_case', 'duty', 'login_throttled', 'login_locked', 'login_unlock'];

export function actionLabel(a) {
  if (has('audit.act.' + a)) return t('audit.act.' + a);
  if (has('action.' + a)) return t('action.' + a);
  return t('audit.act_other');
}

export async function render(ctx) {
  const q = ctx.query;
  const actor = h('input', { type: 'text', name: 'actor', value: q.get('actor') || '', maxlength: 60, autocomplete: 'off' });
  const action = select([['', t('queue.all')], ...[...CASE_ACTIONS, ...OTHER].map((a) => [a, actionLabel(a)])], q.get('action'), { name: 'action' });
  const kase = h('input', { type: 'text', name: 'case', value: q.get('case') || '', maxlength: 30, placeholder: 'JC20261127-6' });
  const from = h('input', { type: 'datetime-local', name: 'from', value: q.get('from') || '' });
  const to = h('input', { type: 'datetime-local', name: 'to', value: q.get('to') || '' });
  const form = h('form', { class: 'card filters', role: 'search', id: 'audit-filters', 'aria-label': t('queue.filters') },
    field(t('audit.actor'), actor, t('audit.actor_hint')), field(t('audit.action'), action), field(t('audit.case'), kase),
    field(t('audit.from'), from), field(t('audit.to'), to),
    h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('queue.apply')),
      h('a', { class: 'btn ghost', href: '#/audit' }, t('queue.reset'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim()) p.set(k, String(v).trim());
    ctx.navigate('/audit' + (p.toString() ? '?' + p : ''));
  });

  // the chain: verified on demand (it reads every entry)
  const chainOut = h('div', { id: 'chain-result', role: 'status' });
  const chainBtn = h('button', { type: 'button', class: 'btn', id: 'chain-verify' }, t('audit.verify'));
  chainBtn.addEventListener('click', async () => {
    chainBtn.disabled = true;
    chainOut.replaceChildren(loading());
    try {
      const r = await get('/api/v1/audit/verify');
      chainOut.replaceChildren(r.ok
        ? h('p', { class: 'trace ok', dataset: { chain: 'ok' } }, '✓ ' + t('audit.chain_ok', { n: r.entries, cases: r.cases }), ' ', h('code', { title: r.head }, (r.head || '').slice(0, 16) + '…'))
        : h('p', { class: 'trace bad', dataset: { chain: 'bad' } }, '✗ ' + t('audit.chain_bad', { seq: r.bad_seq }), r.message ? ' — ' + r.message : ''));
    } catch (e) { chainOut.replaceChildren(errorBox(e)); }
    chainBtn.disabled = false;
  });
  const chain = h('section', { class: 'card', 'aria-labelledby': 'chain-h' }, h('div', { class: 'card-head' }, h('h2', { id: 'chain-h' }, t('audit.chain')), chainBtn),
    h('p', { class: 'muted' }, t('audit.chain_intro')), chainOut);

  const status = h('p', { class: 'muted', role: 'status', id: 'audit-status' });
  const body = h('tbody');
  const out = h('div', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'cases', id: 'audit-table' },
    h('thead', null, h('tr', null, ['audit.seq', 'audit.at', 'audit.who', 'audit.action', 'audit.case', 'audit.states', 'audit.reason', 'audit.hash'].map((k) => h('th', { scope: 'col' }, t(k))))),
    body)), status);
  const more = h('button', { type: 'button', class: 'btn ghost', hidden: true, id: 'audit-more' }, t('audit.more'));
  ctx.root.append(pageTitle(t('audit.title')), h('p', { class: 'muted' }, t(ctx.user.role === 'admin' ? 'audit.intro' : 'audit.intro_scoped')), chain, form, out,
    h('div', { class: 'btn-row center' }, more));

  const params = new URLSearchParams({ limit: '100' });
  for (const k of ['actor', 'action', 'case']) if (q.get(k)) params.set(k, q.get(k));
  // the address keeps Beijing time as typed; the API takes it as such (no zone = Asia/Shanghai)
  for (const k of ['from', 'to']) if (q.get(k)) params.set(k, q.get(k));
  let before = null, n = 0;
  const cell = (k, v) => h('td', { 'data-label': t(k) }, h('span', { class: 'cv' }, v));
  // the reason worded; a login, device number or address in it set as code (typed, not read)
  const reasonCell = (e) => {
    const text = reasonText(e, { composed: !e.case_id });
    const c = !e.case_id && String(e.reason).startsWith('{"code":"') ? reasonCode({ ...e, role: 'system' }) : null;
    let parts = [text];
    for (const v of TYPED.map((k) => c?.[k]).filter((v) => typeof v === 'string' && v))
      parts = parts.flatMap((s) => (typeof s !== 'string' ? [s] : s.split(v).flatMap((x, i) => (i ? [h('code', null, v), x] : [x]))));
    return parts;
  };
  async function load() {
    more.disabled = true;
    try {
      const p = new URLSearchParams(params);
      if (before) p.set('before', before);
      const r = await get('/api/v1/audit?' + p);
      for (const e of r.entries) {
        body.append(h('tr', { dataset: { seq: e.seq, action: e.action } },
          cell('audit.seq', String(e.seq)), cell('audit.at', fmtTime(e.at)),
          cell('audit.who', [h('span', { title: e.actor }, actorLabel(e)), h('div', { class: 'small muted' }, has('role.' + e.role) ? t('role.' + e.role) : t('role.system'))]),
          cell('audit.action', h('span', { title: e.action }, actionLabel(e.action))),
          cell('audit.case', e.case_id ? [h('a', { href: '#/case/' + e.case_id }, e.no || '#' + e.case_id), e.area ? h('div', { class: 'small muted' }, areaLabel(e.area)) : null] : '—'),
          cell('audit.states', e.to && e.from !== e.to ? (e.from ? t('state.' + e.from) + ' → ' : '') + t('state.' + e.to) : '—'),
          cell('audit.reason', e.reason ? reasonCell(e) : '—'),
          cell('audit.hash', h('code', { title: e.hash }, (e.hash || '').slice(0, 12) + '…'))));
      }
      n += r.entries.length;
      before = r.next_before;
      status.textContent = n ? t(before ? 'audit.count_more' : 'audit.count', { n, seq: before || '' }) : (before ? t('audit.none_yet', { seq: before }) : t('audit.none'));
      more.hidden = !before;
    } catch (e) { out.prepend(errorBox(e)); }
    more.disabled = false;
  }
  more.addEventListener('click', load);
  await load();
}
