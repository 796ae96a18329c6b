// map.js -- Leaflet maps drawn from the grids of GET /api/v1/areas as vector
// shapes (no internet tiles unless the server names a tile URL: serve
// --tiles, GET /api/v1/config). Leaflet is loaded on first use.
import { catalog } from '../catalog.js';

let leaflet = null;
let tilesP = null;
function tileUrl() {
  tilesP ||= fetch('/api/v1/config').then((r) => (r.ok ? r.json() : {})).then((c) => c.tile_url || null).catch(() => null);
  return tilesP;
}
export async function loadLeaflet() {
  leaflet ||= import('/vendor/leaflet/dist/leaflet-src.esm.js');
  return leaflet;
}

// gridMap(el, {style(area) -> path options, tooltip(area) -> text, onClick(latlng), labels, focus})
// draws the community outlines and every grid (each grid path carries
// data-area=<code>); returns {L, map, layers: Map(code -> layer)}.  focus: an
// area code (a user's community or grid): the view fits the grids under it.
// Community names are labelled where there is room: on a narrow map only the
// focused community's (or none), so that they never overlap.
export async function gridMap(el, opts = {}) {
  const L = await loadLeaflet();
  const map = L.map(el, { zoomSnap: 0.25, attributionControl: true, fadeAnimation: false, zoomAnimation: false, markerZoomAnimation: false });
  // Pages remove their map when the user leaves; later frames must not touch it.
  let removed = false;
  const remove = map.remove.bind(map);
  map.remove = () => { if (removed) return map; removed = true; map.stop(); return remove(); };
  map.attributionControl.setPrefix('Leaflet');
  // A tile layer only when the server was started with --tiles (a WGS-84
  // source such as 天地图); otherwise the grids alone, no internet needed.
  const tiles = await tileUrl();
  if (tiles) L.tileLayer(tiles, { maxZoom: 18, attribution: 'tiles' }).addTo(map);
  const areas = catalog().areas.filter((a) => a.geometry);
  const grids = areas.filter((x) => x.level === 'grid');
  const communities = areas.filter((x) => x.level === 'community');
  const gridLayers = grids.map((a) => L.geoJSON(a.geometry, {
    style: { color: '#7a6a5a', weight: 1, fillColor: '#f4efe6', fillOpacity: 0.6, ...(opts.style ? opts.style(a) : {}) },
  }));
  const comLayers = communities.map((a) => L.geoJSON(a.geometry, { interactive: false, style: { color: '#5b4636', weight: 2.5, fill: false } }));
  // The view must be set before layers are added, or Leaflet defers creating their paths.
  const all = [...gridLayers, ...comLayers];
  const focused = opts.focus ? gridLayers.filter((_, i) => grids[i].code.startsWith(opts.focus)) : [];
  const view = focused.length ? focused : all;
  const bounds = view.length ? L.featureGroup(view).getBounds() : null;
  if (bounds?.isValid()) map.fitBounds(bounds, { padding: [8, 8], animate: false });
  else map.setView([39.915, 116.405], 15);

  const layers = new Map();
  grids.forEach((a, i) => {
    const layer = gridLayers[i].addTo(map);
    if (opts.tooltip) layer.bindTooltip(() => opts.tooltip(a), { sticky: true });
    layer.eachLayer((p) => p.getElement?.()?.setAttribute('data-area', a.code));
    layers.set(a.code, layer);
  });
  const narrow = el.clientWidth > 0 && el.clientWidth < 560;
  communities.forEach((a, i) => {
    comLayers[i].addTo(map);
    if (opts.labels === false) return;
    if (narrow && !(opts.focus && (opts.focus.startsWith(a.code) || a.code.startsWith(opts.focus)))) return;
    const span = document.createElement('span');
    span.textContent = a.name;
    L.marker(comLayers[i].getBounds().getCenter(), { interactive: false, keyboard: false, icon: L.divIcon({ className: 'area-label', html: span, iconSize: null }) }).addTo(map);
  });
  if (opts.onClick) map.on('click', (e) => opts.onClick(e.latlng));
  // The container may still be sizing (grid layout): re-measure once.
  requestAnimationFrame(() => {
    if (removed) return;
    map.invalidateSize({ animate: false });
    if (bounds?.isValid() && !opts.keepView) map.fitBounds(bounds, { padding: [8, 8], animate: false });
  });
  return { L, map, layers };
}

// Pins for cases with coordinates; popups link to the case page.
export function casePins(L, map, cases, { linkBase = '#/case/', color } = {}) {
  const group = L.featureGroup();
  for (const c of cases) {
    if (c.lat == null || c.lon == null) continue;
    const m = L.circleMarker([c.lat, c.lon], { radius: 6, weight: 2, color: '#fff', fillColor: color ? color(c) : '#b3261e', fillOpacity: 0.95 });
    const a = document.createElement('a');
    a.href = linkBase + c.id;
    a.textContent = `${c.no} ${c.title}`;
    m.bindPopup(a);
    m.addTo(group);
  }
  group.addTo(map);
  group.eachLayer((m) => m.getElement?.()?.classList.add('case-pin'));
  return group;
}
