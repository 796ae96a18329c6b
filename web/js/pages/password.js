// password.js -- change my password (ends every session of this account).
import { h, field, pageTitle, errorBox, toast } from '../ui.js';
import { t } from '../i18n.js';
import { post, setSession } from '../api.js';

export async function render(ctx) {
  const oldPw = h('input', { type: 'password', name: 'old_password', autocomplete: 'current-password', required: true });
  const newPw = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true, minlength: 8 });
  const again = h('input', { type: 'password', name: 'again', autocomplete: 'new-password', required: true, minlength: 8 });
  const msg = h('div', { class: 'msg' });
  const form = h('form', { class: 'card stack narrow' },
    field(t('password.old'), oldPw), field(t('password.new'), newPw, t('password.hint')), field(t('password.again'), again),
    msg, h('button', { type: 'submit', class: 'btn primary' }, t('password.submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    if (newPw.value !== again.value) { msg.append(errorBox({ code: 'mismatch' })); return; }
    try {
      await post('/api/v1/me/password', { old_password: oldPw.value, new_password: newPw.value });
      toast(t('password.done'));
      setSession(null); // the server ended all sessions: log in again
      ctx.navigate('/login');
    } catch (e) { msg.append(errorBox(e)); }
  });
  ctx.root.append(pageTitle(t('password.title')), h('p', { class: 'muted' }, t('password.intro')), form);
}
