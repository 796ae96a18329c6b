// map.js -- Leaflet maps drawn from the grids of GET /api/v1/areas as vector
// shapes (no internet tiles). Leaflet is loaded on first use.
import { catalog } from '../catalog.js';

let leaflet = null;
export async function loadLeaflet() {
  leaflet ||= import('/vendor/leaflet/dist/leaflet-src.esm.js');
  return leaflet;
}

// gridMap(el, {style(area) -> path options, tooltip(area) -> text, onClick(latlng, area)})
// draws the street outline and every grid; returns {L, map, layers: Map(code -> layer)}.
export async function gridMap(el, opts = {}) {
  const L = await loadLeaflet();
  const map = L.map(el, { zoomSnap: 0.25, attributionControl: true, preferCanvas: false });
  map.attributionControl.setPrefix('Leaflet');
  const layers = new Map();
  const areas = catalog().areas.filter((a) => a.geometry);
  const street = areas.find((a) => a.level === 'street');
  const shapes = [];
  for (const a of areas.filter((x) => x.level === 'community')) {
    const layer = L.geoJSON(a.geometry, { interactive: false, style: { color: '#5b4636', weight: 2.5, fill: false } }).addTo(map);
    shapes.push(layer);
    if (opts.labels !== false) {
      const c = layer.getBounds().getCenter();
      L.marker(c, { interactive: false, keyboard: false, icon: L.divIcon({ className: 'area-label', html: '', iconSize: null }) })
        .addTo(map).getElement()?.append(document.createTextNode(a.name));
    }
  }
  for (const a of areas.filter((x) => x.level === 'grid')) {
    const style = { color: '#7a6a5a', weight: 1, fillColor: '#f4efe6', fillOpacity: 0.6, ...(opts.style ? opts.style(a) : {}) };
    const layer = L.geoJSON(a.geometry, { style, bubblingMouseEvents: true }).addTo(map);
    if (opts.tooltip) layer.bindTooltip(() => opts.tooltip(a), { sticky: true });
    layer.eachLayer((p) => p.getElement?.()?.setAttribute('data-area', a.code));
    layers.set(a.code, layer);
  }
  const bounds = street ? L.geoJSON(street.geometry).getBounds() : L.featureGroup(shapes).getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
  else map.setView([39.915, 116.405], 15);
  if (opts.onClick) map.on('click', (e) => opts.onClick(e.latlng, null));
  // The container may still be sizing (flex/grid layout): re-measure once.
  requestAnimationFrame(() => { map.invalidateSize(); if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] }); });
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
  return group;
}
