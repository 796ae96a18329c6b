// print.js -- printable forms of a case on one A4 page: 派单单 (the work
// order a department signs for) and 督办单 (the supervision order), with the
// street's name, the case number and a QR code linking to the case, the
// routing basis, the deadlines and signature lines. Printed with the
// browser's print (a print stylesheet hides everything else); docs/ui.md.
import { h, pageTitle, errorBox, fmtTime } from '../ui.js';
import { t, getLang } from '../i18n.js';
import { get } from '../api.js';
import { categoryName, deptName, areaName, areaLabel, catalog } from '../catalog.js';
import { qrSvg } from '../components/qr.js';
import { reasonText } from '../reasons.js';
import { manualText } from '../components/casedispatch.js';
import { levelText } from '../components/caseview.js';

const FORMS = ['dispatch', 'supervise'];
const MAX_BODY = 400; // characters of the description on paper: the sheet stays one page

const clip = (s, n) => (s && s.length > n ? s.slice(0, n) + '…' + t('print.more_online') : s || '—');

function row(label, value, field) {
  return [h('th', { scope: 'row' }, t(label)), h('td', { dataset: { field } }, value)];
}

// the lines a person signs, each with a date
function signatures(keys) {
  return h('div', { class: 'sig-grid' }, keys.map((k) => h('div', { class: 'sig', dataset: { sig: k } },
    h('span', { class: 'sig-label' }, t('print.sig.' + k)), h('span', { class: 'sig-line' }),
    h('span', { class: 'sig-label' }, t('print.sig_date')), h('span', { class: 'sig-line short' }))));
}

function phaseRows(c) {
  return (c.phases || []).map((p) => h('tr', { dataset: { phase: p.phase } },
    h('td', null, t('phase.' + p.phase)),
    h('td', null, p.dept_id ? deptName(p.dept_id) : p.user_id ? (p.user || t('phase.user_assigned')) : '—'),
    h('td', null, p.start_at ? fmtTime(p.start_at) : '—'),
    h('td', null, p.deadline_at ? fmtTime(p.deadline_at) : '—'),
    h('td', null, p.end_at ? fmtTime(p.end_at) : p.overdue_at ? t('phase.overdue') : '')));
}

export async function render(ctx) {
  const form = FORMS.includes(ctx.query.get('form')) ? ctx.query.get('form') : 'dispatch';
  let c;
  try { c = await get('/api/v1/cases/' + encodeURIComponent(ctx.params.id)); } catch (e) { ctx.root.append(pageTitle(t('print.title_' + form)), errorBox(e)); return; }
  const street = areaName(c.area.slice(0, 9));
  // the case by its number (what the sheet prints; the API and the case page take it)
  const url = `${location.origin}/#/case/${encodeURIComponent(c.no)}`;
  const r = c.route || {};
  const en = getLang() === 'en';
  const dn = (code) => { const d = catalog().byDeptCode.get(code); return d ? (en ? d.name_en || d.name : d.name) : code; };
  const co = Array.isArray(r.co_depts) ? r.co_depts : String(r.co_depts || '').split('|').filter(Boolean);
  // 督办 as the case page counts them: the supervisors' own from the trace (an
  // earlier build's timer wrote a 督办 per further time limit and counted it in
  // c.escalation), the timer's level on the open phase beside; the instruction
  // is a person's last one, else the timer's
  const escalations = (c.timeline || []).filter((e) => e.action === 'escalate');
  const byPeople = escalations.filter((e) => e.role !== 'system');
  const lastEsc = byPeople[byPeople.length - 1] || escalations[escalations.length - 1];
  const level = Math.max(0, ...(c.phases || []).filter((p) => !p.end_at).map((p) => p.level || 0));
  const lastHash = (c.timeline || []).slice(-1)[0]?.hash || '';

  // the bar on screen: print, back to the case, the other form
  const other = form === 'dispatch' ? 'supervise' : 'dispatch';
  const printBtn = h('button', { type: 'button', class: 'btn primary', id: 'print-now' }, t('print.print'));
  printBtn.addEventListener('click', () => window.print());
  const bar = h('div', { class: 'print-bar btn-row' }, printBtn,
    h('a', { class: 'btn ghost', href: '#/case/' + c.id }, t('print.back')),
    h('a', { class: 'btn ghost', href: `#/print/${c.id}?form=${other}`, dataset: { form: other } }, t('print.title_' + other)),
    h('span', { class: 'muted small' }, t('print.hint')));

  const head = h('header', { class: 'sheet-head' },
    h('div', { class: 'sheet-titles' },
      h('div', { class: 'sheet-street', id: 'sheet-street' }, street),
      h('h1', { id: 'page-title', tabindex: '-1' }, t('print.title_' + form)),
      h('div', { class: 'sheet-no' }, t('print.no'), ' ', h('strong', { id: 'sheet-no' }, c.no))),
    h('figure', { class: 'sheet-qr' }, await qrSvg(url, { size: '28mm', label: t('print.qr_label', { no: c.no }) }),
      h('figcaption', null, t('print.qr_caption'))));
  document.title = `${t('print.title_' + form)} ${c.no} · ${t('app.name')}`;

  const facts = h('table', { class: 'sheet-facts' }, h('tbody', null,
    h('tr', null, row('case.title_col', c.title, 'title'), row('case.category', categoryName(c.category), 'category')),
    h('tr', null, row('case.area', areaLabel(c.area), 'area'), row('case.source', t('source.' + c.source), 'source')),
    h('tr', null, row('case.created', fmtTime(c.created_at), 'created'), row('case.state', t('state.' + c.state), 'state')),
    h('tr', null, row('case.address', c.address || '—', 'address'), row('case.phone', c.phone || '—', 'phone')),
    h('tr', null, h('th', { scope: 'row' }, t('print.body')), h('td', { colspan: 3, class: 'sheet-body' }, clip(c.body, MAX_BODY)))));

  const basis = h('section', { class: 'sheet-sec', dataset: { sec: 'basis' } }, h('h2', null, t('print.basis')),
    h('table', { class: 'sheet-facts' }, h('tbody', null,
      h('tr', null, row('print.dept', c.dept_id ? deptName(c.dept_id) : (r.lead_dept ? dn(r.lead_dept) : '—'), 'dept'),
        row('route.co', co.length ? co.map(dn).join('、') : '—', 'co')),
      h('tr', null, row('route.entry', [r.entry_id || '—', r.list_version ? t('print.list_v', { v: r.list_version }) : ''], 'entry'),
        row('route.grid', r.grid ? areaLabel(r.grid) : '—', 'grid')),
      h('tr', null, h('th', { scope: 'row' }, t('route.legal_basis')), h('td', { colspan: 3, dataset: { field: 'legal_basis' } }, r.manual ? manualText(r) : (r.legal_basis || '—'))))));

  const limits = h('section', { class: 'sheet-sec', dataset: { sec: 'limits' } }, h('h2', null, t('print.limits')),
    (c.phases || []).length ? h('table', { class: 'sheet-grid' },
      h('thead', null, h('tr', null, ['phase.phase', 'phase.who', 'print.start', 'phase.deadline', 'print.end'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, phaseRows(c))) : h('p', null, t('print.no_limits')),
    c.deadline ? h('p', { class: 'sheet-deadline' }, t('print.current_deadline'), ' ', h('strong', { id: 'sheet-deadline' }, fmtTime(c.deadline))) : null);

  let middle, sigs;
  if (form === 'dispatch') {
    middle = h('section', { class: 'sheet-sec', dataset: { sec: 'result' } }, h('h2', null, t('print.result')),
      h('div', { class: 'sheet-box' }), h('p', { class: 'small' }, t('print.result_hint')));
    sigs = signatures(['dispatcher', 'receiver', 'handler', 'verifier']);
  } else {
    middle = h('section', { class: 'sheet-sec', dataset: { sec: 'supervise' } }, h('h2', null, t('print.supervise')),
      h('p', { id: 'sheet-esc' }, t('print.esc_count', { n: c.timeline ? byPeople.length : c.escalation || 0 }),
        level ? ' · ' + levelText(level) : '', c.flags?.includes('overdue') ? ' · ' + t('flag.overdue') : ''),
      lastEsc ? h('p', { class: 'sheet-opinion', id: 'sheet-opinion' }, h('strong', null, t('print.opinion')), ' ', reasonText(lastEsc) || '—',
        h('span', { class: 'small' }, ` (${fmtTime(lastEsc.at)})`)) : h('p', null, t('print.no_escalation')),
      h('p', null, t('print.reply_by')), h('div', { class: 'sheet-box short' }));
    sigs = signatures(['supervisor', 'dept_head', 'receiver']);
  }
  const foot = h('footer', { class: 'sheet-foot small' },
    t('print.printed', { at: fmtTime(new Date().toISOString()), who: ctx.user.display || ctx.user.name }), ' · ',
    t('print.trace'), ' ', h('code', null, lastHash.slice(0, 16)), ' · ', h('code', { id: 'sheet-url' }, url));

  const sheet = h('article', { class: 'sheet', id: 'sheet', dataset: { form } }, head, facts, basis, limits, middle, sigs, foot);
  ctx.root.append(bar, sheet);
}
