// admin.js -- 系统管理, the administrator's page (docs/admin.md): users
// (create, edit role and scope, disable, reset a password), the sensor device
// registry, Open311 client keys and outbound webhooks (docs/notify.md). A key,
// a device token or a webhook secret is shown once, right after it is made.
import { h, field, select, pageTitle, errorBox, toast, fmtTime, loading } from '../ui.js';
import { t, has } from '../i18n.js';
import { get, post, api } from '../api.js';
import { catalog, areasOf, childrenOf, areaLabel, deptName } from '../catalog.js';
import { ROLES } from '../roles.js';

const TABS = ['users', 'devices', 'keys', 'webhooks'];
const USER_PAGE = 100;
const KINDS = ['new_report', 'to_dispatch', 'dispatched', 'returned', 'return_upheld', 'return_rejected', 'remind', 'escalate',
  'whistle', 'verify_task', 'rework', 'rated', 'closed', 'taken_back'];
const AREA_ROLES = ['grid_worker', 'community_staff', 'dispatcher', 'supervisor'];

// Every area as options: the street, its communities, their grids.
function areaSelect(value, attrs = {}) {
  const streets = areasOf('street');
  return h('select', attrs, h('option', { value: '' }, '—'),
    streets.map((s) => h('option', { value: s.code, selected: value === s.code }, s.name)),
    areasOf('community').map((c) => h('optgroup', { label: c.name },
      h('option', { value: c.code, selected: value === c.code }, c.name + ' ' + t('queue.whole')),
      childrenOf(c.code).map((g) => h('option', { value: g.code, selected: value === g.code }, areaLabel(g.code))))));
}
const deptSelect = (value, attrs = {}) => select([['', '—'], ...catalog().depts.map((d) => [d.id, deptName(d.id)])], value ?? '', attrs);
const roleSelect = (value, attrs = {}) => select(ROLES.map((r) => [r, t('role.' + r)]), value, attrs);

// A secret shown once under a form (a key, a token), with a note that it
// will not be shown again and a button that reloads the list.
function showOnce(ctx, box, label, value, id) {
  const again = h('button', { type: 'button', class: 'btn small', id: 'once-refresh' }, t('adm.refresh'));
  again.addEventListener('click', () => ctx.rerender());
  box.replaceChildren(h('div', { class: 'alert info once', role: 'status' }, h('strong', null, label), ' ',
    h('code', { id, class: 'secret' }, value), h('div', { class: 'small' }, t('adm.shown_once'))), again);
}

function table(id, cols, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cases', id },
    h('thead', null, h('tr', null, cols.map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows.map(({ data, cells }) => h('tr', { dataset: data },
      cells.map((v, i) => h('td', { 'data-label': t(cols[i]) }, h('span', { class: 'cv' }, v))))))));
}

// ---- users -------------------------------------------------------------------
async function usersTab(ctx, box) {
  const { users } = await get('/api/v1/users');
  const out = h('div');
  const scopeOf = (u) => [u.area ? areaLabel(u.area) : null, u.dept_id ? deptName(u.dept_id) : null].filter(Boolean).join(' · ') || '—';
  const filter = h('input', { type: 'search', id: 'user-filter', placeholder: t('adm.user_filter'), 'aria-label': t('adm.user_filter') });
  const body = h('div');
  function editForm(u, tr) {
    const display = h('input', { type: 'text', name: 'display', value: u.display || '', maxlength: 60 });
    const role = roleSelect(u.role, { name: 'role' });
    const area = areaSelect(u.area || '', { name: 'area' });
    const dept = deptSelect(u.dept_id, { name: 'dept_id' });
    const err = h('div');
    const f = h('form', { class: 'filters', dataset: { editUser: u.id } }, field(t('adm.display'), display), field(t('adm.role'), role),
      field(t('case.area'), area), field(t('case.dept'), dept),
      h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('adm.save'))), err);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const b = { display: display.value.trim(), role: role.value, area: area.value || null, dept_id: dept.value ? Number(dept.value) : null };
      try { await api('PUT', '/api/v1/users/' + u.id, b); toast(t('adm.saved')); ctx.rerender(); } catch (e) { err.replaceChildren(errorBox(e)); }
    });
    return f;
  }
  function pwForm(u) {
    const pw = h('input', { type: 'password', name: 'password', minlength: 8, maxlength: 127, required: true, autocomplete: 'new-password' });
    const err = h('div');
    const f = h('form', { class: 'filters', dataset: { resetUser: u.id } }, field(t('adm.new_password'), pw, t('adm.pw_hint')),
      h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('adm.reset_pw'))), err);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try { await post(`/api/v1/users/${u.id}/password`, { password: pw.value }); toast(t('adm.pw_done', { name: u.name })); ctx.rerender(); } catch (e) { err.replaceChildren(errorBox(e)); }
    });
    return f;
  }
  const formHost = h('div', { id: 'user-form-host' });
  // a street has thousands of resident accounts: USER_PAGE rows at a time (the filter finds
  // the others), more on request
  let limit = USER_PAGE;
  function draw() {
    const q = filter.value.trim().toLowerCase();
    const matching = users.filter((u) => !q || [u.name, u.display, t('role.' + u.role)].some((s) => (s || '').toLowerCase().includes(q)));
    const shown = matching.slice(0, limit);
    const more = h('button', { type: 'button', class: 'btn ghost', id: 'user-more' }, t('adm.users_more', { n: Math.min(USER_PAGE, matching.length - shown.length), left: matching.length - shown.length }));
    more.addEventListener('click', () => { limit += USER_PAGE; draw(); });
    // (native replaceChildren writes a null as the text 'null': the parts are filtered)
    body.replaceChildren(...[h('p', { class: 'muted small', id: 'user-count' }, t(shown.length < matching.length ? 'adm.users_shown' : 'adm.users_all', { n: shown.length, total: matching.length })),
      table('user-table', ['adm.login', 'adm.display', 'adm.role', 'adm.scope', 'adm.status', 'case.actions'], shown.map((u) => {
      const edit = h('button', { type: 'button', class: 'btn small', dataset: { act: 'edit' } }, t('adm.edit'));
      const reset = h('button', { type: 'button', class: 'btn small', dataset: { act: 'reset' } }, t('adm.reset_pw'));
      const toggle = h('button', { type: 'button', class: 'btn small ' + (u.disabled ? 'primary' : 'danger-outline'), dataset: { act: u.disabled ? 'enable' : 'disable' }, disabled: u.id === ctx.user.id },
        t(u.disabled ? 'adm.enable' : 'adm.disable'));
      edit.addEventListener('click', () => { formHost.replaceChildren(h('h3', null, t('adm.edit_user', { name: u.name })), editForm(u)); formHost.scrollIntoView({ block: 'nearest' }); });
      reset.addEventListener('click', () => { formHost.replaceChildren(h('h3', null, t('adm.reset_for', { name: u.name })), pwForm(u)); formHost.querySelector('input').focus(); });
      toggle.addEventListener('click', async () => {
        toggle.disabled = true;
        try { await api('PUT', '/api/v1/users/' + u.id, { disabled: !u.disabled }); toast(t(u.disabled ? 'adm.enabled' : 'adm.disabled_done', { name: u.name })); ctx.rerender(); } catch (e) { out.prepend(errorBox(e)); toggle.disabled = false; }
      });
      return { data: { user: u.name, id: u.id, disabled: String(!!u.disabled) }, cells: [h('code', null, u.name), u.display || '—', t('role.' + u.role), scopeOf(u),
        h('span', { class: 'badge ' + (u.disabled ? 'grey' : 'green') }, t(u.disabled ? 'adm.st_disabled' : 'adm.st_active')),
        h('div', { class: 'inline' }, edit, reset, toggle)] };
    })), shown.length < matching.length ? h('div', { class: 'btn-row center' }, more) : null].filter(Boolean));
  }
  filter.addEventListener('input', () => { limit = USER_PAGE; draw(); });
  // a new user
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 60, autocomplete: 'off' });
  const display = h('input', { type: 'text', name: 'display', maxlength: 60 });
  const role = roleSelect('grid_worker', { name: 'role' });
  const area = areaSelect('', { name: 'area' });
  const dept = deptSelect('', { name: 'dept_id' });
  const pw = h('input', { type: 'password', name: 'password', required: true, minlength: 8, maxlength: 127, autocomplete: 'new-password' });
  const err = h('div');
  const addForm = h('form', { class: 'filters', id: 'user-add' }, field(t('adm.login'), name), field(t('adm.display'), display), field(t('adm.role'), role),
    field(t('case.area'), area), field(t('case.dept'), dept), field(t('adm.password'), pw, t('adm.pw_hint')),
    h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('adm.add_user'))), err);
  const sync = () => { area.closest('.field').hidden = !AREA_ROLES.includes(role.value) && role.value !== 'admin'; dept.closest('.field').hidden = role.value !== 'dept_staff'; };
  role.addEventListener('change', sync);
  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = { name: name.value.trim(), role: role.value, password: pw.value };
    if (display.value.trim()) b.display = display.value.trim();
    if (area.value && !area.closest('.field').hidden) b.area = area.value;
    if (dept.value && role.value === 'dept_staff') b.dept_id = Number(dept.value);
    try { await post('/api/v1/users', b); toast(t('adm.user_added', { name: b.name })); ctx.rerender(); } catch (e) { err.replaceChildren(errorBox(e)); }
  });
  box.replaceChildren(out, h('div', { class: 'filters' }, field(t('adm.user_filter'), filter)), body, formHost,
    h('section', { class: 'card', 'aria-labelledby': 'ua-h' }, h('h2', { id: 'ua-h' }, t('adm.add_user')), addForm));
  sync();
  draw();
}

// ---- devices ---------------------------------------------------------------------
async function devicesTab(ctx, box) {
  const [{ devices }, { types }] = await Promise.all([get('/api/v1/devices?limit=500'), get('/api/v1/device-types')]);
  const out = h('div');
  const rows = devices.map((d) => {
    const del = h('button', { type: 'button', class: 'btn small danger-outline', dataset: { act: 'delete' } }, t('adm.delete'));
    del.addEventListener('click', async () => {
      if (!confirm(t('adm.confirm_delete', { id: d.id }))) return;
      try { await api('DELETE', '/api/v1/devices/' + encodeURIComponent(d.id)); toast(t('adm.deleted')); ctx.rerender(); } catch (e) { out.prepend(errorBox(e)); }
    });
    return { data: { device: d.id }, cells: [d.id, t('dev.type.' + d.type), d.grid ? areaLabel(d.grid) : '—', [d.label, d.person_label].filter(Boolean).join(' · ') || '—',
      t('adm.every_s', { n: d.heartbeat_s }), h('span', { class: 'badge ' + (d.online ? 'green' : 'grey') }, t(d.online ? 'adm.online' : 'adm.offline')),
      d.battery != null ? d.battery + '%' : '—', d.last_seen ? fmtTime(d.last_seen) : '—', del] };
  });
  const id = h('input', { type: 'text', name: 'id', required: true, maxlength: 63, pattern: '[A-Za-z0-9_.:\\-]+' });
  const type = select(types.map((x) => [x.type, t('dev.type.' + x.type)]), types[0]?.type, { name: 'type' });
  const grid = areaSelect('', { name: 'grid', required: true });
  const label = h('input', { type: 'text', name: 'label', maxlength: 40 });
  const person = h('input', { type: 'text', name: 'person_label', maxlength: 20 });
  const hb = h('input', { type: 'number', name: 'heartbeat_s', min: 10, max: 604800, value: 3600 });
  const err = h('div');
  const form = h('form', { class: 'filters', id: 'device-add' }, field(t('adm.device_id'), id), field(t('adm.device_type'), type), field(t('adm.grid'), grid),
    field(t('adm.device_label'), label), field(t('adm.person_label'), person), field(t('adm.heartbeat'), hb),
    h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('adm.add_device'))), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = { id: id.value.trim(), type: type.value, grid: grid.value, heartbeat_s: Number(hb.value) };
    if (label.value.trim()) b.label = label.value.trim();
    if (person.value.trim()) b.person_label = person.value.trim();
    try {
      const r = await post('/api/v1/devices', b);
      showOnce(ctx, err, t('adm.device_token', { id: r.id }), r.token, 'device-token');
      toast(t('adm.device_added', { id: r.id }));
    } catch (e) { err.replaceChildren(errorBox(e)); }
  });
  box.replaceChildren(out, devices.length ? table('device-table', ['adm.device_id', 'adm.device_type', 'adm.grid', 'adm.device_label', 'adm.heartbeat', 'adm.status', 'adm.battery', 'adm.last_seen', 'case.actions'], rows)
    : h('p', { class: 'muted empty' }, t('adm.no_devices')),
  h('section', { class: 'card', 'aria-labelledby': 'da-h' }, h('h2', { id: 'da-h' }, t('adm.add_device')), form));
}

// ---- Open311 keys ------------------------------------------------------------------
async function keysTab(ctx, box) {
  const { keys } = await get('/api/v1/open311/keys');
  const out = h('div');
  const rows = keys.map((k) => {
    const off = k.active ? h('button', { type: 'button', class: 'btn small danger-outline', dataset: { act: 'disable' } }, t('adm.disable')) : null;
    off?.addEventListener('click', async () => {
      try { await post(`/api/v1/open311/keys/${encodeURIComponent(k.name)}/disable`, {}); toast(t('adm.key_off', { name: k.name })); ctx.rerender(); } catch (e) { out.prepend(errorBox(e)); }
    });
    return { data: { key: k.name, active: String(k.active) }, cells: [k.name, fmtTime(k.created_at),
      h('span', { class: 'badge ' + (k.active ? 'green' : 'grey') }, t(k.active ? 'adm.st_active' : 'adm.st_disabled')), off || '—'] };
  });
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 40, pattern: '[A-Za-z0-9_.\\-]+' });
  const area = areaSelect('', { name: 'area' });
  const err = h('div');
  const form = h('form', { class: 'filters', id: 'key-add' }, field(t('adm.client'), name, t('adm.client_hint')), field(t('adm.key_area'), area),
    h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('adm.add_key'))), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = { name: name.value.trim() };
    if (area.value) b.area = area.value;
    try {
      const r = await post('/api/v1/open311/keys', b);
      showOnce(ctx, err, t('adm.key_for', { name: r.name }), r.api_key, 'api-key');
    } catch (e) { err.replaceChildren(errorBox(e)); }
  });
  box.replaceChildren(h('p', { class: 'muted' }, t('adm.keys_intro')), out,
    keys.length ? table('key-table', ['adm.client', 'adm.created', 'adm.status', 'case.actions'], rows) : h('p', { class: 'muted empty' }, t('adm.no_keys')),
    h('section', { class: 'card', 'aria-labelledby': 'ka-h' }, h('h2', { id: 'ka-h' }, t('adm.add_key')), form));
}

// ---- webhooks ----------------------------------------------------------------------
async function hooksTab(ctx, box) {
  const { webhooks } = await get('/api/v1/webhooks');
  const out = h('div');
  const detail = h('div', { id: 'hook-deliveries' });
  const rows = webhooks.map((w) => {
    const toggle = h('button', { type: 'button', class: 'btn small ' + (w.active ? 'danger-outline' : 'primary'), dataset: { act: w.active ? 'off' : 'on' } }, t(w.active ? 'adm.disable' : 'adm.enable'));
    toggle.addEventListener('click', async () => {
      try { await api('PUT', '/api/v1/webhooks/' + w.id, { active: !w.active }); toast(t('adm.saved')); ctx.rerender(); } catch (e) { out.prepend(errorBox(e)); }
    });
    const show = h('button', { type: 'button', class: 'btn small', dataset: { act: 'deliveries' } }, t('adm.deliveries'));
    show.addEventListener('click', async () => {
      try {
        const r = await get(`/api/v1/webhooks/${w.id}/deliveries?limit=20`);
        detail.replaceChildren(h('h3', null, t('adm.deliveries_of', { name: w.name })), r.deliveries.length ? table('delivery-table', ['adm.d_id', 'adm.d_kind', 'adm.status', 'adm.d_attempts', 'adm.d_last', 'adm.d_when'],
          r.deliveries.map((d) => ({ data: { delivery: d.id, state: d.state }, cells: [d.id, t('msg.kind.' + d.kind), h('span', { class: 'badge ' + ({ sent: 'green', pending: 'amber', failed: 'red' }[d.state]) }, t('adm.d_' + d.state)),
            d.attempts, d.last_status ? 'HTTP ' + d.last_status : (d.last_error ? t('adm.d_error') : '—'), fmtTime(d.sent_at || d.next_at || d.created_at)] }))) : h('p', { class: 'muted' }, t('adm.no_deliveries')));
      } catch (e) { detail.replaceChildren(errorBox(e)); }
    });
    const kinds = w.kinds ? w.kinds.split(',').map((k) => t('msg.kind.' + k)).join('、') : t('adm.all_kinds');
    return { data: { hook: w.name, active: String(w.active) }, cells: [w.name, h('code', { class: 'url' }, w.url), kinds,
      [w.area ? areaLabel(w.area) : null, w.dept_id ? deptName(w.dept_id) : null].filter(Boolean).join(' · ') || t('adm.all_kinds'),
      h('span', { class: 'badge ' + (w.active ? 'green' : 'grey') }, t(w.active ? 'adm.st_active' : 'adm.st_disabled')),
      t('adm.d_counts', w.deliveries), h('div', { class: 'inline' }, show, toggle)] };
  });
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 60 });
  const url = h('input', { type: 'url', name: 'url', required: true, maxlength: 500, placeholder: 'https://' });
  const kinds = h('fieldset', { class: 'field chip-bar' }, h('legend', null, t('adm.kinds')),
    KINDS.map((k) => h('label', { class: 'chip small' }, h('input', { type: 'checkbox', name: 'kinds', value: k }), t('msg.kind.' + k))));
  const area = areaSelect('', { name: 'area' });
  const dept = deptSelect('', { name: 'dept_id' });
  const err = h('div');
  const form = h('form', { class: 'filters', id: 'hook-add' }, field(t('adm.hook_name'), name), field(t('adm.url'), url), field(t('case.area'), area), field(t('case.dept'), dept), kinds,
    h('div', { class: 'btn-row end' }, h('button', { type: 'submit', class: 'btn primary' }, t('adm.add_hook'))), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = { name: name.value.trim(), url: url.value.trim() };
    const ks = [...kinds.querySelectorAll('input:checked')].map((i) => i.value);
    if (ks.length) b.kinds = ks.join(',');
    if (area.value) b.area = area.value;
    if (dept.value) b.dept_id = Number(dept.value);
    try {
      const r = await post('/api/v1/webhooks', b);
      showOnce(ctx, err, t('adm.hook_secret', { name: r.name }), r.secret, 'hook-secret');
    } catch (e) { err.replaceChildren(errorBox(e)); }
  });
  box.replaceChildren(h('p', { class: 'muted' }, t('adm.hooks_intro')), out,
    webhooks.length ? table('hook-table', ['adm.hook_name', 'adm.url', 'adm.kinds', 'adm.scope', 'adm.status', 'adm.deliveries', 'case.actions'], rows) : h('p', { class: 'muted empty' }, t('adm.no_hooks')),
    detail, h('section', { class: 'card', 'aria-labelledby': 'ha-h' }, h('h2', { id: 'ha-h' }, t('adm.add_hook')), form));
}

const RENDER = { users: usersTab, devices: devicesTab, keys: keysTab, webhooks: hooksTab };

export async function render(ctx) {
  const tab = TABS.includes(ctx.query.get('tab')) ? ctx.query.get('tab') : 'users';
  const box = h('section', { class: 'card', role: 'tabpanel', id: 'admin-panel' }, loading());
  ctx.root.append(pageTitle(t('adm.title')), h('p', { class: 'muted' }, t('adm.intro')),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('adm.title') },
      TABS.map((k) => h('a', { role: 'tab', href: '#/admin?tab=' + k, 'aria-selected': String(k === tab), class: 'tab' + (k === tab ? ' active' : ''), dataset: { tab: k } }, t('adm.tab_' + k)))),
    box);
  try { await RENDER[tab](ctx, box); } catch (e) { box.replaceChildren(errorBox(e)); }
}
