// designer.js -- 基层设计 for admin and dispatchers: the responsibility list
// (active version as a table, CSV download, CSV upload with the row errors on
// refusal, versions), a routing preview (category + point -> department and
// why, via /route/explain), the working calendar (year view, corrections) and
// the sensor alarm rules (list, create, edit; validation errors shown) and the
// early-warning settings (GET/PUT /api/v1/warnings/config); the categories
// (table, edit and new, PUT /api/v1/categories/:code); before a list upload,
// the preview of the open cases it would route differently
// (POST /api/v1/duties/preview) with a confirm button; the working hours
// (GET/PUT /api/v1/calendar/hours), the evaluation settings (GET/PUT
// /api/v1/eval/config) and the burden limits (GET/PUT /api/v1/burden/config).
// The settings forms leave validation to the server and show its message.
import { h, field, select, pageTitle, errorBox, errorText, toast, fmtTime, loading, serverNow } from '../ui.js';
import { t, getLang } from '../i18n.js';
import { get, post, api, csrfHeaders, ApiError } from '../api.js';
import { catalog, categoryName, areasOf, childrenOf, areaLabel, areaName } from '../catalog.js';
import { gridMap } from '../components/map.js';
import { limitText, deviceType, severityText, ruleParams } from '../reasons.js';
import { stepsList } from '../components/casedispatch.js';

const TABS = ['duties', 'explain', 'calendar', 'hours', 'escalation', 'rules', 'warnings', 'categories', 'evalcfg', 'burden'];

export async function render(ctx) {
  const tab = TABS.includes(ctx.query.get('tab')) ? ctx.query.get('tab') : 'duties';
  const panel = h('div', { role: 'tabpanel', id: 'designer-panel', dataset: { tab } });
  ctx.root.append(pageTitle(t('des.title')), h('p', { class: 'muted' }, t('des.intro')),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('des.title') },
      TABS.map((k) => h('a', { role: 'tab', href: '#/designer?tab=' + k, 'aria-selected': String(k === tab), class: 'tab' + (k === tab ? ' active' : ''), dataset: { tab: k } }, t('des.tab_' + k)))),
    panel);
  return ({ duties, explain, calendar, hours, escalation: escConfig, rules, warnings: warnConfig, categories, evalcfg: evalConfig, burden: burdenConfig })[tab](panel, ctx);
}

// A refused list's row errors (src/duty.c, English) in the reader's words:
// the known ones translated, the others said to be wrong at that row.
const ROW_ERRS = [
  [/^unknown department "([^"]*)" in (\w+)$/, (m) => t('dimp.unknown_dept', { code: m[1], col: m[2] })],
  [/^unknown category "([^"]*)"/, (m) => t('dimp.unknown_cat', { code: m[1] })],
  [/^(accept|handle|verify) limit "([^"]*)" is not/, (m) => t('dimp.limit', { phase: t('phase.' + m[1]), v: m[2] })],
  [/^(accept|handle|verify) limit (out of range|has an unknown unit)/, (m) => t('dimp.limit', { phase: t('phase.' + m[1]), v: '' })],
  [/^duplicate \(category (\w+), scope (\d+)\): entry (\S+) already covers it$/, (m) => t('dimp.dup', { cat: categoryName(m[1]), scope: areaName(m[2]), entry: m[3] })],
  [/^duplicate id "([^"]*)"/, (m) => t('dimp.dup_id', { id: m[1] })],
  [/^legal_basis is missing/, () => t('dimp.basis')],
  [/^may_delegate/, () => t('dimp.delegate')],
  [/^expected (\d+) fields, found (\d+)/, (m) => t('dimp.fields', { n: m[1], m: m[2] })],
  [/^missing column "([^"]*)"/, (m) => t('dimp.missing_col', { col: m[1] })],
  [/^unknown column "([^"]*)"/, (m) => t('dimp.unknown_col', { col: m[1] })],
  [/^scope "([^"]*)"/, (m) => t('dimp.scope', { v: m[1] })],
];
function rowErrorText(line) {
  if (getLang() === 'en') return line;
  const m = /^row (\d+): (.*)$/.exec(line);
  if (!m) return /^\.\.\.|and \d+ more/.test(line) ? t('dimp.more') : t('dimp.other');
  for (const [re, f] of ROW_ERRS) { const x = re.exec(m[2]); if (x) return t('dimp.row', { n: m[1] }) + f(x); }
  return t('dimp.row', { n: m[1] }) + t('dimp.other');
}

const dname = (code) => { const d = catalog().byDeptCode.get(code); return d ? (getLang() === 'en' ? d.name_en || d.name : d.name) : code; };
// The level of an entry's scope and the area's name (a code only where the catalogue has no name for it).
const scopeLabel = (s) => t('route.scope_' + ({ 6: 'district', 9: 'street', 12: 'community' }[String(s).length] || 'other')) +
  (areaName(s) !== String(s) ? ' ' + areaName(s) : String(s).length === 6 ? '' : ' ' + s);

// ---- responsibility list ----
async function duties(panel, ctx) {
  panel.append(loading());
  let list, versions;
  try { [list, versions] = await Promise.all([get('/api/v1/duties'), get('/api/v1/duties/versions')]); } catch (e) { panel.replaceChildren(errorBox(e)); return; }
  const file = h('input', { type: 'file', name: 'csv', accept: '.csv,text/csv' });
  const note = h('input', { type: 'text', name: 'note', maxlength: 200 });
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', id: 'duty-upload' },
    field(t('des.csv_file'), file, t('des.csv_hint')),
    h('p', { class: 'small muted' }, t('des.csv_cols'), h('code', null, 'id,category,scope,lead_dept,co_depts,legal_basis,accept,handle,verify,may_delegate')),
    field(t('des.version_note'), note),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.upload'))), result);
  const csvPost = async (path, body) => {
    const res = await fetch(path, { method: 'POST', body, headers: { ...csrfHeaders('POST'), 'content-type': 'text/csv; charset=utf-8' } });
    const json = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, json?.error?.code, json?.error?.message);
    return json;
  };
  const doImport = async (body) => {
    const json = await csvPost('/api/v1/duties/import' + (note.value.trim() ? '?note=' + encodeURIComponent(note.value.trim()) : ''), body);
    toast(t('des.imported', { v: json?.version ?? '' }));
    ctx.rerender();
  };
  // The preview: how many open cases the new list would route differently.
  // Without changes (or a server without the preview) the list is imported at once.
  const showPreview = (p, body, btn) => {
    const changed = p.changed || [];
    const dn = (c) => (c ? dname(c) : t('des.pv_nobody'));
    const ok = h('button', { type: 'button', class: 'btn primary', id: 'preview-confirm' }, t('des.pv_confirm'));
    const cancel = h('button', { type: 'button', class: 'btn ghost' }, t('des.cancel'));
    ok.addEventListener('click', async () => {
      ok.disabled = true;
      try { await doImport(body); } catch (e) { ok.disabled = false; result.append(errorBox(e)); }
    });
    cancel.addEventListener('click', () => { result.replaceChildren(); btn.disabled = false; btn.focus(); });
    result.replaceChildren(h('div', { class: 'preview-box stack', id: 'duty-preview', dataset: { changed: changed.length } },
      h('p', { role: 'status' }, h('strong', null, t('des.pv_title', { n: changed.length })), ' ', t('des.pv_sub', { entries: p.entries ?? '—', checked: p.checked ?? '—' })),
      h('div', { class: 'table-wrap' }, h('table', { class: 'mini', id: 'preview-table' },
        h('thead', null, h('tr', null, ['case.no', 'case.category', 'case.area', 'des.pv_from', 'des.pv_to'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', null, changed.slice(0, 200).map((c) => h('tr', { dataset: { case: c.case_id } },
          h('td', null, h('a', { href: '#/case/' + c.case_id }, c.no || '#' + c.case_id)), h('td', null, categoryName(c.category)), h('td', null, areaLabel(c.area)),
          h('td', null, dn(c.from)), h('td', null, dn(c.to))))))),
      changed.length > 200 ? h('p', { class: 'small muted' }, t('des.pv_more', { n: changed.length - 200 })) : null,
      h('div', { class: 'btn-row' }, ok, cancel)));
    ok.focus();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) { result.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('des.need_file'))); return; }
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const body = await f.text();
      let p = null;
      try { p = await csvPost('/api/v1/duties/preview', body); } catch (e) { if (e.status !== 404 && e.status !== 405) throw e; }
      if (p && (p.changed || []).length) { showPreview(p, body, btn); return; }
      if (p) toast(t('des.pv_none'));
      await doImport(body);
    } catch (e) {
      btn.disabled = false;
      const lines = String(e.message || '').split('\n').filter(Boolean);
      result.replaceChildren(h('div', { class: 'alert error', role: 'alert', dataset: { importError: '1' } }, t('des.refused'),
        lines.length > 1 || /^row \d+/.test(lines[0] || '') ? h('pre', { class: 'errors' }, lines.filter((l) => !/^the list was not imported|^[a-z ]+:$/.test(l)).map(rowErrorText).join('\n')) : ' ' + errorText(e)),
        h('p', { class: 'muted small' }, t('des.unchanged', { v: list.version })));
    }
  });
  const filter = h('input', { type: 'search', id: 'duty-filter', placeholder: t('des.filter_ph') });
  const rows = list.entries || [];
  const tbody = h('tbody');
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    tbody.replaceChildren(...rows.filter((e) => !q || [e.id, e.category, categoryName(e.category), e.scope, dname(e.lead_dept), e.legal_basis].join(' ').toLowerCase().includes(q)).map((e) => h('tr', { dataset: { entry: e.id } },
      h('td', { 'data-label': t('des.col_id') }, h('code', null, e.id)),
      h('td', { 'data-label': t('case.category') }, `${e.category} ${categoryName(e.category)}`),
      h('td', { 'data-label': t('des.col_scope') }, scopeLabel(e.scope)),
      h('td', { 'data-label': t('route.lead') }, dname(e.lead_dept), (e.co_depts || []).length ? h('div', { class: 'small muted' }, t('route.co') + '：' + e.co_depts.map(dname).join('、')) : null),
      h('td', { 'data-label': t('des.col_limits') }, ['accept', 'handle', 'verify'].map((k) => h('div', { class: 'small nowrap', dataset: { limit: e.limits?.[k] || '' } }, t('phase.' + k) + ' ' + limitText(e.limits?.[k])))),
      h('td', { 'data-label': t('route.legal_basis'), class: 'legal-cell' }, e.legal_basis),
      h('td', { 'data-label': t('des.col_delegate') }, e.may_delegate ? '✓' : '—'))));
  };
  filter.addEventListener('input', draw);
  draw();
  panel.replaceChildren(
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'dv-h' }, h('h2', { id: 'dv-h' }, t('des.versions')),
        h('div', { class: 'table-wrap' }, h('table', { class: 'mini', id: 'duty-versions' },
          h('thead', null, h('tr', null, ['des.col_version', 'des.col_created', 'des.col_by', 'des.col_entries', 'des.col_note'].map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', null, (versions.versions || []).map((v) => h('tr', { dataset: { version: v.version, active: v.active ? '1' : '0' } },
            h('td', null, t('des.version_n', { v: v.version }), v.active ? h('span', { class: 'badge green' }, ' ' + t('des.active')) : null),
            h('td', null, fmtTime(v.created_at)), h('td', null, v.created_by === 'demo' ? t('des.by_platform') : (v.created_by_display || v.created_by || '—')), h('td', null, v.entries),
            h('td', null, v.note === 'demo list' ? '' : (v.note || '')))))))),
      h('section', { class: 'card', 'aria-labelledby': 'du-h' }, h('h2', { id: 'du-h' }, t('des.upload_title')),
        h('p', null, h('a', { class: 'btn ghost small', href: '/api/v1/duties/csv', download: `duties-v${list.version}.csv`, id: 'duty-download' }, t('des.download', { v: list.version }))),
        form)),
    h('section', { class: 'card', 'aria-labelledby': 'dl-h' },
      h('div', { class: 'card-head' }, h('h2', { id: 'dl-h' }, t('des.active_list', { v: list.version, n: rows.length })), field(t('des.filter'), filter)),
      h('div', { class: 'table-wrap' }, h('table', { class: 'cases duty-table', id: 'duty-table' },
        h('thead', null, h('tr', null, ['des.col_id', 'case.category', 'des.col_scope', 'route.lead', 'des.col_limits', 'route.legal_basis', 'des.col_delegate'].map((k) => h('th', { scope: 'col' }, t(k))))),
        tbody))));
}

// ---- routing preview ----
async function explain(panel) {
  const en = getLang() === 'en';
  const cat = select([['', t('common.choose')], ...catalog().categories.map((k) => [k.code, `${k.code} ${en ? k.name_en : k.name}`])], '', { name: 'category', required: true });
  const area = h('select', { name: 'area' }, h('option', { value: '' }, t('des.pick_on_map')),
    areasOf('community').map((c) => h('optgroup', { label: c.name }, childrenOf(c.code).map((g) => h('option', { value: g.code }, areaLabel(g.code))))));
  const where = h('p', { class: 'muted', id: 'explain-where', 'aria-live': 'polite' }, t('des.no_point'));
  const out = h('div', { id: 'explain-result', 'aria-live': 'polite' });
  const mapEl = h('div', { class: 'map', id: 'explain-map', role: 'application', 'aria-label': t('des.map_label') });
  let point = null, marker = null, mapObj = null;
  const run = async () => {
    if (!cat.value || (!point && !area.value)) { out.replaceChildren(h('p', { class: 'muted' }, t('des.explain_need'))); return; }
    const body = { category: cat.value, ...(point ? { lon: point.lon, lat: point.lat, crs: 'wgs84' } : { area: area.value }) };
    out.replaceChildren(loading());
    try {
      const r = await post('/api/v1/route/explain', body);
      const e = r.entry;
      out.replaceChildren(h('section', { class: 'card', dataset: { explain: e ? e.id : 'none' } },
        h('h2', null, t('des.result')),
        e ? h('dl', { class: 'summary' },
          h('dt', null, t('route.lead')), h('dd', { dataset: { field: 'lead' } }, dname(e.lead_dept)),
          (e.co_depts || []).length ? [h('dt', null, t('route.co')), h('dd', null, e.co_depts.map(dname).join('、'))] : null,
          h('dt', null, t('route.entry')), h('dd', null, e.id, ' · ', scopeLabel(e.scope)),
          h('dt', null, t('route.grid')), h('dd', null, r.grid ? areaLabel(r.grid) : '—'),
          h('dt', null, t('route.list_version')), h('dd', null, t('des.version_n', { v: r.list_version })),
          h('dt', null, t('des.col_limits')), h('dd', null, ['accept', 'handle', 'verify'].map((k) => t('phase.' + k) + ' ' + limitText(e.limits?.[k])).join(' · ')),
          h('dt', null, t('route.legal_basis')), h('dd', { class: 'legal', dataset: { field: 'legal_basis' } }, e.legal_basis))
          : h('p', { class: 'alert info' }, t('des.no_entry')),
        stepsList(r.steps)));
    } catch (e) { out.replaceChildren(errorBox(e)); }
  };
  cat.addEventListener('change', run);
  area.addEventListener('change', () => { if (area.value) { point = null; marker?.remove(); marker = null; where.textContent = areaLabel(area.value); } run(); });
  panel.append(h('div', { class: 'grid-2' },
    h('section', { class: 'card stack' }, h('h2', null, t('des.explain_title')), h('p', { class: 'muted small' }, t('des.explain_intro')),
      field(t('case.category'), cat), field(t('des.grid_or_map'), area), where, out),
    h('section', { class: 'card' }, mapEl)));
  mapObj = await gridMap(mapEl, {
    onClick: ({ lat, lng }) => {
      point = { lon: +lng.toFixed(6), lat: +lat.toFixed(6) };
      area.value = '';
      if (marker) marker.setLatLng([lat, lng]); else marker = mapObj.L.circleMarker([lat, lng], { radius: 8, color: '#b3261e', fillOpacity: 0.8 }).addTo(mapObj.map);
      where.textContent = t('des.point', { lon: point.lon, lat: point.lat });
      run();
    },
  });
  return () => mapObj?.map.remove();
}

// ---- working calendar ----
async function calendar(panel, ctx) {
  const thisYear = new Date(serverNow() + 8 * 3600e3).getUTCFullYear();
  const year = Number(ctx.query.get('year')) || thisYear;
  panel.append(loading());
  let cal;
  try { cal = await get('/api/v1/calendar?year=' + year); } catch (e) { panel.replaceChildren(errorBox(e)); return; }
  const byDate = new Map((cal.days || []).map((d) => [d.date, d]));
  const yearSel = select([year - 1, year, year + 1].map((y) => [y, String(y)]), year, { name: 'year' });
  yearSel.addEventListener('change', () => ctx.navigate('/designer?tab=calendar&year=' + yearSel.value));
  const wd = t('des.weekdays').split(',');
  const months = [];
  for (let m = 0; m < 12; m++) {
    const first = new Date(Date.UTC(year, m, 1));
    const days = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
    const lead = (first.getUTCDay() + 6) % 7; // Monday first
    const cells = [];
    for (let i = 0; i < lead; i++) cells.push(h('td'));
    for (let d = 1; d <= days; d++) {
      const date = `${year}-${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      const info = byDate.get(date);
      const dow = (lead + d - 1) % 7;
      const cls = [info ? info.kind : '', dow >= 5 ? 'we' : '', info?.overridden ? 'overridden' : ''].filter(Boolean).join(' ');
      cells.push(h('td', { class: cls, dataset: { date }, title: info ? `${date} ${info.name || ''} · ${t('des.kind_' + info.kind)}${info.overridden ? ' · ' + t('des.corrected') : ''}` : date }, d));
    }
    const rows = [];
    for (let i = 0; i < cells.length; i += 7) rows.push(h('tr', null, cells.slice(i, i + 7)));
    months.push(h('div', { class: 'cal-month' }, h('h3', null, t('des.month', { y: year, m: m + 1 })),
      h('table', null, h('thead', null, h('tr', null, wd.map((w) => h('th', { scope: 'col' }, w)))), h('tbody', null, rows))));
  }
  const date = h('input', { type: 'date', name: 'date', required: true, min: `${year}-01-01`, max: `${year}-12-31` });
  const kind = select([['holiday', t('des.kind_holiday')], ['workday', t('des.kind_workday')]], 'holiday', { name: 'kind' });
  const name = h('input', { type: 'text', name: 'name', maxlength: 60 });
  const err = h('div');
  const form = h('form', { class: 'filters', id: 'cal-form' }, field(t('des.date'), date), field(t('des.kind'), kind), field(t('des.day_name'), name),
    h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.add_correction'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const body = { kind: kind.value };
      if (name.value.trim()) body.name = name.value.trim();
      await api('PUT', '/api/v1/calendar/days/' + date.value, body);
      toast(t('des.correction_saved'));
      ctx.navigate('/designer?tab=calendar&year=' + date.value.slice(0, 4));
    } catch (e) { err.replaceChildren(errorBox(e)); }
  });
  const corrections = (cal.days || []).filter((d) => d.overridden);
  const canEdit = ['admin', 'dispatcher'].includes(ctx.user.role);
  panel.replaceChildren(
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', null, t('des.calendar_title', { y: year })), field(t('des.year'), yearSel)),
      h('p', { class: 'muted small' }, t('des.calendar_source', { src: cal.source || '—', last: cal.last_known_year ?? '—' }), cal.provisional ? ' ' + t('des.calendar_provisional') : ''),
      h('div', { class: 'legend-row' }, h('span', null, h('i', { style: 'background:#fdecea' }), t('des.kind_holiday')), h('span', null, h('i', { style: 'background:#e3eef8' }), t('des.kind_adjusted_workday')),
        h('span', null, h('i', { style: 'outline:2px solid #b7791f' }), t('des.corrected'))),
      h('div', { class: 'cal-year', id: 'cal-year' }, months)),
    h('section', { class: 'card', 'aria-labelledby': 'corr-h' }, h('h2', { id: 'corr-h' }, t('des.corrections')),
      corrections.length ? h('ul', { class: 'plain', id: 'cal-corrections' }, corrections.map((d) => {
        const rm = h('button', { type: 'button', class: 'btn small danger-outline', dataset: { remove: d.date } }, t('des.remove'));
        rm.addEventListener('click', async () => {
          try { await api('DELETE', '/api/v1/calendar/days/' + d.date); toast(t('des.correction_removed')); ctx.rerender(); } catch (e) { err.replaceChildren(errorBox(e)); }
        });
        return h('li', { dataset: { date: d.date } }, h('strong', null, d.date), ' ', t('des.kind_' + d.kind), d.name ? ' · ' + d.name : '', ' ', canEdit ? rm : null);
      })) : h('p', { class: 'muted' }, t('des.no_corrections')),
      canEdit ? form : null, err));
}

// ---- alarm rules ----
const RULE_KINDS = { threshold: ['metric', 'high', 'low'], rate: ['metric', 'rate'], inactivity: ['metric', 'duration_s', 'from', 'to'], offline: ['k'], battery: ['low', 'high'] };
const NUM = new Set(['high', 'low', 'rate', 'duration_s', 'k']);
async function rules(panel, ctx) {
  panel.append(loading());
  let list, types;
  try { [list, types] = await Promise.all([get('/api/v1/alarm-rules'), get('/api/v1/device-types').catch(() => null)]); }
  catch (e) { panel.replaceChildren(e.status === 404 ? h('p', { class: 'alert info' }, t('common.not_available')) : errorBox(e)); return; }
  const typeNames = (types?.types || types?.device_types || []).map((x) => (typeof x === 'string' ? x : x.type || x.name)).filter(Boolean);
  const formHost = h('div', { id: 'rule-form-host' });
  const openForm = (rule) => { formHost.replaceChildren(ruleForm(rule, typeNames, ctx)); formHost.querySelector('input, select')?.focus(); };
  const add = h('button', { type: 'button', class: 'btn primary', id: 'rule-new' }, t('des.rule_new'));
  add.addEventListener('click', () => openForm(null));
  const rs = list.rules || [];
  panel.replaceChildren(
    h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', null, t('des.rules_title', { n: rs.length })), add), formHost,
      h('div', { class: 'table-wrap' }, h('table', { class: 'cases', id: 'rule-table' },
        h('thead', null, h('tr', null, ['des.col_id', 'des.rule_name', 'des.rule_type', 'des.rule_kind', 'des.rule_params', 'des.rule_severity', 'des.rule_case', 'case.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', null, rs.map((r) => {
          const edit = h('button', { type: 'button', class: 'btn small ghost', dataset: { edit: r.id } }, t('des.edit'));
          edit.addEventListener('click', () => openForm(r));
          return h('tr', { dataset: { rule: r.id }, class: r.enabled === false ? 'past' : '' },
            h('td', { 'data-label': t('des.col_id') }, r.id), h('td', { 'data-label': t('des.rule_name') }, r.name || '—', r.device ? h('div', { class: 'small muted' }, t('des.rule_device', { d: '' }), h('code', null, r.device)) : null),
            h('td', { 'data-label': t('des.rule_type') }, deviceType(r.type)), h('td', { 'data-label': t('des.rule_kind') }, t('des.kind_rule_' + r.kind)),
            h('td', { 'data-label': t('des.rule_params') }, ruleParams(r) || '—'),
            h('td', { 'data-label': t('des.rule_severity') }, h('span', { class: 'badge sev-' + r.severity }, severityText(r.severity))),
            h('td', { 'data-label': t('des.rule_case') }, r.opens_case ? `✓ ${r.category || ''} ${r.category ? categoryName(r.category) : ''}` : '—', r.enabled === false ? h('div', { class: 'small muted' }, t('des.disabled')) : null),
            h('td', { 'data-label': t('case.actions') }, edit));
        }))))));
}

function ruleForm(rule, typeNames, ctx) {
  const en = getLang() === 'en';
  const v = rule || { kind: 'threshold', severity: 'minor', enabled: true, opens_case: false };
  const types = [...new Set([...(typeNames || []), ...(v.type ? [v.type] : [])])];
  const ctl = {
    name: h('input', { type: 'text', name: 'name', maxlength: 100, value: v.name || '' }),
    type: types.length ? select(types.map((x) => [x, deviceType(x)]), v.type, { name: 'type' }) : h('input', { type: 'text', name: 'type', value: v.type || '' }),
    device: h('input', { type: 'text', name: 'device', value: v.device || '' }),
    kind: select(Object.keys(RULE_KINDS).map((k) => [k, t('des.kind_rule_' + k)]), v.kind, { name: 'kind' }),
    metric: h('input', { type: 'text', name: 'metric', value: v.metric || '' }),
    high: h('input', { type: 'number', step: 'any', name: 'high', value: v.high ?? '' }),
    low: h('input', { type: 'number', step: 'any', name: 'low', value: v.low ?? '' }),
    rate: h('input', { type: 'number', step: 'any', name: 'rate', value: v.rate ?? '' }),
    duration_s: h('input', { type: 'number', name: 'duration_s', min: 1, value: v.duration_s ?? '' }),
    from: h('input', { type: 'text', name: 'from', placeholder: 'HH:MM', value: v.window?.from || v.from || '' }),
    to: h('input', { type: 'text', name: 'to', placeholder: 'HH:MM', value: v.window?.to || v.to || '' }),
    k: h('input', { type: 'number', step: 'any', name: 'k', value: v.k ?? '' }),
    severity: select(['info', 'minor', 'major', 'critical'].map((s) => [s, severityText(s)]), v.severity, { name: 'severity' }),
    category: select([['', '—'], ...catalog().categories.map((k) => [k.code, `${k.code} ${en ? k.name_en : k.name}`])], v.category, { name: 'category' }),
    opens_case: h('input', { type: 'checkbox', name: 'opens_case', checked: !!v.opens_case }),
    enabled: h('input', { type: 'checkbox', name: 'enabled', checked: v.enabled !== false }),
  };
  const wrap = {};
  for (const [k, c] of Object.entries(ctl)) wrap[k] = field(t('des.f_' + k), c);
  const sync = () => { for (const k of ['metric', 'high', 'low', 'rate', 'duration_s', 'from', 'to', 'k']) wrap[k].hidden = !RULE_KINDS[ctl.kind.value].includes(k); };
  ctl.kind.addEventListener('change', sync);
  sync();
  const err = h('div');
  const cancel = h('button', { type: 'button', class: 'btn ghost' }, t('des.cancel'));
  const form = h('form', { class: 'card rule-form', id: 'rule-form', dataset: { rule: rule ? rule.id : 'new' } },
    h('h3', null, rule ? t('des.rule_edit', { id: rule.id }) : t('des.rule_new')),
    h('div', { class: 'filters' }, Object.values(wrap)), err,
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.save')), cancel));
  cancel.addEventListener('click', () => form.remove());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { kind: ctl.kind.value, severity: ctl.severity.value, opens_case: ctl.opens_case.checked, enabled: ctl.enabled.checked };
    if (!rule) body.type = ctl.type.value;
    if (ctl.name.value.trim()) body.name = ctl.name.value.trim();
    if (!rule && ctl.device.value.trim()) body.device = ctl.device.value.trim();
    if (ctl.category.value) body.category = ctl.category.value;
    for (const k of RULE_KINDS[body.kind]) {
      const s = ctl[k].value.trim();
      if (s === '') continue;
      body[k] = NUM.has(k) ? Number(s) : s;
    }
    try {
      if (rule) await api('PUT', '/api/v1/alarm-rules/' + rule.id, body);
      else await post('/api/v1/alarm-rules', body);
      toast(t('des.rule_saved'));
      ctx.rerender();
    } catch (e) { err.replaceChildren(h('div', { class: 'alert error', role: 'alert', dataset: { ruleError: '1' } }, errorText(e))); }
  });
  return form;
}

// ---- early-warning settings ----
async function warnConfig(panel, ctx) {
  panel.append(loading());
  let c;
  try { c = await get('/api/v1/warnings/config'); } catch (e) { panel.replaceChildren(errorBox(e)); return; }
  const num = (name, value, attrs) => h('input', { type: 'number', name, value: value ?? '', ...attrs });
  const method = select((c.methods || [c.method]).map((m) => [m, t('wcfg.m_' + m)]), c.method, { name: 'method' });
  const baseline = num('baseline', c.baseline, { min: 3, max: 28, step: 1, required: true });
  const alpha = num('alpha', c.alpha, { min: 0.00001, max: 0.5, step: 'any' });
  const minCount = num('min_count', c.min_count, { min: 0, step: 1, required: true });
  const conf = num('confidence', c.confidence, { min: 0, max: 1, step: 0.05, required: true });
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', id: 'warn-config' },
    h('div', { class: 'filters' },
      field(t('wcfg.method'), method, t('wcfg.method_hint')),
      field(t('wcfg.baseline'), baseline, t('wcfg.baseline_hint')),
      field(t('wcfg.alpha'), alpha, t('wcfg.alpha_hint')),
      field(t('wcfg.min_count'), minCount, t('wcfg.min_count_hint')),
      field(t('wcfg.confidence'), conf, t('wcfg.confidence_hint'))),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.save')),
      h('button', { type: 'button', class: 'btn ghost', id: 'warn-run' }, t('wcfg.run'))), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { method: method.value, baseline: Number(baseline.value), min_count: Number(minCount.value), confidence: Number(conf.value) };
    if (alpha.value !== '') body.alpha = Number(alpha.value);
    try { await api('PUT', '/api/v1/warnings/config', body); toast(t('wcfg.saved')); ctx.rerender(); } catch (e) { msg.replaceChildren(errorBox(e)); }
  });
  form.querySelector('#warn-run').addEventListener('click', async (ev) => {
    ev.target.disabled = true;
    try { await post('/api/v1/warnings/run', {}); toast(t('wcfg.ran')); } catch (e) { msg.replaceChildren(errorBox(e)); }
    ev.target.disabled = false;
  });
  panel.replaceChildren(h('section', { class: 'card stack' }, h('h2', null, t('wcfg.title')), h('p', { class: 'muted' }, t('wcfg.intro')), form));
}

// ---- working hours ----
// The same intervals for every working day (Asia/Shanghai); deadlines count
// only time inside them (docs/dispatch.md "Working time").
async function hours(panel, ctx) {
  panel.append(loading());
  let cur;
  try { cur = await get('/api/v1/calendar/hours'); } catch (e) { panel.replaceChildren(errorBox(e)); return; }
  const list = h('ol', { class: 'plain hours-list', id: 'hours-list' });
  const total = h('p', { class: 'muted small', id: 'hours-total', 'aria-live': 'polite' });
  const msg = h('div', { id: 'hours-error', 'aria-live': 'polite' });
  const minutes = (v) => { const m = /^(\d\d):(\d\d)$/.exec(v || ''); return m ? Number(m[1]) * 60 + Number(m[2]) : null; };
  const sum = () => {
    let n = 0;
    for (const li of list.children) {
      const [a, b] = [...li.querySelectorAll('input')].map((i) => minutes(i.value));
      if (a != null && b != null && b > a) n += b - a;
    }
    total.textContent = t('hours.total', { h: Math.round(n / 6) / 10 });
  };
  const addRow = (from = '', to = '') => {
    const i = list.children.length + 1;
    const start = h('input', { type: 'time', name: 'start', value: from, step: 60, 'aria-label': t('hours.start_n', { n: i }) });
    const end = h('input', { type: 'time', name: 'end', value: to, step: 60, 'aria-label': t('hours.end_n', { n: i }) });
    const rm = h('button', { type: 'button', class: 'btn small ghost', 'aria-label': t('hours.remove_n', { n: i }) }, '×');
    const li = h('li', { class: 'btn-row', dataset: { interval: i } }, h('span', { class: 'small muted' }, t('hours.interval_n', { n: i })), start, '—', end, rm);
    rm.addEventListener('click', () => { li.remove(); sum(); });
    start.addEventListener('input', sum);
    end.addEventListener('input', sum);
    list.append(li);
    sum();
  };
  for (const [a, b] of cur.intervals || []) addRow(a, b);
  const add = h('button', { type: 'button', class: 'btn small', id: 'hours-add' }, t('hours.add'));
  add.addEventListener('click', () => { if (list.children.length < 8) addRow(); });
  const form = h('form', { class: 'stack', id: 'hours-form', novalidate: true }, list, h('div', { class: 'btn-row' }, add), total,
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.save'))), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const intervals = [...list.children].map((li) => [...li.querySelectorAll('input')].map((i) => i.value));
    try { await api('PUT', '/api/v1/calendar/hours', { intervals }); toast(t('hours.saved')); ctx.rerender(); } catch (e) { msg.replaceChildren(errorBox(e)); }
  });
  panel.replaceChildren(h('section', { class: 'card stack' }, h('h2', null, t('hours.title')),
    h('p', { class: 'muted' }, t('hours.intro', { tz: cur.timezone || 'Asia/Shanghai' })), form));
}

// ---- escalation settings (督办设置, GET/PUT /api/v1/escalation/config) ----
// One reminder, one overdue escalation and optionally one to the leader per
// phase (docs/dispatch.md, Escalation); the server checks the ranges.
async function escConfig(panel, ctx) {
  panel.append(loading());
  let c;
  try { c = await get('/api/v1/escalation/config'); } catch (e) { panel.replaceChildren(errorBox(e)); return; }
  const pct = h('input', { type: 'number', name: 'remind_pct', value: c.remind_pct, min: 50, max: 95, step: 1, inputmode: 'numeric' });
  const leader = h('input', { type: 'checkbox', name: 'leader_level', id: 'esc-leader', checked: c.leader_level });
  const after = h('input', { type: 'number', name: 'leader_after_h', value: c.leader_after_h, min: 0.5, max: 175, step: 0.5, inputmode: 'decimal' });
  const msg = h('div', { id: 'esc-config-error', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', id: 'esc-config', novalidate: true },
    h('p', { class: 'small' }, t('esc.levels')),
    h('div', { class: 'filters' },
      field(t('esc.remind_pct'), pct, t('esc.remind_pct_hint')),
      h('div', { class: 'field' }, h('label', { class: 'inline', for: 'esc-leader' }, leader, ' ', t('esc.leader_level'))),
      field(t('esc.leader_after_h'), after, t('esc.leader_after_h_hint'))),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.save'))), msg);
  const val = (el) => (el.value.trim() === '' ? el.value : Number(el.value));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    try {
      await api('PUT', '/api/v1/escalation/config', { remind_pct: val(pct), leader_level: leader.checked, leader_after_h: val(after) });
      toast(t('esc.saved'));
      ctx.rerender();
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  });
  panel.replaceChildren(h('section', { class: 'card stack' }, h('h2', null, t('esc.title')), h('p', { class: 'muted' }, t('esc.intro')), form));
}

// ---- evaluation settings ----
async function evalConfig(panel, ctx) {
  panel.append(loading());
  let c;
  try { c = await get('/api/v1/eval/config'); } catch (e) { panel.replaceChildren(errorBox(e)); return; }
  const num = (name, value, label, hint, attrs = {}) => {
    const el = h('input', { type: 'number', name, value: value ?? '', step: 'any', inputmode: 'decimal', ...attrs });
    return [el, field(label, el, hint)];
  };
  const [wBasic, wBasicF] = num('w_basic', c.w_basic, t('ecfg.w_basic'), t('ecfg.w_basic_hint'));
  const [minCases, minCasesF] = num('min_cases', c.min_cases, t('ecfg.min_cases'), t('ecfg.min_cases_hint'), { step: 1 });
  const [limitH, limitHF] = num('dispatch_limit_h', c.dispatch_limit_h, t('ecfg.dispatch_limit_h'), t('ecfg.dispatch_limit_h_hint'));
  const grades = Object.entries(c.grades || {}).map(([g, v]) => num('grade.' + g, v, t('ecfg.grade', { g }), null));
  const weights = Object.entries(c.weights || {}).map(([k, v]) => num('weight.' + k, v, t('ev.i_' + k), null));
  const msg = h('div', { id: 'eval-config-error', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', id: 'eval-config', novalidate: true },
    h('div', { class: 'filters' }, wBasicF, minCasesF, limitHF),
    h('fieldset', null, h('legend', null, t('ecfg.grades')), h('div', { class: 'filters' }, grades.map(([, f]) => f))),
    h('fieldset', null, h('legend', null, t('ecfg.weights')), h('p', { class: 'muted small' }, t('ecfg.weights_hint')),
      h('div', { class: 'filters' }, weights.map(([, f]) => f))),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.save'))), msg);
  // Values go as typed; the server checks ranges and order and names the field.
  const val = (el) => (el.value.trim() === '' ? el.value : Number(el.value));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const body = { w_basic: val(wBasic), min_cases: val(minCases), dispatch_limit_h: val(limitH), grades: {}, weights: {} };
    for (const [el] of grades) body.grades[el.name.slice(6)] = val(el);
    for (const [el] of weights) body.weights[el.name.slice(7)] = val(el);
    try { await api('PUT', '/api/v1/eval/config', body); toast(t('ecfg.saved')); ctx.rerender(); } catch (e) { msg.replaceChildren(errorBox(e)); }
  });
  panel.replaceChildren(h('section', { class: 'card stack' }, h('h2', null, t('ecfg.title')), h('p', { class: 'muted' }, t('ecfg.intro')), form));
}

// ---- burden limits ----
const BURDEN_KINDS = ['task', 'form', 'report', 'inspection', 'meeting', 'signboard', 'data_request'];
async function burdenConfig(panel, ctx) {
  panel.append(loading());
  let c;
  try { c = await get('/api/v1/burden/config'); } catch (e) { panel.replaceChildren(errorBox(e)); return; }
  const inputs = [];
  const num = (key, label) => {
    const el = h('input', { type: 'number', name: key, value: c.values[key], step: 'any', inputmode: 'decimal', dataset: { orig: String(c.values[key]) } });
    inputs.push(el);
    return field(label, el, t('bcfg.default', { v: c.defaults[key] }));
  };
  const msg = h('div', { id: 'burden-config-error', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', id: 'burden-config', novalidate: true },
    h('div', { class: 'filters' }, num('limit.tasks_per_community_month', t('bcfg.limit'))),
    h('fieldset', null, h('legend', null, t('bcfg.hours')), h('div', { class: 'filters' }, BURDEN_KINDS.map((k) => num('hours.' + k, t('wl.kind_' + k))))),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.save'))), msg);
  // One PUT per changed setting (the API takes one key a request), in order;
  // the first refusal stops and is shown with the setting it concerns.
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const changed = inputs.filter((el) => el.value !== el.dataset.orig && Number(el.value) !== Number(el.dataset.orig));
    for (const el of changed) {
      try {
        await api('PUT', '/api/v1/burden/config', { key: el.name, value: el.value.trim() === '' ? el.value : Number(el.value) });
        el.dataset.orig = el.value;
      } catch (e) {
        el.setAttribute('aria-invalid', 'true');
        msg.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, el.labels?.[0]?.textContent + ' · ' + errorText(e)));
        el.focus();
        return;
      }
    }
    toast(changed.length ? t('bcfg.saved', { n: changed.length }) : t('bcfg.unchanged'));
    ctx.rerender();
  });
  panel.replaceChildren(h('section', { class: 'card stack' }, h('h2', null, t('bcfg.title')), h('p', { class: 'muted' }, t('bcfg.intro')), form));
}

// ---- categories ----
const FIELD_TYPES = ['text', 'number', 'choice'];
async function categories(panel, ctx) {
  panel.append(loading());
  let list, duties;
  try { [list, duties] = await Promise.all([get('/api/v1/categories').then((r) => r.categories || []), get('/api/v1/duties').catch(() => ({ entries: [] }))]); }
  catch (e) { panel.replaceChildren(errorBox(e)); return; }
  const en = getLang() === 'en';
  // The limits that apply: the responsibility list's (its broadest entry for
  // the category); the category's own hours only when no entry covers it.
  const listed = new Map();
  for (const e of (duties.entries || []).slice().sort((a, b) => String(a.scope).length - String(b.scope).length)) if (!listed.has(e.category)) listed.set(e.category, e);
  const formHost = h('div', { id: 'cat-form-host' });
  const openForm = (k) => { formHost.replaceChildren(categoryForm(k, list, ctx)); formHost.querySelector('input, select')?.focus(); };
  const add = h('button', { type: 'button', class: 'btn primary', id: 'cat-new' }, t('des.cat_new'));
  add.addEventListener('click', () => openForm(null));
  const filter = h('input', { type: 'search', id: 'cat-filter', placeholder: t('des.cat_filter_ph') });
  const tbody = h('tbody');
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    tbody.replaceChildren(...list.filter((k) => !q || `${k.code} ${k.name} ${k.name_en} ${k.dept} ${dname(k.dept)}`.toLowerCase().includes(q)).map((k) => {
      const edit = h('button', { type: 'button', class: 'btn small ghost', dataset: { edit: k.code }, 'aria-label': t('des.cat_edit', { code: k.code }) }, t('des.edit'));
      edit.addEventListener('click', () => openForm(k));
      return h('tr', { dataset: { category: k.code } },
        h('td', { 'data-label': t('des.cat_code') }, h('code', null, k.code)),
        h('td', { 'data-label': t('des.cat_name') }, en ? k.name_en || k.name : k.name, en ? h('div', { class: 'small muted' }, k.name) : null),
        h('td', { 'data-label': t('des.cat_kind') }, t('kind.' + k.kind), k.urgent ? h('span', { class: 'badge amber' }, ' ' + t('report.urgent')) : null),
        h('td', { 'data-label': t('des.cat_dept') }, dname(k.dept)),
        h('td', { 'data-label': t('des.col_limits'), dataset: { from: listed.has(k.code) ? 'list' : 'category' } },
          ['accept', 'handle', 'verify'].map((p) => h('div', { class: 'small nowrap' }, t('phase.' + p) + ' ' +
            (listed.has(k.code) ? limitText(listed.get(k.code).limits?.[p]) : t('dur.h', { n: k[p + '_h'] ?? '—' })))),
          listed.has(k.code) ? h('div', { class: 'small muted' }, t('des.cat_by_list', { entry: listed.get(k.code).id })) : null),
        h('td', { 'data-label': t('des.cat_fields') }, (k.fields || []).length ? (k.fields || []).map((f) => f.name || f.label || f.code).join('、') : '—'),
        h('td', { 'data-label': t('case.actions') }, edit));
    }));
  };
  filter.addEventListener('input', draw);
  draw();
  panel.replaceChildren(h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', null, t('des.cat_title', { n: list.length })), field(t('des.filter'), filter), add), formHost,
    h('div', { class: 'table-wrap' }, h('table', { class: 'cases', id: 'cat-table' },
      h('thead', null, h('tr', null, ['des.cat_code', 'des.cat_name', 'des.cat_kind', 'des.cat_dept', 'des.col_limits', 'des.cat_fields', 'case.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
      tbody)), h('p', { class: 'small muted' }, t('des.cat_default_note'))));
}

function categoryForm(k, list, ctx) {
  const en = getLang() === 'en';
  const v = k || { kind: 'event', accept_h: 2, handle_h: 24, verify_h: 8, urgent: false, fields: [] };
  const num = (name, value) => h('input', { type: 'number', name, min: 0, step: 'any', required: true, value: value ?? '', inputmode: 'decimal' });
  const ctl = {
    code: h('input', { type: 'text', name: 'code', required: true, maxlength: 16, pattern: '[0-9A-Za-z_-]+', value: v.code || '', readonly: !!k }),
    name: h('input', { type: 'text', name: 'name', required: true, maxlength: 60, value: v.name || '' }),
    name_en: h('input', { type: 'text', name: 'name_en', maxlength: 100, value: v.name_en || '' }),
    kind: select([['event', t('kind.event')], ['component', t('kind.component')]], v.kind, { name: 'kind' }),
    dept: select([['', t('common.choose')], ...catalog().depts.map((d) => [d.code, en ? d.name_en || d.name : d.name]), ...(v.dept && !catalog().byDeptCode.has(v.dept) ? [[v.dept, v.dept]] : [])], v.dept, { name: 'dept', required: true }),
    accept_h: num('accept_h', v.accept_h), handle_h: num('handle_h', v.handle_h), verify_h: num('verify_h', v.verify_h),
    urgent: h('input', { type: 'checkbox', name: 'urgent', checked: !!v.urgent }),
  };
  const fieldsBox = h('div', { class: 'cat-fields', id: 'cat-fields' });
  const addFieldRow = (f = {}) => {
    const type = select(FIELD_TYPES.map((x) => [x, t('des.ft_' + x)]), FIELD_TYPES.includes(f.type) ? f.type : 'text', { name: 'f_type' });
    const choices = h('input', { type: 'text', name: 'f_choices', value: (f.choices || f.options || []).map((o) => (typeof o === 'string' ? o : o.name || o.key)).join(', ') });
    const choicesWrap = field(t('des.f_choices'), choices, t('des.f_choices_hint'));
    const sync = () => { choicesWrap.hidden = type.value !== 'choice'; };
    type.addEventListener('change', sync);
    const rm = h('button', { type: 'button', class: 'btn small danger-outline' }, t('des.remove'));
    const row = h('div', { class: 'cat-field-row', dataset: { fieldRow: '1' } },
      field(t('des.f_code'), h('input', { type: 'text', name: 'f_code', required: true, maxlength: 32, value: f.code || f.key || '' })),
      field(t('des.f_name'), h('input', { type: 'text', name: 'f_name', required: true, maxlength: 60, value: f.name || f.label || '' })),
      field(t('des.f_type'), type),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'f_required', checked: !!f.required }), ' ', t('des.f_required')),
      choicesWrap, rm);
    rm.addEventListener('click', () => row.remove());
    sync();
    fieldsBox.append(row);
  };
  for (const f of v.fields || []) addFieldRow(f);
  const addField = h('button', { type: 'button', class: 'btn small ghost', id: 'cat-add-field' }, t('des.f_add'));
  addField.addEventListener('click', () => { addFieldRow(); fieldsBox.lastElementChild.querySelector('input')?.focus(); });
  const err = h('div', { 'aria-live': 'polite' });
  const cancel = h('button', { type: 'button', class: 'btn ghost' }, t('des.cancel'));
  const form = h('form', { class: 'card rule-form stack', id: 'cat-form', dataset: { category: k ? k.code : 'new' } },
    h('h3', null, k ? t('des.cat_edit', { code: k.code }) : t('des.cat_new')),
    h('div', { class: 'filters' },
      field(t('des.cat_code'), ctl.code, k ? null : t('des.cat_code_hint')), field(t('des.cat_name'), ctl.name), field(t('des.cat_name_en'), ctl.name_en),
      field(t('des.cat_kind'), ctl.kind), field(t('des.cat_dept'), ctl.dept),
      field(t('des.cat_accept_h'), ctl.accept_h), field(t('des.cat_handle_h'), ctl.handle_h), field(t('des.cat_verify_h'), ctl.verify_h),
      h('label', { class: 'check' }, ctl.urgent, ' ', t('des.cat_urgent'))),
    h('fieldset', { class: 'field' }, h('legend', null, t('des.cat_fields')), fieldsBox, addField),
    err,
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('des.save')), cancel));
  cancel.addEventListener('click', () => form.remove());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.replaceChildren();
    const code = ctl.code.value.trim();
    if (!k && list.some((x) => x.code === code)) { err.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('des.cat_exists', { code }))); ctl.code.focus(); return; }
    const body = {
      name: ctl.name.value.trim(), name_en: ctl.name_en.value.trim(), kind: ctl.kind.value, dept: ctl.dept.value,
      accept_h: Number(ctl.accept_h.value), handle_h: Number(ctl.handle_h.value), verify_h: Number(ctl.verify_h.value), urgent: ctl.urgent.checked,
      fields: [...fieldsBox.querySelectorAll('[data-field-row]')].map((row) => {
        const f = { code: row.querySelector('[name=f_code]').value.trim(), name: row.querySelector('[name=f_name]').value.trim(),
          type: row.querySelector('[name=f_type]').value, required: row.querySelector('[name=f_required]').checked };
        if (f.type === 'choice') f.choices = row.querySelector('[name=f_choices]').value.split(/[,，、]/).map((x) => x.trim()).filter(Boolean);
        return f;
      }),
    };
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const saved = await api('PUT', '/api/v1/categories/' + encodeURIComponent(code), body);
      // Keep the cached catalogue in step so the report form and names use the change.
      const kk = { ...body, code, ...(saved && saved.code ? saved : {}) };
      const cat = catalog();
      const i = cat.categories.findIndex((x) => x.code === code);
      if (i >= 0) cat.categories[i] = kk; else cat.categories.push(kk);
      cat.byCat.set(code, kk);
      toast(t('des.cat_saved', { code }));
      ctx.rerender();
    } catch (e) {
      btn.disabled = false;
      err.replaceChildren(h('div', { class: 'alert error', role: 'alert', dataset: { catError: String(e.status) } },
        e.status === 404 ? t('des.cat_no_endpoint') : errorText(e)));
    }
  });
  return form;
}
