// photos.js -- photos of a case (docs/open311.md "Photos"): a picker that
// takes or chooses pictures and uploads each one at once (POST /api/v1/photos,
// raw body), linked to the case once it exists (POST /api/v1/cases/:id/photos);
// and the thumbnails of a case (GET /api/v1/cases/:id/photos).
import { h, nextId } from '../ui.js';
import { t } from '../i18n.js';
import { get, post, csrfHeaders, ApiError } from '../api.js';

const TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const MAX = 8 * 1024 * 1024;
const MAX_PHOTOS = 6;
const MAX_SIDE = 2560;

// A picture the server would refuse (HEIC from a phone, or over 8 MiB) is
// re-encoded in the browser as a JPEG of at most MAX_SIDE px.
async function normalise(file) {
  if (TYPES.includes(file.type) && file.size <= MAX) return file;
  const bmp = await createImageBitmap(file);
  const k = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
  const cv = document.createElement('canvas');
  cv.width = Math.round(bmp.width * k); cv.height = Math.round(bmp.height * k);
  cv.getContext('2d').drawImage(bmp, 0, 0, cv.width, cv.height);
  const blob = await new Promise((res) => cv.toBlob(res, 'image/jpeg', 0.85));
  if (!blob || blob.size > MAX) throw new ApiError(413, 'too_large');
  return blob;
}

export async function uploadPhoto(file) {
  const blob = await normalise(file);
  let res;
  try {
    res = await fetch('/api/v1/photos', { method: 'POST', body: blob, headers: { ...csrfHeaders('POST'), 'content-type': blob.type } });
  } catch (e) { throw new ApiError(0, 'network', e.message); }
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, json?.error?.code || 'http', json?.error?.message);
  return json; // {id, url, type, size}
}

// photoPicker() -> {el, busy(), ids(), linkTo(caseId)}: the <input type=file
// capture> and the previews; linkTo links every uploaded photo and returns the
// number that failed.
export function photoPicker() {
  const items = []; // {id?, url?, promise, li}
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, id: nextId('photo'), class: 'visually-hidden photo-input' });
  const status = h('p', { class: 'small muted', 'aria-live': 'polite' });
  const list = h('ul', { class: 'photo-list' });
  const label = h('label', { for: input.id, class: 'btn ghost photo-add' }, t('photo.add'));
  input.addEventListener('change', () => {
    for (const file of [...input.files]) {
      if (items.length >= MAX_PHOTOS) { status.textContent = t('photo.max', { n: MAX_PHOTOS }); break; }
      const preview = URL.createObjectURL(file);
      const img = h('img', { src: preview, alt: t('photo.preview', { name: file.name }), class: 'thumb' });
      const state = h('span', { class: 'photo-state small' }, t('photo.uploading'));
      const rm = h('button', { type: 'button', class: 'btn small ghost', 'aria-label': t('photo.remove_n', { name: file.name }) }, '×');
      const li = h('li', { class: 'photo-item', dataset: { state: 'uploading' } }, img, state, rm);
      const item = { li };
      item.promise = uploadPhoto(file).then((r) => {
        item.id = r.id; item.url = r.url;
        li.dataset.state = 'ok'; li.dataset.photoId = r.id;
        state.textContent = '✓ ' + t('photo.uploaded');
      }, (e) => {
        li.dataset.state = 'failed';
        state.textContent = t('photo.failed') + (e.status === 413 ? t('photo.too_large') : e.status === 415 ? t('photo.bad_type') : e.message ? e.message : '');
        state.classList.add('error-text');
      });
      rm.addEventListener('click', () => { items.splice(items.indexOf(item), 1); li.remove(); URL.revokeObjectURL(preview); input.focus(); });
      items.push(item);
      list.append(li);
    }
    input.value = '';
  });
  const el = h('div', { class: 'field photo-picker' },
    h('span', { class: 'label' }, t('photo.title')), h('div', { class: 'btn-row' }, input, label), h('small', { class: 'hint' }, t('photo.hint')), list, status);
  return {
    el,
    async settle() { await Promise.all(items.map((i) => i.promise)); },
    ids: () => items.filter((i) => i.id).map((i) => i.id),
    async linkTo(caseId) {
      await this.settle();
      let failed = 0;
      for (const id of this.ids()) {
        try { await post(`/api/v1/cases/${caseId}/photos`, { photo_id: id }); } catch { failed++; }
      }
      return failed;
    },
  };
}

// The photos of a case as thumbnails (links to the full picture); nothing when
// there are none or the caller may not list them.
export function photosCard(c) {
  const box = h('section', { class: 'card o-photos', id: 'case-photos', 'aria-labelledby': 'ph-h', hidden: true });
  get(`/api/v1/cases/${c.id}/photos`).then((r) => {
    const ps = r.photos || [];
    if (!ps.length) return;
    box.replaceChildren(h('h2', { id: 'ph-h' }, t('photo.case_title', { n: ps.length })),
      h('ul', { class: 'photo-list' }, ps.map((p, i) => h('li', { class: 'photo-item', dataset: { photoId: p.id } },
        h('a', { href: p.url, target: '_blank', rel: 'noopener' },
          h('img', { src: p.url, class: 'thumb', loading: 'lazy', alt: t('photo.alt', { i: i + 1, no: c.no }) }))))));
    box.hidden = false;
  }, () => { /* 404 for a case the caller only follows: no photos shown */ });
  return box;
}
