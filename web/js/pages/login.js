// login.js -- sign in with name and password.
import { h, field, pageTitle, errorBox } from '../ui.js';
import { t } from '../i18n.js';
import { login } from '../api.js';
import { HOME } from '../routes.js';

export async function render(ctx) {
  const name = h('input', { name: 'name', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div', { class: 'msg' });
  const btn = h('button', { type: 'submit', class: 'btn primary wide' }, t('login.submit'));
  const form = h('form', { class: 'card login stack', id: 'login-form' },
    pageTitle(t('login.title')),
    h('p', { class: 'muted' }, t('login.intro')),
    field(t('login.name'), name), field(t('login.password'), pw), msg, btn);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    msg.replaceChildren();
    try {
      const user = await login(name.value.trim(), pw.value);
      const next = ctx.query.get('next');
      ctx.navigate(next && next.startsWith('/') && next !== '/login' ? next : HOME[user.role] || '/track');
    } catch (e) {
      btn.disabled = false;
      msg.replaceChildren(errorBox(e.status === 401 ? { code: 'bad_login' } : e));
      pw.select();
    }
  });
  ctx.root.append(h('div', { class: 'center' }, form));
  name.focus();
}
