// people.js -- one collection (一人一档, docs/people.md): the departments'
// tables (sources), importing a file with its column mapping shown and
// settable before anything is written (a dry run, then the import with its
// progress), the review queue (the same person / not the same person), and a
// person's golden record with where each field came from; the ID number and
// phone are masked until the reader states a purpose (the read is audited).
import { h, field, select, pageTitle, errorBox, toast, fmtTime, loading, nextId } from '../ui.js';
import { t, getLang } from '../i18n.js';
import { get, post, api, csrfHeaders, ApiError } from '../api.js';
import { areaName } from '../catalog.js';

const FIELDS = ['name', 'id_number', 'id_type', 'sex', 'birth_date', 'age', 'phone', 'address', 'household_no', 'relation',
  'community', 'street', 'building', 'unit', 'room', 'attr'];
const FLAGS = [[1, 'pp.flag.alone'], [2, 'pp.flag.disabled'], [4, 'pp.flag.student']];
const WRITERS = ['admin', 'dispatcher'];
const REVIEWERS = ['admin', 'dispatcher', 'community_staff'];

// Server reasons come as "English / 中文": the part of the page's language.
const reason = (e) => {
  const m = e?.message || '';
  const i = m.indexOf(' / ');
  if (i < 0) return m;
  return getLang() === 'en' ? m.slice(0, i) : m.slice(i + 3);
};
const errLine = (e) => h('p', { class: 'alert error', role: 'alert' }, t('pp.failed') + (reason(e) ? '：' + reason(e) : ''));

let sourceNames = new Map();
const sourceName = (key) => sourceNames.get(key) || t('pp.unnamed_source');
const sexText = (s) => (s === 'M' ? t('pp.sex.M') : s === 'F' ? t('pp.sex.F') : '—');
const dateText = (d) => {
  if (!d) return '—';
  const s = String(d).padStart(8, '0');
  return s.slice(6) === '00' ? `${s.slice(0, 4)}-${s.slice(4, 6)}` : `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6)}`;
};
const commText = (c) => (!c ? '—' : /^\d+$/.test(c) ? areaName(c) : c + t('pp.community_suffix'));
const flagsText = (f) => FLAGS.filter(([b]) => f & b).map(([, k]) => t(k)).join('、') || '—';
const time = (ms) => (ms ? fmtTime(new Date(ms).toISOString()) : '—');
// a list's separator and a label's colon in the page's language
const sep = () => t('pp.sep');
const colon = () => t('pp.colon');

async function loadSources() {
  const r = await get('/api/v1/people/sources');
  sourceNames = new Map(r.sources.map((s) => [s.key, s.name]));
  return r.sources;
}

export async function render(ctx) {
  const view = ctx.props?.view || 'home';
  if (view === 'review') return reviewView(ctx);
  if (view === 'person') return personView(ctx);
  return homeView(ctx);
}

// ---- sources, import, persons ----------------------------------------------------------

async function homeView(ctx) {
  const writer = WRITERS.includes(ctx.user.role);
  ctx.root.append(h('div', { class: 'page-head' }, pageTitle(t('pp.title')),
    REVIEWERS.includes(ctx.user.role) ? h('a', { class: 'button', href: '#/people/review', id: 'pp-review-link' }, t('pp.review_title')) : null),
  h('p', { class: 'muted' }, t('pp.intro')));
  const srcBox = h('section', { class: 'card', 'aria-labelledby': 'pp-src-h' }, h('h2', { id: 'pp-src-h' }, t('pp.sources')), loading());
  const impBox = writer ? h('section', { class: 'card', id: 'pp-import', 'aria-labelledby': 'pp-imp-h' }) : null;
  const histBox = h('section', { class: 'card', 'aria-labelledby': 'pp-hist-h' }, h('h2', { id: 'pp-hist-h' }, t('pp.imports')), loading());
  const findBox = h('section', { class: 'card', 'aria-labelledby': 'pp-find-h' });
  ctx.root.append(...[srcBox, impBox, histBox, findBox].filter(Boolean));
  let sources;
  try { sources = await loadSources(); } catch (e) { srcBox.replaceChildren(errorBox(e)); return; }
  // the administrator may withdraw a source: its records are deleted (the deletion is in the trace)
  const admin = ctx.user.role === 'admin';
  const withdraw = async (s, btn) => {
    if (!confirm(t('pp.withdraw_confirm', { name: sourceName(s.key), n: s.records }))) return;
    btn.disabled = true;
    try {
      const r = await post(`/api/v1/people/sources/${encodeURIComponent(s.key)}/withdraw`, {});
      toast(t('pp.withdrawn', { name: sourceName(s.key), n: r.deleted }));
      ctx.root.replaceChildren();
      await homeView(ctx);
    } catch (e) { btn.disabled = false; srcBox.append(errLine(e)); }
  };
  const live = sources.filter((s) => !s.withdrawn_at);
  srcBox.replaceChildren(h('h2', { id: 'pp-src-h' }, t('pp.sources')), live.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'pp-sources' },
    h('thead', null, h('tr', null, ['pp.source', 'pp.records', 'pp.imports_n', 'pp.mapping', 'pp.updated', ...(admin ? ['pp.retention'] : [])].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, live.map((s) => h('tr', { dataset: { key: s.key } },
      h('th', { scope: 'row' }, sourceName(s.key)), h('td', null, String(s.records)), h('td', null, String(s.imports)),
      h('td', { class: 'small' }, Object.entries(s.mapping).filter(([, f]) => f !== 'attr').map(([col, f]) => `${col}→${t('pp.f.' + f)}`).join(sep())),
      h('td', null, time(s.updated_at)),
      admin ? h('td', null, h('button', { type: 'button', class: 'secondary pp-withdraw', onclick: (ev) => withdraw(s, ev.currentTarget) }, t('pp.withdraw'))) : null))))) : h('p', { class: 'muted', id: 'pp-no-sources' }, t('pp.no_sources')));
  if (impBox) importCard(ctx, impBox, sources);
  history(histBox);
  findCard(ctx, findBox);
}

async function history(box) {
  let r;
  try { r = await get('/api/v1/people/imports'); } catch (e) { box.replaceChildren(errorBox(e)); return; }
  box.replaceChildren(h('h2', { id: 'pp-hist-h' }, t('pp.imports')), r.imports.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'pp-imports' },
    h('thead', null, h('tr', null, ['pp.source', 'pp.file', 'pp.when', 'pp.rows', 'pp.added', 'pp.updated_n', 'pp.retired', 'pp.persons', 'pp.to_review'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, r.imports.map((im) => h('tr', null, h('th', { scope: 'row' }, sourceName(im.source)), h('td', null, im.file), h('td', null, time(im.at)),
      [im.rows, im.added, im.updated, im.retired, im.persons, im.review].map((n) => h('td', null, String(n)))))))) : h('p', { class: 'muted' }, t('pp.no_imports')));
}

function importCard(ctx, box, sources) {
  const srcSel = select([['', t('pp.new_source')], ...sources.filter((s) => !s.withdrawn_at).map((s) => [s.key, sourceName(s.key)])], '', { id: 'pp-src' });
  const nameIn = h('input', { id: 'pp-src-name', maxlength: 60, placeholder: t('pp.source_name_ph') });
  // the browser's own file button speaks the browser's language: a labelled button of ours instead
  const fileIn = h('input', { type: 'file', id: 'pp-file', accept: '.csv,.xlsx,.txt', class: 'visually-hidden' });
  const fileName = h('span', { class: 'small', id: 'pp-file-name' }, t('pp.no_file'));
  // another file, source or name is another import: a new source gets a new key (a second file for a
  // "new source" went into the previous one and retired its records)
  const restart = () => { key = null; preview.replaceChildren(); };
  fileIn.addEventListener('change', () => { fileName.textContent = fileIn.files[0]?.name || t('pp.no_file'); restart(); });
  const fileBox = h('div', { class: 'field pp-file' }, h('span', { class: 'label' }, t('pp.file')),
    h('div', { class: 'btn-row' }, fileIn, h('label', { for: 'pp-file', class: 'btn ghost', id: 'pp-file-pick' }, t('pp.pick_file')), ' ', fileName),
    h('small', { class: 'hint' }, t('pp.file_hint')));
  const preview = h('div', { id: 'pp-preview' });
  const bar = h('progress', { id: 'pp-progress', max: 100, value: 0, hidden: true });
  const barText = h('span', { class: 'small muted', id: 'pp-progress-text', 'aria-live': 'polite' });
  const dryBtn = h('button', { type: 'button', id: 'pp-dry', class: 'secondary' }, t('pp.dry_run'));
  const nameField = field(t('pp.source_name'), nameIn);
  // an existing source's name can be changed here (a source imported by the CLI without --name has none)
  srcSel.addEventListener('change', () => {
    nameIn.value = srcSel.value ? sources.find((s) => s.key === srcSel.value)?.name || '' : '';
    restart();
  });
  nameIn.addEventListener('input', () => { if (!srcSel.value) restart(); });
  box.replaceChildren(h('h2', { id: 'pp-imp-h' }, t('pp.import_title')), h('p', { class: 'muted small' }, t('pp.import_intro')),
    field(t('pp.source'), srcSel), nameField, fileBox, h('div', { class: 'actions' }, dryBtn), preview, h('div', null, bar, ' ', barText));
  let key = null;
  const upload = async (dry) => {
    const f = fileIn.files[0];
    if (!f) { toast(t('pp.choose_file'), 'error'); return null; }
    if (!srcSel.value && !nameIn.value.trim()) { toast(t('pp.need_name'), 'error'); nameIn.focus(); return null; }
    key = srcSel.value || key || 'src-' + Date.now().toString(36);
    if (nameIn.value.trim() && sourceNames.get(key) !== nameIn.value.trim()) {
      await api('PUT', '/api/v1/people/sources/' + key, { name: nameIn.value.trim() });
      sourceNames.set(key, nameIn.value.trim());
    }
    bar.hidden = false; bar.value = 0; barText.textContent = t('pp.uploading');
    let done = false;
    const poll = async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, 300));
        try {
          const p = (await get('/api/v1/people/imports')).progress;
          if (p.running && p.total) { bar.value = Math.min(100, Math.round((100 * p.done) / p.total)); barText.textContent = t('pp.phase.' + p.phase); }
        } catch { /* the next poll */ }
      }
    };
    if (!dry) poll();
    const res = await fetch(`/api/v1/people/sources/${key}/import?file=${encodeURIComponent(f.name)}${dry ? '&dry_run=1' : ''}`,
      { method: 'POST', headers: csrfHeaders('POST'), body: f, cache: 'no-store' });
    done = true;
    const json = await res.json().catch(() => null);
    bar.value = 100;
    if (dry) bar.hidden = true; // a preview reads the file at once: no bar left standing
    if (!res.ok) { barText.textContent = ''; bar.hidden = true; throw new ApiError(res.status, json?.error?.code || 'http', json?.error?.message || ''); }
    barText.textContent = dry ? '' : t('pp.done');
    return json;
  };
  dryBtn.addEventListener('click', async () => {
    dryBtn.disabled = true;
    try {
      const r = await upload(true);
      if (r) showPreview(ctx, preview, r, () => key, upload);
    } catch (e) { preview.replaceChildren(errLine(e)); } finally { dryBtn.disabled = false; }
  });
}

function showPreview(ctx, box, r, keyOf, upload) {
  const sels = r.mapping.map((m) => select(FIELDS.map((f) => [f, t('pp.f.' + f)]), m.field, { 'aria-label': m.header, dataset: { header: m.header } }));
  const howText = (how) => t('pp.how.' + how);
  const rows = (r.report || []).slice(0, 20);
  const saveBtn = h('button', { type: 'button', id: 'pp-save-map', class: 'secondary' }, t('pp.save_mapping'));
  const goBtn = h('button', { type: 'button', id: 'pp-go' }, t('pp.import_now'));
  const result = h('div', { id: 'pp-result' });
  const mappingBody = () => Object.fromEntries(sels.map((s) => [s.dataset.header, s.value]));
  saveBtn.addEventListener('click', async () => {
    try { await api('PUT', '/api/v1/people/sources/' + keyOf(), { mapping: mappingBody() }); toast(t('pp.mapping_saved')); } catch (e) { result.replaceChildren(errLine(e)); }
  });
  goBtn.addEventListener('click', async () => {
    goBtn.disabled = true;
    try {
      await api('PUT', '/api/v1/people/sources/' + keyOf(), { mapping: mappingBody() });
      const x = await upload(false);
      if (!x) return;
      result.replaceChildren(h('p', { class: 'alert ok', id: 'pp-imported' }, t('pp.imported', { rows: x.rows, added: x.added, updated: x.updated, retired: x.retired, persons: x.persons, review: x.review })));
      toast(t('pp.done'));
    } catch (e) { result.replaceChildren(errLine(e)); } finally { goBtn.disabled = false; }
  });
  // a header naming no name or ID number column: the form first, to say which column it is
  const summary = r.missing ? h('p', { class: 'alert error', role: 'alert', id: 'pp-missing' }, t('pp.missing', { header: r.header_row, field: t('pp.f.' + r.missing) }))
    : h('p', { id: 'pp-dry-summary' }, t('pp.dry_summary', { rows: r.rows, added: r.added, updated: r.updated, retired: r.retired, unchanged: r.unchanged, skipped: r.skipped, header: r.header_row }));
  box.replaceChildren(
    summary,
    h('h3', null, t('pp.mapping_title')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'pp-mapping' },
      h('thead', null, h('tr', null, ['pp.column', 'pp.field', 'pp.how'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, r.mapping.map((m, i) => {
        // the first column is the record number whatever it maps to; a column set here is "set by hand"
        const how = h('td', { class: 'small muted pp-how' }, i === 0 ? t('pp.how.record_id') + (m.field !== 'attr' ? t('pp.sep') + howText(m.how) : '') : howText(m.how));
        sels[i].addEventListener('change', () => { how.textContent = (i === 0 ? t('pp.how.record_id') + t('pp.sep') : '') + howText('hand'); });
        return h('tr', null, h('th', { scope: 'row' }, m.header || '—'), h('td', null, sels[i]), how);
      })))),
    rows.length ? h('details', null, h('summary', null, t('pp.report_rows', { n: rows.length })), h('ul', { class: 'plain small' },
      rows.map((x) => h('li', null, t('pp.report_row', { row: x.row, action: t('pp.action.' + x.action) }))))) : null,
    h('div', { class: 'actions' }, saveBtn, goBtn), result);
}

function findCard(ctx, box) {
  const q = h('input', { id: 'pp-q', type: 'search', maxlength: 20, placeholder: t('pp.search_ph') });
  const list = h('div', { id: 'pp-persons' });
  const row = (p) => h('tr', { dataset: { id: p.id } }, h('th', { scope: 'row' }, h('a', { href: '#/people/person/' + p.id }, p.name)),
    h('td', null, sexText(p.sex)), h('td', null, dateText(p.birth_date)), h('td', null, p.id_number || '—'), h('td', null, commText(p.community)),
    h('td', null, String(p.records)));
  // a page of 100 (the API's), then 更多 for the next after the last shown
  const run = async () => {
    list.replaceChildren(loading());
    const query = q.value.trim() ? 'q=' + encodeURIComponent(q.value.trim()) : '';
    const page = (after) => get('/api/v1/people/persons?' + [query, after ? 'after=' + after : ''].filter(Boolean).join('&'));
    try {
      const r = await page(0);
      if (!r.persons.length) { list.replaceChildren(h('p', { class: 'muted' }, t('pp.no_persons'))); return; }
      const body = h('tbody', null, r.persons.map(row));
      const more = h('button', { type: 'button', class: 'secondary', id: 'pp-more', hidden: r.persons.length < 100 }, t('pp.more'));
      let last = r.persons[r.persons.length - 1].id;
      more.addEventListener('click', async () => {
        more.disabled = true;
        try {
          const n = await page(last);
          body.append(...n.persons.map(row));
          if (n.persons.length) last = n.persons[n.persons.length - 1].id;
          more.hidden = n.persons.length < 100;
        } catch (e) { list.append(errLine(e)); } finally { more.disabled = false; }
      });
      list.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'pp-person-list' },
        h('thead', null, h('tr', null, ['pp.name', 'pp.sex', 'pp.birth', 'pp.id_number', 'pp.community', 'pp.sources_n'].map((k) => h('th', { scope: 'col' }, t(k))))),
        body)), h('div', { class: 'actions' }, more));
    } catch (e) { list.replaceChildren(errorBox(e)); }
  };
  const form = h('form', { class: 'inline-form', onsubmit: (ev) => { ev.preventDefault(); run(); } }, field(t('pp.search'), q), h('button', { type: 'submit' }, t('pp.search_go')));
  box.replaceChildren(h('h2', { id: 'pp-find-h' }, t('pp.find_title')), form, list);
  run();
}

// ---- the review queue ----------------------------------------------------------------------

async function reviewView(ctx) {
  ctx.root.append(h('div', { class: 'page-head' }, pageTitle(t('pp.review_title')), h('a', { href: '#/people' }, t('pp.back'))),
    h('p', { class: 'muted' }, t('pp.review_intro')));
  const box = h('div', { id: 'pp-queue' }, loading());
  ctx.root.append(box);
  let r;
  try { await loadSources(); r = await get('/api/v1/people/review?limit=30'); } catch (e) { box.replaceChildren(errorBox(e)); return; }
  const card = (p) => {
    const status = h('p', { class: 'small', 'aria-live': 'polite' });
    const decide = async (decision) => {
      try {
        await post('/api/v1/people/review', { a_source: p.a_source, a_record: p.a_record, b_source: p.b_source, b_record: p.b_record, decision });
        el.remove();
        toast(t(decision === 'same' ? 'pp.decided_same' : 'pp.decided_different'));
      } catch (e) { status.replaceChildren(errLine(e)); }
    };
    // one table: a row per field, the two records side by side and what the comparison found
    const [ra, rb] = p.records;
    const rows = [['pp.source', null, (x) => sourceName(x.source)], ['pp.name', 'name', (x) => x.name || '—'], ['pp.sex', 'sex', (x) => sexText(x.sex)],
      ['pp.birth', 'birth_date', (x) => dateText(x.birth_date)], ['pp.id_number', 'id_number', (x) => x.id_number || '—'], ['pp.phone', 'phone', (x) => x.phone || '—'],
      ['pp.address', 'address', (x) => x.address || '—'], ['pp.community', null, (x) => commText(x.community)], ['pp.f.household_no', 'household_no', (x) => x.household_no || '—']];
    const lv = (f) => (f && p.levels[f] && p.levels[f] !== 'missing' ? t('pp.lv.' + p.levels[f]) : '');
    const el = h('section', { class: 'card pp-pair', dataset: { a: p.a_source + ':' + p.a_record, b: p.b_source + ':' + p.b_record } },
      h('h3', null, t('pp.likelihood', { p: Math.round(p.prob * 100) })),
      h('div', { class: 'table-wrap' }, h('table', { class: 'stats pp-compare' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('pp.field')), h('th', { scope: 'col' }, t('pp.record_a')), h('th', { scope: 'col' }, t('pp.record_b')), h('th', { scope: 'col' }, t('pp.compared')))),
        h('tbody', null, rows.map(([k, f, v]) => h('tr', { dataset: f ? { field: f } : {} }, h('th', { scope: 'row' }, t(k)), h('td', null, v(ra)), h('td', null, v(rb)),
          h('td', { class: 'small pp-level', dataset: { level: (f && p.levels[f]) || '' } }, lv(f))))))),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'pp-same', onclick: () => decide('same') }, t('pp.same')),
        h('button', { type: 'button', class: 'secondary pp-different', onclick: () => decide('different') }, t('pp.different'))), status);
    return el;
  };
  box.replaceChildren(h('p', { id: 'pp-pending' }, t('pp.pending', { n: r.pending, d: r.decided })), ...(r.pairs.length ? r.pairs.map(card) : [h('p', { class: 'ok' }, t('pp.queue_empty'))]));
}

// ---- a person --------------------------------------------------------------------------------

async function personView(ctx) {
  const id = ctx.params.id;
  ctx.root.append(h('div', { class: 'page-head' }, pageTitle(t('pp.person_title')), h('a', { href: '#/people' }, t('pp.back'))));
  const box = h('div', { id: 'pp-person' }, loading());
  ctx.root.append(box);
  let p;
  try { await loadSources(); p = await get('/api/v1/people/persons/' + encodeURIComponent(id)); } catch (e) { box.replaceChildren(errorBox(e)); return; }
  const prov = (f) => {
    const x = p.provenance?.[f];
    return x ? t('pp.from', { source: sourceName(x.source), record: x.record_id, when: time(x.at) }) : '—';
  };
  const rows = [['name', p.name], ['sex', sexText(p.sex)], ['birth_date', dateText(p.birth_date)], ['id_number', p.id_number || '—'], ['phone', p.phone || '—'],
    ['address', p.address || '—'], ['household_no', p.household_no || '—']];
  const golden = h('section', { class: 'card', 'aria-labelledby': 'pp-g-h' }, h('h2', { id: 'pp-g-h' }, t('pp.golden')),
    h('table', { class: 'stats', id: 'pp-golden' }, h('thead', null, h('tr', null, ['pp.field', 'pp.value', 'pp.provenance'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, rows.map(([f, v]) => h('tr', { dataset: { field: f } }, h('th', { scope: 'row' }, t('pp.f.' + f)), h('td', { id: 'pp-g-' + f }, v), h('td', { class: 'small muted' }, prov(f)))),
        h('tr', null, h('th', { scope: 'row' }, t('pp.flags')), h('td', null, flagsText(p.flags)), h('td', { class: 'small muted' }, FLAGS.filter(([b]) => p.flags & b).map(([b]) => prov(['', 'living_alone', 'disability', '', 'student'][b])).join(t('pp.semi')))))),
    h('p', { class: 'small muted' }, t('pp.survivorship')));
  const purpose = h('textarea', { id: 'pp-purpose', rows: 2, maxlength: 200, placeholder: t('pp.purpose_ph') });
  const clear = h('div', { id: 'pp-clear' });
  const unmaskBtn = h('button', { type: 'submit', id: 'pp-unmask' }, t('pp.unmask'));
  const may = ['admin', 'dispatcher', 'community_staff'].includes(ctx.user.role);
  const unmask = may ? h('section', { class: 'card', 'aria-labelledby': 'pp-u-h' }, h('h2', { id: 'pp-u-h' }, t('pp.unmask_title')), h('p', { class: 'small muted' }, t('pp.unmask_intro')),
    h('form', { onsubmit: async (ev) => {
      ev.preventDefault();
      if (purpose.value.trim().length < 4) { toast(t('pp.need_purpose'), 'error'); purpose.focus(); return; }
      try {
        const u = await post(`/api/v1/people/persons/${encodeURIComponent(id)}/unmask`, { purpose: purpose.value.trim() });
        clear.replaceChildren(h('dl', { class: 'kv', id: 'pp-clear-values' }, h('dt', null, t('pp.id_number')), h('dd', null, u.id_number || '—'),
          h('dt', null, t('pp.phone')), h('dd', null, u.phone || '—')),
        h('ul', { class: 'plain small' }, u.records.map((x) => h('li', null, `${sourceName(x.source)}${colon()}${x.id_number || '—'}${sep()}${x.phone || '—'}`,
          Object.keys(x.attributes).length ? t('pp.semi') + Object.entries(x.attributes).map(([k, v]) => `${k}${colon()}${v}`).join(sep()) : ''))),
        h('p', { class: 'small muted' }, t('pp.audited')));
      } catch (e) { clear.replaceChildren(errorBox(e)); }
    } }, field(t('pp.purpose'), purpose), unmaskBtn), clear) : null;
  const recs = h('section', { class: 'card', 'aria-labelledby': 'pp-r-h' }, h('h2', { id: 'pp-r-h' }, t('pp.records_title', { n: p.records.length })),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'pp-records' },
      h('thead', null, h('tr', null, ['pp.source', 'pp.name', 'pp.sex', 'pp.birth', 'pp.id_number', 'pp.phone', 'pp.address'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, p.records.map((x) => h('tr', null, h('th', { scope: 'row' }, sourceName(x.source)), h('td', null, x.name), h('td', null, sexText(x.sex)),
        h('td', null, dateText(x.birth_date)), h('td', null, x.id_number || '—'), h('td', null, x.phone || '—'), h('td', null, x.address || '—')))))));
  // the household as the counts have it: the same household number, else the same dwelling
  const hh = p.household || [];
  const household = h('section', { class: 'card', 'aria-labelledby': 'pp-h-h' }, h('h2', { id: 'pp-h-h' }, t('pp.household_title', { n: hh.length + 1 })),
    hh.length ? h('ul', { class: 'plain', id: 'pp-household' }, hh.map((m) => h('li', { dataset: { id: m.id } },
      h('a', { href: '#/people/person/' + m.id }, m.name), `${sep()}${sexText(m.sex)}${sep()}${dateText(m.birth_date)}`)))
      : h('p', { class: 'muted', id: 'pp-household' }, t('pp.household_alone')),
    h('p', { class: 'small muted' }, t('pp.household_rule')));
  box.replaceChildren(...[golden, household, unmask, recs].filter(Boolean));
}
