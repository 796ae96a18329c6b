// catalog.js -- the public catalogue (categories, departments, areas), loaded
// once and cached, with names in the current language.
import { get } from './api.js';
import { getLang } from './i18n.js';

export const STATES = ['reported', 'registered', 'dispatched', 'accepted', 'handling', 'feedback', 'verified',
  'closed', 'rated', 'returned', 'suspended', 'deferred', 'voided', 'merged'];
export const CLOSED_STATES = ['closed', 'rated', 'voided', 'merged'];
export const isOpen = (state) => !CLOSED_STATES.includes(state);

const cat = { categories: [], depts: [], areas: [], byCat: new Map(), byDept: new Map(), byDeptCode: new Map(), byArea: new Map() };
let loaded = null;

export function loadCatalog() {
  loaded ||= Promise.all([get('/api/v1/categories'), get('/api/v1/depts'), get('/api/v1/areas')]).then(([c, d, a]) => {
    cat.categories = c.categories;
    cat.depts = d.depts;
    cat.areas = a.areas;
    for (const k of cat.categories) cat.byCat.set(k.code, k);
    for (const k of cat.depts) { cat.byDept.set(k.id, k); cat.byDeptCode.set(k.code, k); }
    for (const k of cat.areas) cat.byArea.set(k.code, k);
    return cat;
  }).catch((e) => { loaded = null; throw e; });
  return loaded;
}

export const catalog = () => cat;
const en = () => getLang() === 'en';

export function categoryName(code) {
  const k = cat.byCat.get(code);
  if (!k) return code || '—';
  return en() ? (k.name_en || k.name) : k.name;
}
export function deptName(id) {
  const k = cat.byDept.get(Number(id));
  if (!k) return id ? '#' + id : '—';
  return en() ? (k.name_en || k.name) : k.name;
}
// The department a category is dispatched to by default (from the catalogue).
export function defaultDeptFor(code) {
  const k = cat.byCat.get(code);
  return k ? cat.byDeptCode.get(k.dept) : undefined;
}
export function areaName(code) {
  const a = cat.byArea.get(code);
  return a ? a.name : (code || '—');
}
// Community name + grid number, e.g. "多福巷社区 · 第1网格".
export function areaLabel(code) {
  const a = cat.byArea.get(code);
  if (!a) return code || '—';
  if (a.level === 'grid') {
    const p = cat.byArea.get(a.parent);
    const short = p && a.name.startsWith(p.name) ? a.name.slice(p.name.length) : a.name;
    return p ? `${p.name} · ${short}` : a.name;
  }
  return a.name;
}
export const areasOf = (level) => cat.areas.filter((a) => a.level === level);
export const childrenOf = (code) => cat.areas.filter((a) => a.parent === code);
// The community code of a grid or community code.
export const communityOf = (code) => (code && code.length >= 12 ? code.slice(0, 12) : code);

// Ray casting on a GeoJSON Polygon/MultiPolygon ([lon, lat] rings).
function inRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function inGeometry(lon, lat, g) {
  if (!g) return false;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  return polys.some((p) => inRing(lon, lat, p[0]) && !p.slice(1).some((hole) => inRing(lon, lat, hole)));
}
// The grid containing a WGS-84 point, or undefined.
export function locateGrid(lon, lat) {
  return cat.areas.find((a) => a.level === 'grid' && inGeometry(lon, lat, a.geometry));
}
