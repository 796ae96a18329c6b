// tasks.js -- a grid worker's (or community's) verification tasks: cases of
// my area in `feedback`, to verify or send back for rework on the spot.
import { h, pageTitle, errorBox, toast, field } from '../ui.js';
import { t } from '../i18n.js';
import { allCases, post } from '../api.js';
import { areaLabel, categoryName, deptName } from '../catalog.js';
import { fmtTime } from '../ui.js';

export async function render(ctx) {
  ctx.root.append(pageTitle(t('tasks.title')),
    h('p', { class: 'muted' }, t('tasks.intro', { area: areaLabel(ctx.user.area) })),
    h('p', null, h('a', { class: 'btn ghost', href: '#/patrol', hidden: ctx.user.role !== 'grid_worker' }, '+ ' + t('nav.patrol'))));
  let cases;
  try { cases = await allCases({ state: 'feedback' }, 500); } catch (e) { ctx.root.append(errorBox(e)); return; }
  if (!cases.length) { ctx.root.append(h('p', { class: 'card muted empty' }, t('tasks.none'))); return; }
  const list = h('ul', { class: 'task-list' });
  for (const c of cases) list.append(taskCard(c, ctx));
  ctx.root.append(h('p', { role: 'status' }, t('tasks.count', { n: cases.length })), list);
}

function taskCard(c, ctx) {
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
  const msg = h('div', { class: 'msg' });
  const act = async (action) => {
    msg.replaceChildren();
    const text = note.value.trim();
    if (action === 'rework' && !text) { msg.append(errorBox({ code: 'need_reason' })); note.focus(); return; }
    try {
      await post(`/api/v1/cases/${c.id}/${action}`, action === 'rework' ? { reason: text } : (text ? { note: text } : {}));
      toast(t('action.done', { action: t('action.' + action) }));
      ctx.rerender();
    } catch (e) { msg.append(errorBox(e)); }
  };
  return h('li', { class: 'card task', dataset: { id: c.id, no: c.no } },
    h('div', { class: 'task-head' }, h('a', { href: '#/case/' + c.id, class: 'case-link' }, c.no), h('strong', null, c.title)),
    h('div', { class: 'muted' }, `${categoryName(c.category)} · ${areaLabel(c.area)} · ${deptName(c.dept_id)} · ${fmtTime(c.updated_at)}`),
    c.body ? h('p', null, c.body) : null,
    field(t('tasks.note'), note, t('tasks.note_hint')), msg,
    h('div', { class: 'btn-row' },
      h('button', { type: 'button', class: 'btn primary', dataset: { action: 'verify' }, onclick: () => act('verify') }, '✓ ' + t('action.verify')),
      h('button', { type: 'button', class: 'btn danger-outline', dataset: { action: 'rework' }, onclick: () => act('rework') }, '↺ ' + t('action.rework'))));
}
