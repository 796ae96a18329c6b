// messages.js -- 消息中心, the message centre: what needs this user's
// attention (new cases in the inbox, reminders and escalations, returns
// decided, whistles, verification tasks, ratings), unread first in its own
// tab; mark one, all, or a case's messages read (docs/notify.md).
import { h, pageTitle, errorBox, fmtTime, toast } from '../ui.js';
import { t, has } from '../i18n.js';
import { get, post } from '../api.js';
import { setUnread } from '../notify.js';
import { codeText } from '../reasons.js';

const PAGE = 50;

function detailText(n) {
  if (!n.detail) return null;
  if (n.kind === 'rated' && has('rating.' + n.detail)) return t('rating.' + n.detail);
  // a reason the platform composed around a person's words (a whistle's note): worded
  if (String(n.detail).startsWith('{"code":"')) { try { return codeText(JSON.parse(n.detail)); } catch { return null; } }
  return n.detail;
}

export async function render(ctx) {
  const tab = ctx.query.get('tab') === 'all' ? 'all' : 'unread';
  const countEl = h('span', { class: 'count', id: 'msg-tab-count' });
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('msg.title') },
    [['unread', countEl], ['all', null]].map(([k, extra]) => h('a', { role: 'tab', href: '#/messages?tab=' + k, 'aria-selected': String(k === tab), class: 'tab' + (k === tab ? ' active' : ''), dataset: { tab: k } },
      t('msg.tab_' + k), extra)));
  const allBtn = h('button', { type: 'button', class: 'btn small', id: 'msg-all-read' }, t('msg.mark_all'));
  const list = h('ul', { class: 'msg-list', id: 'msg-list' });
  const status = h('p', { class: 'muted', role: 'status', id: 'msg-status' });
  const more = h('button', { type: 'button', class: 'btn ghost', hidden: true }, t('queue.more'));
  ctx.root.append(pageTitle(t('msg.title')), h('p', { class: 'muted' }, t('msg.intro')), tabs,
    h('div', { class: 'card' }, h('div', { class: 'btn-row end' }, allBtn), status, list), h('div', { class: 'btn-row center' }, more));

  let items = [];
  let next = null;
  let top = 0;
  const showCount = (n) => { countEl.textContent = n >= 1000 ? '999+' : String(n); setUnread(n); allBtn.disabled = n === 0; };

  function row(n) {
    const d = detailText(n);
    const markBtn = n.read ? null : h('button', { type: 'button', class: 'btn small ghost', dataset: { markRead: n.id } }, t('msg.mark_one'));
    markBtn?.addEventListener('click', async () => {
      markBtn.disabled = true;
      try { showCount((await post('/api/v1/notifications/read', { ids: [n.id] })).unread); n.read = true; draw(); } catch (e) { toast(e.message, 'error'); markBtn.disabled = false; }
    });
    return h('li', { class: 'msg' + (n.read ? '' : ' unread'), dataset: { id: n.id, kind: n.kind, read: String(n.read) } },
      h('div', { class: 'msg-head' },
        h('span', { class: 'badge msg-kind k-' + n.kind }, t('msg.kind.' + n.kind)),
        n.no ? (n.visible ? h('a', { href: '#/case/' + n.case_id, class: 'case-link' }, n.no) : h('span', { class: 'muted' }, n.no)) : null,
        n.visible && n.title ? h('span', { class: 'msg-title' }, n.title) : n.no ? h('span', { class: 'muted' }, t('msg.not_visible')) : null,
        h('time', { datetime: n.at }, fmtTime(n.at))),
      h('div', { class: 'msg-body' },
        h('span', { class: 'muted' }, t('msg.what.' + n.kind)),
        n.actor ? h('span', { class: 'msg-actor' }, ' · ' + t('msg.by', { who: n.actor })) : null,
        d ? h('q', { class: 'msg-detail' }, d) : null),
      markBtn);
  }
  function draw() {
    const shown = tab === 'unread' ? items.filter((n) => !n.read) : items;
    list.replaceChildren(...shown.map(row));
    status.textContent = shown.length ? '' : t(tab === 'unread' ? 'msg.none_unread' : 'msg.none');
    more.hidden = !next;
  }
  async function load(reset) {
    const p = new URLSearchParams({ limit: String(PAGE) });
    if (tab === 'unread') p.set('unread', '1');
    if (!reset && next) p.set('before', next);
    const r = await get('/api/v1/notifications?' + p);
    items = reset ? r.notifications : items.concat(r.notifications);
    if (reset && items.length) top = Math.max(top, items[0].id);
    next = r.next_before;
    showCount(r.unread);
    draw();
  }
  allBtn.addEventListener('click', async () => {
    allBtn.disabled = true;
    try {
      // everything up to the newest message seen here (one that arrives meanwhile stays unread)
      if (!top) await load(true);
      if (top) showCount((await post('/api/v1/notifications/read', { upto: top })).unread);
      toast(t('msg.all_done'));
      await load(true);
    } catch (e) { ctx.root.append(errorBox(e)); allBtn.disabled = false; }
  });
  more.addEventListener('click', () => load(false).catch((e) => ctx.root.append(errorBox(e))));
  try { await load(true); } catch (e) { ctx.root.append(errorBox(e)); return; }
  // New messages arrive in place (the list keeps what was loaded further down).
  ctx.onLive(() => load(true));
}
