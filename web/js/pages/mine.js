// mine.js -- a resident's own cases, newest first; closed ones can be rated.
import { h, pageTitle, errorBox } from '../ui.js';
import { t } from '../i18n.js';
import { allCases } from '../api.js';
import { pagedCaseTable } from '../components/casetable.js';

export async function render(ctx) {
  ctx.root.append(pageTitle(t('mine.title')), h('p', { class: 'muted' }, t('mine.intro')));
  try {
    const cases = await allCases({}, 500);
    const toRate = cases.filter((c) => c.state === 'closed');
    if (toRate.length) ctx.root.append(h('div', { class: 'alert info', role: 'status' }, t('mine.to_rate', { n: toRate.length })));
    ctx.root.append(h('div', { class: 'card' }, pagedCaseTable(cases, {
      cols: ['no', 'title', 'category', 'state', 'created'], citizen: true,
      extra: (c) => h('a', { href: '#/case/' + c.id, class: 'btn small ' + (c.state === 'closed' ? 'primary' : 'ghost') }, c.state === 'closed' ? t('mine.rate') : t('mine.view')),
    })));
  } catch (e) { ctx.root.append(errorBox(e)); }
}
