// track.js -- follow a case by its number (JC20261127-6) or id, with its timeline.
import { h, field, pageTitle } from '../ui.js';
import { t } from '../i18n.js';
import { renderCase } from './case.js';

export async function render(ctx) {
  const q = ctx.query.get('no') || '';
  const input = h('input', { name: 'no', required: true, value: q, placeholder: 'JC20261127-6', autocomplete: 'off', pattern: '\\s*(JC\\d{8}-\\d+|\\d+)\\s*', spellcheck: 'false' });
  const form = h('form', { class: 'card inline-form', role: 'search' },
    field(t('track.no'), input, t('track.hint')), h('button', { type: 'submit', class: 'btn primary' }, t('track.submit')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = input.value.trim().toUpperCase();
    if (v) ctx.navigate('/track?no=' + encodeURIComponent(v));
  });
  const out = h('div', { class: 'track-out' });
  ctx.root.append(pageTitle(t('track.title')), form, out);
  if (!q) return;
  // Render the case below the search form, with the same view as the case page.
  const sub = { ...ctx, root: out };
  const c = await renderCase(sub, q.trim(), { back: '#/track' });
  const h1 = out.querySelector('h1');
  if (h1) h1.replaceWith(h('h2', { class: 'case-title' }, h1.textContent));
  out.querySelector('.crumbs')?.remove();
  return c;
}
