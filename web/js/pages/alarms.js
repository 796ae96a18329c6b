// alarms.js -- sensor alarms (感知告警): active / acknowledged / all, with ack
// and clear (with a reason); silences (maintenance windows): list, add, remove.
import { h, field, select, pageTitle, errorBox, toast, fmtTime, loading, serverNow } from '../ui.js';
import { t } from '../i18n.js';
import { get, post, api } from '../api.js';
import { areaLabel, categoryName, areasOf, childrenOf } from '../catalog.js';
import { deviceType, metricName, severityText, codeText } from '../reasons.js';

// What an alarm's value means to a person: hours without activity for a door
// left shut, else the metric and its reading (two decimals at most).
function valueText(a) {
  if (a.value == null) return '—';
  if (a.kind === 'inactivity') return t('alarm.quiet_hours', { h: Math.round(a.value) });
  return `${a.metric ? metricName(a.metric) + ' ' : ''}${Math.round(a.value * 100) / 100}`;
}

const TYPES = ['smoke', 'gas', 'water_level', 'manhole_tilt', 'door_contact', 'ebike_charging', 'noise', 'generic'];
// A clear reason: a code the platform wrote, or a person's text (earlier builds: English).
const clearText = (r) => (String(r).startsWith('{"code":"') ? (() => { try { return codeText(JSON.parse(r)); } catch { return ''; } })() : /^[\x00-\x7f]+$/.test(r) ? t('alarm.cleared_auto') : r);

const STATES = ['active', 'acknowledged', 'cleared', 'all'];
const CAN_ACT = ['admin', 'dispatcher', 'community_staff'];

export async function render(ctx) {
  const state = STATES.includes(ctx.query.get('state')) ? ctx.query.get('state') : 'active';
  const list = h('div', { id: 'alarm-list' }, loading());
  const sil = h('div', { id: 'silence-list' });
  ctx.root.append(pageTitle(t('alarm.title')), h('p', { class: 'muted' }, t('alarm.intro')),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('alarm.title') },
      STATES.map((k) => h('a', { role: 'tab', href: '#/alarms?state=' + k, 'aria-selected': String(k === state), class: 'tab' + (k === state ? ' active' : ''), dataset: { tab: k } }, t('alarm.st_' + k)))),
    h('section', { class: 'card' }, list),
    h('section', { class: 'card', 'aria-labelledby': 'sil-h' }, h('h2', { id: 'sil-h' }, t('alarm.silences')), sil));
  const canAct = CAN_ACT.includes(ctx.user.role);
  const act = async (path, body, btn) => {
    btn.disabled = true;
    try { await post(path, body); toast(t('alarm.done')); ctx.rerender(); } catch (e) { btn.disabled = false; list.prepend(errorBox(e)); }
  };
  try {
    const r = await get('/api/v1/alarms?limit=200' + (state === 'all' ? '' : '&state=' + state));
    const alarms = r.alarms || [];
    list.replaceChildren(alarms.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'cases', id: 'alarm-table' },
      h('thead', null, h('tr', null, ['alarm.device', 'alarm.rule', 'alarm.severity', 'alarm.value', 'alarm.when', 'case.area', 'alarm.state', 'alarm.case', 'case.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, alarms.map((a) => {
        let actions = null;
        if (canAct && a.state !== 'cleared') {
          const reason = h('input', { type: 'text', name: 'reason', maxlength: 200, 'aria-label': t('alarm.reason'), placeholder: t('alarm.reason') });
          const ack = a.state === 'active' ? h('button', { type: 'button', class: 'btn small primary', dataset: { alarmAction: 'ack' } }, t('alarm.ack')) : null;
          const clr = h('button', { type: 'button', class: 'btn small ghost', dataset: { alarmAction: 'clear' } }, t('alarm.clear'));
          ack?.addEventListener('click', () => act(`/api/v1/alarms/${a.id}/ack`, {}, ack));
          clr.addEventListener('click', () => act(`/api/v1/alarms/${a.id}/clear`, reason.value.trim() ? { reason: reason.value.trim() } : {}, clr));
          actions = h('div', { class: 'inline' }, ack, reason, clr);
        }
        const c = (k, v) => h('td', { 'data-label': t(k) }, h('span', { class: 'cv' }, v));
        return h('tr', { dataset: { alarm: a.id, state: a.state } },
          c('alarm.device', [h('code', null, a.device), h('div', { class: 'small muted' }, deviceType(a.device_type))]),
          c('alarm.rule', [a.rule || a.kind, a.category ? h('div', { class: 'small muted' }, categoryName(a.category)) : null]),
          c('alarm.severity', h('span', { class: 'badge sev-' + a.severity }, severityText(a.severity))),
          c('alarm.value', [valueText(a), a.count > 1 ? h('div', { class: 'small muted' }, t('alarm.count', { n: a.count })) : null]),
          c('alarm.when', [fmtTime(a.first_at), a.last_at !== a.first_at ? h('div', { class: 'small muted' }, t('alarm.last', { at: fmtTime(a.last_at) })) : null]),
          c('case.area', a.grid ? areaLabel(a.grid) : '—'),
          c('alarm.state', [h('span', { class: 'badge ' + ({ active: 'red', acknowledged: 'amber', cleared: 'green' }[a.state] || '') }, t('alarm.st_' + a.state)),
            a.clear_reason ? h('div', { class: 'small muted' }, clearText(a.clear_reason)) : null]),
          c('alarm.case', a.case_id ? h('a', { href: '#/case/' + a.case_id, dataset: { alarmCase: a.case_id } }, t('alarm.case_link')) : '—'),
          c('case.actions', actions || '—'));
      })))) : h('p', { class: 'muted empty' }, t('alarm.none')));
  } catch (e) { list.replaceChildren(e.status === 404 ? h('p', { class: 'alert info' }, t('common.not_available')) : errorBox(e)); }
  if (!CAN_ACT.includes(ctx.user.role)) { sil.closest('section').hidden = true; return; }
  try {
    const r = await get('/api/v1/silences');
    const rows = r.silences || [];
    const grid = h('select', { name: 'grid' }, h('option', { value: '' }, '—'),
      areasOf('community').map((cm) => h('optgroup', { label: cm.name }, h('option', { value: cm.code }, cm.name), childrenOf(cm.code).map((g) => h('option', { value: g.code }, areaLabel(g.code))))));
    const type = h('select', { name: 'type' }, h('option', { value: '' }, '—'), TYPES.map((x) => h('option', { value: x }, deviceType(x))));
    const device = h('input', { type: 'text', name: 'device' });
    const until = h('input', { type: 'datetime-local', name: 'until', required: true, value: new Date(serverNow() + 8 * 3600e3 + 4 * 3600e3).toISOString().slice(0, 16) });
    const reason = h('input', { type: 'text', name: 'reason', required: true, maxlength: 200 });
    const err = h('div');
    const form = h('form', { class: 'filters', id: 'silence-form' }, field(t('alarm.sil_grid'), grid), field(t('alarm.sil_type'), type), field(t('alarm.sil_device'), device),
      field(t('alarm.sil_until'), until), field(t('alarm.reason'), reason), h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('alarm.sil_add'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { until: until.value, reason: reason.value.trim() };
      if (grid.value) body.grid = grid.value;
      if (type.value) body.type = type.value;
      if (device.value.trim()) body.device = device.value.trim();
      try { await post('/api/v1/silences', body); toast(t('alarm.sil_added')); ctx.rerender(); } catch (e) { err.replaceChildren(errorBox(e)); }
    });
    sil.replaceChildren(rows.length ? h('ul', { class: 'plain', id: 'silences' }, rows.map((s) => {
      const rm = h('button', { type: 'button', class: 'btn small danger-outline' }, t('des.remove'));
      rm.addEventListener('click', async () => { try { await api('DELETE', '/api/v1/silences/' + s.id); ctx.rerender(); } catch (e) { err.replaceChildren(errorBox(e)); } });
      return h('li', { dataset: { silence: s.id } }, h('strong', null, s.device ? h('code', null, s.device) : null, [s.device ? '' : null, s.grid ? areaLabel(s.grid) : null, s.type ? deviceType(s.type) : null].filter((x) => x).join(' · ') || (s.device ? '' : '—')), ' ',
        h('small', { class: 'muted' }, `${fmtTime(s.from)} – ${fmtTime(s.until)}`, s.suppressed ? ' · ' + t('alarm.suppressed', { n: s.suppressed }) : ''), ' ', s.reason ? '· ' + s.reason + ' ' : '', rm);
    })) : h('p', { class: 'muted' }, t('alarm.no_silences')), form, err);
  } catch (e) { sil.replaceChildren(errorBox(e)); }
}
