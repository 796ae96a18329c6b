// leader.js -- 领导视图 on the dashboard: any date range (kept in the address)
// with cases in and 三率 -- 受理率, 按期办结率, 满意率 -- each against the
// previous period of the same length (环比) and the same dates a year earlier
// (同比), from GET /api/v1/stats/range (docs/brief.md).
import { h, errorBox, loading, serverNow } from '../ui.js';
import { t } from '../i18n.js';
import { get } from '../api.js';

// today in Beijing by the platform's clock (a demo may run it faster)
export const today = () => new Date(serverNow() + 8 * 3600e3).toISOString().slice(0, 10);
export const monthStart = () => today().slice(0, 8) + '01';
const rate = (x) => (x && x.den > 0 ? x.num / x.den : null);
export const pct = (v) => (v == null ? '—' : (Math.round(v * 1000) / 10).toFixed(1) + '%');

// A change: counts as a relative change, rates in percentage points.
function delta(now, then, isRate) {
  if (now == null || then == null) return { text: '—', dir: 'none' };
  if (isRate) {
    const d = Math.round((now - then) * 1000) / 10;
    return { text: (d > 0 ? '+' : '') + d.toFixed(1) + t('lead.pp'), dir: d > 0 ? 'up' : d < 0 ? 'down' : 'flat' };
  }
  if (!then) return { text: now ? t('lead.new') : '0', dir: now ? 'up' : 'flat' };
  const d = Math.round(((now - then) / then) * 1000) / 10;
  return { text: (d > 0 ? '+' : '') + d.toFixed(1) + '%', dir: d > 0 ? 'up' : d < 0 ? 'down' : 'flat' };
}

// One figure with its 环比 and 同比; for intake a rise is neither good nor bad.
export function figure(key, r, pick, isRate) {
  const v = pick(r.now), p = pick(r.prev), y = pick(r.last_year);
  const mom = delta(v, p, isRate), yoy = delta(v, y, isRate);
  return h('div', { class: 'tile lead-tile', dataset: { lead: key } },
    h('span', { class: 'tile-v' }, isRate ? pct(v) : String(v ?? 0)),
    h('span', { class: 'tile-k' }, t('lead.' + key)),
    h('span', { class: 'lead-d', dataset: { mom: mom.dir } }, t('lead.mom'), ' ', mom.text),
    h('span', { class: 'lead-d', dataset: { yoy: yoy.dir } }, t('lead.yoy'), ' ', yoy.text));
}

export const FIGURES = [
  ['intake', (x) => x.intake, false],
  ['intake_rate', (x) => rate(x.intake_rate), true],
  ['ontime_close', (x) => rate(x.ontime_close), true],
  ['satisfaction', (x) => rate(x.satisfaction), true],
];

export function leaderCard(ctx, scope) {
  const q = ctx.query;
  const from = h('input', { type: 'date', id: 'lead-from', name: 'from', value: q.get('from') || monthStart() });
  const to = h('input', { type: 'date', id: 'lead-to', name: 'to', value: q.get('to') || today() });
  const form = h('form', { class: 'btn-row lead-range', id: 'lead-range' },
    h('label', { for: 'lead-from' }, t('lead.from')), from, h('label', { for: 'lead-to' }, t('lead.to')), to,
    h('button', { type: 'submit', class: 'btn small primary' }, t('lead.apply')),
    h('a', { class: 'btn small ghost', href: '#/brief' + (scope ? '?area=' + scope : ''), id: 'lead-brief' }, t('lead.brief')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams(q);
    p.set('from', from.value);
    p.set('to', to.value);
    ctx.navigate('/dashboard?' + p);
  });
  const body = h('div', { id: 'lead-body' }, loading());
  const card = h('section', { class: 'card lead', 'aria-labelledby': 'lead-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'lead-h' }, t('lead.title')), form), body);
  const p = new URLSearchParams({ from: from.value, to: to.value });
  if (scope) p.set('area', scope);
  get('/api/v1/stats/range?' + p).then((r) => {
    body.replaceChildren(
      h('p', { class: 'small muted', id: 'lead-periods' }, t('lead.periods', { from: r.now.from, to: r.now.to, pfrom: r.prev.from, pto: r.prev.to, yfrom: r.last_year.from, yto: r.last_year.to })),
      h('div', { class: 'tiles' }, FIGURES.map(([k, pick, isRate]) => figure(k, r, pick, isRate))));
    card.dataset.range = JSON.stringify({ from: r.now.from, to: r.now.to });
  }).catch((e) => body.replaceChildren(errorBox(e)));
  return card;
}
