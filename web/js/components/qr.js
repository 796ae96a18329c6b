// qr.js -- a QR code as an SVG element (crisp on paper), from the
// qrcode-generator package (npm, served under /vendor like ECharts and
// Leaflet; its classic script defines window.qrcode -- the server sends .mjs
// files as octet-stream, which a module import refuses). Built with DOM
// calls, no markup strings.
const NS = 'http://www.w3.org/2000/svg';
let loading = null;

function load() {
  loading ||= new Promise((resolve, reject) => {
    if (window.qrcode) return resolve(window.qrcode);
    const s = document.createElement('script');
    s.src = '/vendor/qrcode-generator/dist/qrcode.js';
    s.onload = () => (window.qrcode ? resolve(window.qrcode) : reject(new Error('qrcode')));
    s.onerror = () => { loading = null; reject(new Error('qrcode')); };
    document.head.append(s);
  });
  return loading;
}

// qrSvg(text, {size: CSS size, label}) -> <svg> with one path of dark modules
// and a 4-module quiet zone; error correction M.
export async function qrSvg(text, { size = '30mm', label = '' } = {}) {
  const qrcode = await load();
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount(), q = 4, w = n + 2 * q;
  let d = '';
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + q} ${r + q}h1v1h-1z`;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${w}`);
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  if (label) svg.setAttribute('aria-label', label);
  svg.dataset.qr = text;
  const bg = document.createElementNS(NS, 'rect');
  bg.setAttribute('width', String(w));
  bg.setAttribute('height', String(w));
  bg.setAttribute('fill', '#fff');
  const p = document.createElementNS(NS, 'path');
  p.setAttribute('d', d);
  p.setAttribute('fill', '#000');
  svg.append(bg, p);
  return svg;
}
