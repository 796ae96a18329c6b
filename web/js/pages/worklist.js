// worklist.js -- community work list admission (准入, docs/worklist.md).
// Senders (department staff and the street) submit a task to communities
// (title, kind, work-list item from the active list, communities, deadline,
// resources, fields for data requests) and see what the server decided:
// admitted, refused with the reason, or answered from the store. The street
// grants an exception to a refused task. Community staff see the tasks
// delivered to their community and mark them done.
import { h, field, select, pageTitle, errorBox, toast, fmtTime, loading, nextId } from '../ui.js';
import { t, getLang, has } from '../i18n.js';
import { get, post } from '../api.js';
import { areasOf, areaName, catalog, categoryName } from '../catalog.js';
import { codeText, deptLabel } from '../reasons.js';

// The decision's reason: a code the server wrote (worded here), or text of an earlier build.
function taskReason(r) {
  if (!r) return '—';
  if (String(r).startsWith('{"code":"')) { try { return codeText(JSON.parse(r)); } catch { return '—'; } }
  return /[A-Za-z]{4,}/.test(r) && getLang() !== 'en' ? t('wl.reason_old') : r;
}

const KINDS = ['task', 'form', 'report', 'inspection', 'meeting', 'signboard', 'data_request'];
const STREET = ['dispatcher', 'supervisor', 'admin'];
const DECISION_CLS = { admitted: 'green', refused: 'red', answered_from_store: 'blue', exception: 'amber' };

const fieldDesc = new Map(); // answerable field -> its description (from /worklist/fields)
const senderCode = (user) => (user.role === 'dept_staff' ? catalog().byDept.get(Number(user.dept_id))?.code || user.dept : 'street');
const mayRequest = (item, code) => item.depts === '*' || item.depts.split(';').map((s) => s.trim()).includes(code);

export async function render(ctx) {
  const user = ctx.user;
  ctx.root.append(pageTitle(t('wl.title')), h('p', { class: 'muted' }, t(user.role === 'community_staff' ? 'wl.intro_community' : 'wl.intro')));
  if (user.role === 'community_staff') return communityView(ctx);
  const formBox = h('section', { class: 'card', 'aria-labelledby': 'wl-form-h' }, loading());
  const listBox = h('section', { class: 'card', 'aria-labelledby': 'wl-list-h' }, h('h2', { id: 'wl-list-h' }, t('wl.sent')), loading());
  ctx.root.append(h('div', { class: 'grid-2 wl-grid' }, formBox, listBox));
  let list, fields, tasks;
  try {
    [list, fields, tasks] = await Promise.all([get('/api/v1/worklist'), get('/api/v1/worklist/fields'), get('/api/v1/tasks?limit=200')]);
  } catch (e) { formBox.replaceChildren(errorBox(e)); listBox.replaceChildren(errorBox(e)); return; }
  // the platform's fields in the reader's language (the server's description is Chinese)
  for (const f of fields.fields || []) fieldDesc.set(f.field, has('wl.fld.' + f.field) ? t('wl.fld.' + f.field) : f.description || f.field);
  formBox.replaceChildren(h('h2', { id: 'wl-form-h' }, t('wl.submit_title')), taskForm(ctx, list, fields.fields || []));
  const rows = tasks.tasks || [];
  listBox.replaceChildren(h('h2', { id: 'wl-list-h' }, t('wl.sent')), h('p', { class: 'small muted' }, t('wl.count', { n: rows.length })),
    rows.length ? h('div', { class: 'stack', id: 'task-list' }, rows.map((x) => taskCard(x, ctx))) : h('p', { class: 'muted' }, t('wl.none')));
}

function taskForm(ctx, list, fields) {
  const code = senderCode(ctx.user);
  const items = list.items || [];
  const title = h('input', { name: 'title', required: true, maxlength: 200 });
  const kind = select(KINDS.map((k) => [k, t('wl.kind_' + k)]), 'task', { name: 'kind' });
  const item = h('select', { name: 'item', required: true }, h('option', { value: '' }, t('common.choose')),
    ['duty', 'assist', 'resourced'].map((k) => h('optgroup', { label: t('wl.ikind_' + k) }, items.filter((i) => i.kind === k).map((i) =>
      h('option', { value: i.code }, `${i.code} ${i.name}${mayRequest(i, code) ? '' : ' ' + t('wl.not_yours')}`)))));
  const itemInfo = h('p', { class: 'small muted', id: 'item-info', 'aria-live': 'polite' }, t('wl.list_version', { v: list.version ?? '—' }));
  item.addEventListener('change', () => {
    const i = items.find((x) => x.code === item.value);
    itemInfo.replaceChildren(i ? [h('span', { class: 'badge ' + (mayRequest(i, code) ? 'green' : 'red') }, mayRequest(i, code) ? t('wl.yours') : t('wl.not_yours')), ' ',
      t('wl.ikind_' + i.kind), ' · ', t('wl.basis'), ': ', i.basis || '—', ' · ', t('wl.depts'), ': ', i.depts] : t('wl.list_version', { v: list.version ?? '—' }));
    resWrap.hidden = !(i && i.kind === 'resourced');
  });
  const coms = areasOf('community');
  const comBoxes = coms.map((c) => { const id = nextId('com'); return h('label', { class: 'chip small', for: id }, h('input', { type: 'checkbox', id, name: 'communities', value: c.code }), c.name); });
  const allBtn = h('button', { type: 'button', class: 'btn small ghost' }, t('wl.all_communities'));
  allBtn.addEventListener('click', () => { const on = comBoxes.some((b) => !b.querySelector('input').checked); comBoxes.forEach((b) => { b.querySelector('input').checked = on; }); });
  const deadline = h('input', { type: 'datetime-local', name: 'deadline' });
  const resources = h('input', { type: 'text', name: 'resources', maxlength: 1000, placeholder: t('wl.resources_ph') });
  const resWrap = field(t('wl.resources'), resources, t('wl.resources_hint'));
  resWrap.hidden = true;
  const fieldBoxes = fields.map((f) => { const id = nextId('fld'); return h('label', { class: 'chip small', for: id, title: f.answerable ? t('wl.answerable') : t('wl.not_answerable') },
    h('input', { type: 'checkbox', id, name: 'fields', value: f.field }), fieldDesc.get(f.field) || f.field, f.answerable ? h('span', { class: 'ok small' }, ' ✓') : null); });
  const fieldWrap = h('fieldset', { class: 'field dept-pick', hidden: true }, h('legend', null, t('wl.fields')), fieldBoxes, h('small', { class: 'hint' }, t('wl.fields_hint')));
  kind.addEventListener('change', () => { fieldWrap.hidden = kind.value !== 'data_request'; });
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', id: 'task-form' },
    field(t('wl.f_title'), title), field(t('wl.f_kind'), kind), field(t('wl.f_item'), item), itemInfo,
    h('fieldset', { class: 'field dept-pick', id: 'task-communities' }, h('legend', null, t('wl.f_communities')), comBoxes, allBtn),
    field(t('wl.f_deadline'), deadline, t('wl.deadline_hint')), resWrap, fieldWrap,
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('wl.submit'))), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { title: title.value.trim(), kind: kind.value, item: item.value,
      communities: comBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value) };
    if (!body.communities.length) { msg.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('wl.need_community'))); return; }
    if (deadline.value) body.deadline = deadline.value;
    if (!resWrap.hidden && resources.value.trim()) body.resources = resources.value.trim();
    if (kind.value === 'data_request') body.fields = fieldBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const r = await post('/api/v1/tasks', body);
      toast(t('wl.decided_' + r.decision), r.decision === 'refused' ? 'error' : 'ok');
      ctx.rerender();
    } catch (e) { btn.disabled = false; msg.replaceChildren(errorBox(e)); }
  });
  return form;
}

function answerTable(answer) {
  const coms = Object.keys(answer || {});
  const keys = [...new Set(coms.flatMap((c) => Object.keys(answer[c] || {})))];
  // cases by category: each category by its name, not its code
  const cell = (v) => (v && typeof v === 'object' ? Object.entries(v).map(([k, n]) => `${categoryName(k)}${t('wl.count_sep')}${n}`).join(getLang() === 'en' ? '; ' : '，') : String(v ?? '—'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'mini answer' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('case.area')), keys.map((k) => h('th', { scope: 'col', title: k }, fieldDesc.get(k) || k)))),
    h('tbody', null, coms.map((c) => h('tr', { dataset: { community: c } }, h('th', { scope: 'row' }, areaName(c)), keys.map((k) => h('td', null, cell(answer[c][k]))))))));
}

function taskCard(x, ctx) {
  const street = STREET.includes(ctx.user.role);
  const msg = h('div', { 'aria-live': 'polite' });
  let exc = null;
  if (street && x.decision === 'refused') {
    const reason = h('input', { type: 'text', name: 'exception_reason', maxlength: 500, placeholder: t('wl.exception_ph'), 'aria-label': t('wl.exception_reason') });
    const btn = h('button', { type: 'button', class: 'btn small', dataset: { taskAction: 'exception' } }, t('wl.exception'));
    btn.addEventListener('click', async () => {
      if (!reason.value.trim()) { msg.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, t('wl.need_exception_reason'))); reason.focus(); return; }
      btn.disabled = true;
      try { await post(`/api/v1/tasks/${x.id}/exception`, { reason: reason.value.trim() }); toast(t('wl.exception_done')); ctx.rerender(); }
      catch (e) { btn.disabled = false; msg.replaceChildren(errorBox(e)); }
    });
    exc = h('div', { class: 'inline decide' }, reason, btn);
  }
  return h('article', { class: 'task', dataset: { task: x.id, decision: x.decision } },
    h('div', { class: 'task-head' }, h('strong', null, x.title), h('span', { class: 'badge ' + (DECISION_CLS[x.decision] || '') }, t('wl.decision_' + x.decision)),
      h('span', { class: 'small muted' }, `${t('wl.kind_' + x.kind)} · ${x.item} ${x.item_name || ''}`)),
    h('p', { class: 'small muted' }, t('wl.from', { who: x.dept ? deptLabel(x.dept) : t('wl.street'), at: fmtTime(x.created_at) }),
      x.deadline ? ' · ' + t('wl.deadline', { at: fmtTime(x.deadline) }) : ''),
    h('p', { class: 'small task-reason', dataset: { reason: '1' } }, h('span', { class: 'muted' }, t('wl.reason') + '：'), taskReason(x.reason)),
    x.exception ? h('p', { class: 'small', dataset: { exception: '1' } }, h('span', { class: 'badge amber' }, t('wl.decision_exception')), ' ',
      t('wl.exception_by', { by: t('wl.street'), at: fmtTime(x.exception.at) }), '：', x.exception.reason) : null,
    x.answer ? answerTable(x.answer) : null,
    x.decision !== 'answered_from_store' && x.decision !== 'refused' ? h('ul', { class: 'com-status' }, (x.communities || []).map((c) =>
      h('li', { dataset: { community: c.community, status: c.status } }, areaName(c.community), ' ', h('span', { class: 'badge ' + (c.status === 'done' ? 'green' : 'grey') }, t('wl.st_' + c.status))))) : null,
    exc, msg);
}


async function communityView(ctx) {
  const box = h('section', { class: 'card' }, loading());
  ctx.root.append(box);
  let r;
  try { r = await get('/api/v1/tasks?limit=200'); } catch (e) { box.replaceChildren(errorBox(e)); return; }
  const all = r.tasks || [];
  const mine = (x) => (x.communities || []).find((c) => !ctx.user.area || c.community === ctx.user.area) || x.communities?.[0];
  const delivered = all.filter((x) => ['received', 'done'].includes(mine(x)?.status));
  const blocked = all.filter((x) => x.decision === 'refused').length, answered = all.filter((x) => x.decision === 'answered_from_store').length;
  const todo = delivered.filter((x) => mine(x).status === 'received');
  box.replaceChildren(
    h('p', { class: 'alert info', id: 'wl-shield' }, t('wl.shield', { refused: blocked, answered })),
    h('h2', null, t('wl.inbox', { n: todo.length })),
    delivered.length ? h('div', { class: 'stack', id: 'task-list' }, delivered.map((x) => {
      const c = mine(x);
      const note = h('input', { type: 'text', name: 'note', maxlength: 500, placeholder: t('wl.done_note'), 'aria-label': t('wl.done_note') });
      const btn = h('button', { type: 'button', class: 'btn small primary', dataset: { taskAction: 'done' } }, t('wl.mark_done'));
      const msg = h('div');
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try { await post(`/api/v1/tasks/${x.id}/done`, note.value.trim() ? { note: note.value.trim() } : {}); toast(t('wl.done_ok')); ctx.rerender(); }
        catch (e) { btn.disabled = false; msg.replaceChildren(errorBox(e)); }
      });
      return h('article', { class: 'task', dataset: { task: x.id, status: c.status } },
        h('div', { class: 'task-head' }, h('strong', null, x.title), h('span', { class: 'badge ' + (c.status === 'done' ? 'green' : 'blue') }, t('wl.st_' + c.status)),
          x.decision === 'exception' ? h('span', { class: 'badge amber' }, t('wl.decision_exception')) : null),
        h('p', { class: 'small muted' }, `${t('wl.kind_' + x.kind)} · ${x.item} ${x.item_name || ''} · `, t('wl.from', { who: x.dept ? deptLabel(x.dept) : t('wl.street'), at: fmtTime(x.created_at) }),
          x.deadline ? ' · ' + t('wl.deadline', { at: fmtTime(x.deadline) }) : ''),
        c.status === 'done' ? h('p', { class: 'small ok' }, t('wl.done_at', { at: fmtTime(c.done_at), by: c.done_by_name || t('wl.community_staff', { community: areaName(c.community) }) })) : h('div', { class: 'inline' }, note, btn), msg);
    })) : h('p', { class: 'muted' }, t('wl.none_community')));
}
