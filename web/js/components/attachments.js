// attachments.js -- documents of a case (PDF, Word, Excel, PowerPoint,
// OpenDocument; docs/api.md "Attachments"): a picker in the feedback and
// handling forms that uploads each file at once (POST /api/v1/attachments,
// the bytes as the body, the name in X-Filename) and links it to the case
// after the action (POST /api/v1/cases/:id/attachments); and the list of a
// case's documents with download links (GET /api/v1/cases/:id/attachments).
import { h, nextId } from '../ui.js';
import { t } from '../i18n.js';
import { get, post, csrfHeaders, ApiError } from '../api.js';

const MAX = 10 * 1024 * 1024;
const MAX_DOCS = 5;
export const ACCEPT = '.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp';

export async function uploadDocument(file) {
  if (file.size > MAX) throw new ApiError(413, 'too_large');
  let res;
  try {
    res = await fetch('/api/v1/attachments', { method: 'POST', body: file,
      headers: { ...csrfHeaders('POST'), 'content-type': file.type || 'application/octet-stream', 'x-filename': encodeURIComponent(file.name) } });
  } catch (e) { throw new ApiError(0, 'network', e.message); }
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, json?.error?.code || 'http', json?.error?.message);
  return json; // {id, url, type, name, size}
}

const sizeText = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' KB');

// docPicker() -> {el, settle(), linkTo(caseId)}, like photoPicker.
export function docPicker() {
  const items = [];
  const input = h('input', { type: 'file', accept: ACCEPT, multiple: true, id: nextId('doc'), class: 'visually-hidden doc-input' });
  const status = h('p', { class: 'small muted', 'aria-live': 'polite' });
  const list = h('ul', { class: 'doc-list' });
  input.addEventListener('change', () => {
    for (const file of [...input.files]) {
      if (items.length >= MAX_DOCS) { status.textContent = t('doc.max', { n: MAX_DOCS }); break; }
      const state = h('span', { class: 'doc-state small' }, t('photo.uploading'));
      const rm = h('button', { type: 'button', class: 'btn small ghost', 'aria-label': t('photo.remove_n', { name: file.name }) }, '×');
      const li = h('li', { class: 'doc-item', dataset: { state: 'uploading' } }, h('span', { class: 'doc-name' }, file.name), ' ', state, rm);
      const item = { li };
      item.promise = uploadDocument(file).then((r) => {
        item.id = r.id;
        li.dataset.state = 'ok';
        li.dataset.docId = r.id;
        state.textContent = '✓ ' + t('photo.uploaded');
      }, (e) => {
        li.dataset.state = 'failed';
        state.textContent = t('photo.failed') + (e.status === 413 ? t('doc.too_large') : e.status === 415 ? t('doc.bad_type') : e.message || '');
        state.classList.add('error-text');
      });
      rm.addEventListener('click', () => { items.splice(items.indexOf(item), 1); li.remove(); input.focus(); });
      items.push(item);
      list.append(li);
    }
    input.value = '';
  });
  const el = h('div', { class: 'field doc-picker' }, h('span', { class: 'label' }, t('doc.title')),
    h('div', { class: 'btn-row' }, input, h('label', { for: input.id, class: 'btn ghost doc-add' }, t('doc.add'))),
    h('small', { class: 'hint' }, t('doc.hint')), list, status);
  return {
    el,
    async settle() { await Promise.all(items.map((i) => i.promise)); },
    async linkTo(caseId) {
      await this.settle();
      let failed = 0;
      for (const i of items.filter((x) => x.id)) {
        try { await post(`/api/v1/cases/${caseId}/attachments`, { attachment_id: i.id }); } catch { failed++; }
      }
      return failed;
    },
  };
}

// The documents of a case: name (a download link), type and size; hidden when none.
export function attachmentsCard(c) {
  const box = h('section', { class: 'card o-docs', id: 'case-docs', 'aria-labelledby': 'doc-h', hidden: true });
  get(`/api/v1/cases/${c.id}/attachments`).then((r) => {
    const ds = r.attachments || [];
    if (!ds.length) return;
    box.replaceChildren(h('h2', { id: 'doc-h' }, t('doc.case_title', { n: ds.length })),
      h('ul', { class: 'plain doc-list' }, ds.map((d) => h('li', { dataset: { docId: d.id } },
        h('a', { href: d.url, download: d.name }, d.name), ' ',
        h('small', { class: 'muted' }, t('doc.kind.' + (d.name.split('.').pop() || 'pdf')), ' · ', sizeText(d.size))))));
    box.hidden = false;
  }, () => { /* a case the caller only follows: nothing shown */ });
  return box;
}
