// report.js -- report a problem (residents, staff) or file a patrol finding
// (grid workers, source "patrol"): category picker with search, a map pin on
// the grids, "use my location", text, photos; for residents "me too" (我也遇到):
// open public reports of the same category within 300 m of the pin (Open311
// requests.json), reported again with the same text so the server's
// duplicate merger folds the new report into the original.
import { h, field, pageTitle, errorBox, toast, nextId } from '../ui.js';
import { t, getLang, has } from '../i18n.js';
import { get, post } from '../api.js';
import { catalog, categoryName, areaLabel, areasOf, childrenOf, locateGrid } from '../catalog.js';
import { gridMap } from '../components/map.js';
import { photoPicker } from '../components/photos.js';

export async function render(ctx) {
  const patrol = ctx.props.source === 'patrol';
  const user = ctx.user;
  const en = getLang() === 'en';
  let pin = null, marker = null, mapObj = null, autoTitle = '';

  // --- category picker with search
  const search = h('input', { type: 'search', id: 'cat-search', placeholder: t('report.cat_search_ph'), autocomplete: 'off', 'aria-controls': 'cat-list' });
  const list = h('div', { class: 'cat-list', id: 'cat-list', role: 'radiogroup', 'aria-labelledby': 'cat-legend' });
  const title = h('input', { name: 'title', required: true, maxlength: 200 });
  for (const k of catalog().categories) {
    const id = nextId('cat');
    const input = h('input', { type: 'radio', name: 'category', value: k.code, id, required: true });
    input.addEventListener('change', () => {
      if (!title.value || title.value === autoTitle) { autoTitle = categoryName(k.code); title.value = autoTitle; }
      nearby();
    });
    list.append(h('label', { for: id, class: 'cat-opt', dataset: { code: k.code, text: `${k.code} ${k.name} ${k.name_en}`.toLowerCase() } },
      input, h('span', { class: 'cat-name' }, en ? k.name_en : k.name), h('small', null, t('kind.' + k.kind) + (k.urgent ? ' · ' + t('report.urgent') : ''))));
  }
  const noMatch = h('p', { class: 'muted', hidden: true }, t('report.cat_none'));
  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    let shown = 0;
    for (const opt of list.children) { const ok = !q || opt.dataset.text.includes(q); opt.hidden = !ok; shown += ok; }
    noMatch.hidden = shown > 0;
  });
  const catField = h('fieldset', { class: 'field' }, h('legend', { id: 'cat-legend' }, t('report.category')),
    field(t('report.cat_search'), search), list, noMatch);

  // --- location: a grid select (keyboard friendly) kept in step with the map pin
  // Staff with an area (a grid worker's grid, a community) report within it:
  // only its grids are offered, the first is chosen, the map shows it.
  const scope = user.role !== 'resident' && user.area && user.area.length >= 12 ? user.area : '';
  const inScope = (code) => !scope || code.startsWith(scope);
  const comms = areasOf('community').filter((c) => !scope || scope.startsWith(c.code) || c.code.startsWith(scope));
  const areaSel = h('select', { name: 'area', required: true },
    h('option', { value: '' }, t('common.choose')),
    comms.map((c) => h('optgroup', { label: c.name }, childrenOf(c.code).filter((g) => g.level === 'grid' && inScope(g.code)).map((g) => h('option', { value: g.code }, areaLabel(g.code))))));
  const firstGrid = areaSel.querySelector('option[value]:not([value=""])');
  if (scope && firstGrid) areaSel.value = scope.length === 15 ? scope : firstGrid.value;
  const where = h('p', { class: 'muted', id: 'pin-text', 'aria-live': 'polite' }, t('report.pin_none'));
  const mapEl = h('div', { class: 'map', id: 'report-map', role: 'application', 'aria-label': t('report.map_label') });
  const locBtn = h('button', { type: 'button', class: 'btn ghost', id: 'use-location' }, t('report.use_location'));
  const clearBtn = h('button', { type: 'button', class: 'btn ghost', hidden: true }, t('report.pin_clear'));

  function setPin(lat, lon) {
    const g = locateGrid(lon, lat);
    if (!g) { where.textContent = t('report.pin_outside'); return false; }
    if (!inScope(g.code)) { where.textContent = t('report.pin_outside_scope', { area: areaLabel(g.code) }); return false; }
    pin = { lat: +lat.toFixed(6), lon: +lon.toFixed(6) };
    areaSel.value = g.code;
    where.textContent = t('report.pin_at', { area: areaLabel(g.code), lat: pin.lat, lon: pin.lon });
    if (mapObj) {
      if (!marker) marker = mapObj.L.circleMarker([lat, lon], { radius: 9, color: '#fff', weight: 3, fillColor: '#b3261e', fillOpacity: 1 }).addTo(mapObj.map);
      else marker.setLatLng([lat, lon]);
    }
    clearBtn.hidden = false;
    nearby();
    return true;
  }
  clearBtn.addEventListener('click', () => { pin = null; marker?.remove(); marker = null; clearBtn.hidden = true; where.textContent = t('report.pin_none'); nearby(); });
  locBtn.addEventListener('click', () => {
    if (!navigator.geolocation) { where.textContent = t('report.loc_unavailable'); return; }
    where.textContent = t('report.locating');
    navigator.geolocation.getCurrentPosition(
      (p) => { if (setPin(p.coords.latitude, p.coords.longitude)) mapObj?.map.setView([p.coords.latitude, p.coords.longitude], 16, { animate: false }); },
      () => { where.textContent = t('report.loc_failed'); },
      { enableHighAccuracy: true, timeout: 10000 });
  });
  areaSel.addEventListener('change', () => {
    if (pin && locateGrid(pin.lon, pin.lat)?.code !== areaSel.value) clearBtn.click();
  });

  const body = h('textarea', { name: 'body', rows: 4, maxlength: 5000 });
  const address = h('input', { name: 'address', maxlength: 200, autocomplete: 'street-address' });
  const phone = h('input', { name: 'phone', type: 'tel', maxlength: 20, autocomplete: 'tel', inputmode: 'tel' });
  // --- classifier hint: as the text is typed (debounced), POST /api/v1/classify
  // and offer the top-3 categories as chips that select the category.
  const hint = h('div', { class: 'cls-hint', id: 'cls-hint', 'aria-live': 'polite', hidden: true });
  let hintTimer = null, hintSeq = 0, lastText = '';
  const selectCategory = (code) => {
    const input = list.querySelector(`input[value="${code}"]`);
    if (!input) return;
    if (search.value) { search.value = ''; search.dispatchEvent(new Event('input')); }
    input.checked = true;
    input.dispatchEvent(new Event('change'));
    const opt = input.closest('.cat-opt');
    if (opt) list.scrollTop = opt.offsetTop - list.offsetTop - 8; // inside the list only, the page stays put
    for (const b of hint.querySelectorAll('button[data-suggest]')) b.setAttribute('aria-pressed', String(b.dataset.suggest === code));
  };
  async function classify() {
    const text = { title: title.value.trim(), body: body.value.trim() };
    const key = text.title + '\n' + text.body;
    if (key === lastText) return;
    lastText = key;
    if ((text.title + text.body).length < 4) { hint.hidden = true; return; }
    const seq = ++hintSeq;
    let r;
    try { r = await post('/api/v1/classify', text.body ? text : { title: text.title }); } catch { if (seq === hintSeq) hint.hidden = true; return; }
    if (seq !== hintSeq) return;
    const chosen = list.querySelector('input[name=category]:checked')?.value;
    const top = (r.top || []).filter((x) => x.category && catalog().byCat.has(x.category)).slice(0, 3);
    if (!top.length) { hint.hidden = true; return; }
    hint.replaceChildren(...[
      h('p', { class: 'cls-title', id: 'cls-title' }, t('cls.suggest')),
      h('div', { class: 'chip-bar', role: 'group', 'aria-labelledby': 'cls-title' }, top.map((x) => h('button', {
        type: 'button', class: 'chip suggest', 'aria-pressed': String(chosen === x.category), dataset: { suggest: x.category, prob: x.prob },
        onclick: () => selectCategory(x.category) }, categoryName(x.category), h('span', { class: 'prob' }, Math.round(x.prob * 100) + '%')))),
      r.needs_human || !r.confident ? h('p', { class: 'small muted', dataset: { needsHuman: '1' } }, t('cls.needs_human')) : null].filter(Boolean));
    hint.hidden = false;
  }
  const queueClassify = () => { clearTimeout(hintTimer); hintTimer = setTimeout(classify, 450); };

  // --- "me too": open public reports of this category near the pin.
  const metoo = h('section', { class: 'metoo', id: 'metoo', 'aria-live': 'polite', 'aria-labelledby': 'metoo-h', hidden: true });
  let nearSeq = 0;
  async function nearby() {
    const code = list.querySelector('input[name=category]:checked')?.value;
    const seq = ++nearSeq;
    if (patrol || !code || !pin) { metoo.hidden = true; return; }
    let rs;
    try { rs = await get('/open311/v2/requests.json?' + new URLSearchParams({ service_code: code, status: 'open' })); } catch { rs = null; }
    if (seq !== nearSeq) return;
    const near = (Array.isArray(rs) ? rs : []).filter((r) => r.lat != null && r.long != null && r.description)
      .map((r) => ({ ...r, dist: metres(pin.lat, pin.lon, r.lat, r.long) })).filter((r) => r.dist <= 300)
      .sort((a, b) => a.dist - b.dist).slice(0, 5);
    if (!near.length) { metoo.hidden = true; return; }
    metoo.replaceChildren(h('h3', { id: 'metoo-h' }, t('metoo.title', { n: near.length })),
      h('p', { class: 'small muted' }, t('metoo.intro')),
      h('ul', null, near.map((r) => h('li', { dataset: { request: r.service_request_id } },
        h('div', { class: 'desc' }, h('strong', null, r.service_request_id), ' · ', t('metoo.dist', { m: Math.round(r.dist) }), ' · ', has('state.' + r.status_notes) ? t('state.' + r.status_notes) : r.status_notes,
          h('div', null, r.description)),
        h('button', { type: 'button', class: 'btn primary small', dataset: { metoo: r.service_request_id }, 'aria-label': t('metoo.button_for', { no: r.service_request_id }),
          onclick: (ev) => meToo(r, ev.currentTarget) }, t('metoo.button'))))));
    metoo.hidden = false;
  }
  async function meToo(r, btn) {
    msg.replaceChildren();
    const g = locateGrid(pin.lon, pin.lat);
    const req = { title: r.service_name || categoryName(r.service_code), body: r.description, category: r.service_code, area: g?.code || areaSel.value, lon: pin.lon, lat: pin.lat, source: 'web' };
    if (address.value.trim()) req.address = address.value.trim();
    if (phone.value.trim()) req.phone = phone.value.trim();
    btn.disabled = true;
    await send(req, r);
    btn.disabled = false;
  }

  const photos = photoPicker();
  const msg = h('div', { class: 'msg' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide' }, patrol ? t('patrol.submit') : t('report.submit'));
  const form = h('form', { class: 'report-form', id: 'report-form', novalidate: false },
    h('div', { class: 'report-grid' },
      h('div', { class: 'card stack' }, catField),
      h('div', { class: 'card stack' },
        h('h2', null, t('report.where')),
        mapEl, h('div', { class: 'btn-row' }, locBtn, clearBtn), where,
        field(t('report.area'), areaSel),
        field(t('report.address'), address)),
      h('div', { class: 'card stack' },
        h('h2', null, t('report.what')),
        metoo,
        field(t('report.title_field'), title),
        field(t('report.body'), body, t('report.body_hint')),
        hint,
        photos.el,
        patrol ? null : field(t('report.phone'), phone, t('report.phone_hint')),
        msg, submit)));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const fd = new FormData(form);
    const req = { title: title.value.trim(), category: fd.get('category'), area: areaSel.value };
    if (!req.category) { msg.append(errorBox({ code: 'need_category' })); list.querySelector('input')?.focus(); return; }
    if (!req.area) { msg.append(errorBox({ code: 'need_area' })); areaSel.focus(); return; }
    if (body.value.trim()) req.body = body.value.trim();
    if (address.value.trim()) req.address = address.value.trim();
    if (!patrol && phone.value.trim()) req.phone = phone.value.trim();
    if (pin) { req.lon = pin.lon; req.lat = pin.lat; }
    req.source = patrol ? 'patrol' : 'web';
    await send(req, null);
  });

  // Creates the case, links the photos, shows the number (or, for a report
  // the server merged, the original it was folded into).
  async function send(req, orig) {
    submit.disabled = true;
    let c;
    try {
      await photos.settle();
      c = await post('/api/v1/cases', req);
    } catch (e) {
      submit.disabled = false;
      msg.append(errorBox(e));
      return;
    }
    const failed = await photos.linkTo(c.id);
    const again = h('button', { type: 'button', class: 'btn ghost', onclick: () => ctx.rerender() }, t('report.another'));
    const photoNote = failed ? h('p', { class: 'alert error', role: 'alert' }, t('photo.link_failed', { n: failed })) : null;
    if (c.state === 'merged' && c.merged_into) {
      let target = orig && orig.service_request_id;
      try { target = (await get('/api/v1/cases/' + c.merged_into)).no || target; } catch { /* keep the Open311 number */ }
      target ||= '#' + c.merged_into;
      toast(t('metoo.merged', { no: target }));
      ctx.root.replaceChildren(pageTitle(t('metoo.done_title')),
        h('div', { class: 'card stack done', dataset: { caseNo: c.no, caseId: c.id, mergedInto: c.merged_into, mergedNo: target } },
          h('p', { class: 'merged-text' }, t('metoo.merged', { no: target })),
          h('p', { class: 'small muted' }, t('metoo.own_no', { no: c.no })), photoNote,
          h('div', { class: 'btn-row' },
            h('a', { class: 'btn primary', href: '#/case/' + c.merged_into, id: 'follow-original' }, t('metoo.follow', { no: target })), again)));
    } else {
      toast(t('report.done', { no: c.no }));
      ctx.root.replaceChildren(pageTitle(t('report.done_title')),
        h('div', { class: 'card stack done', dataset: { caseNo: c.no, caseId: c.id } },
          orig ? h('p', { class: 'alert info', dataset: { notMerged: '1' } }, t('metoo.not_merged')) : null,
          h('p', null, t('report.done_text')),
          h('p', { class: 'case-no' }, c.no), photoNote,
          h('div', { class: 'btn-row' },
            h('a', { class: 'btn primary', href: '#/case/' + c.id }, t('report.follow')), again)));
    }
    document.getElementById('page-title')?.focus();
  }

  title.addEventListener('input', () => { if (title.value !== autoTitle) queueClassify(); });
  body.addEventListener('input', queueClassify);

  ctx.root.append(pageTitle(patrol ? t('patrol.title') : t('report.title')),
    h('p', { class: 'muted' }, patrol ? t('patrol.intro') : t('report.intro')), form);
  mapObj = await gridMap(mapEl, {
    focus: scope || undefined,
    tooltip: (a) => areaLabel(a.code),
    onClick: (ll) => setPin(ll.lat, ll.lng),
  });
  return () => { clearTimeout(hintTimer); hintSeq++; mapObj?.map.remove(); };
}

// Great-circle distance in metres between two WGS-84 points.
function metres(lat1, lon1, lat2, lon2) {
  const r = Math.PI / 180, a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}
