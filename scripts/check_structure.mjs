#!/usr/bin/env node
// check_structure.mjs -- the shape of src/ that docs/hacking.md promises, checked.
// Run by `make check` (and so by `make test`); exit 1 with one line per offence.
//
//  1. No include cycle between components.  A component is a file's name up to its
//     first underscore (dispatch_api.c, dispatch_sqlite.c and dispatch.h are
//     "dispatch"; store_sqlite.c is "store"); jc.h belongs to util.c.  A cycle is a
//     set of components that include each other's headers round.
//  2. SQL only in the storage backend: a `sqlite3` identifier, <sqlite3.h> or
//     store_sqlite.h, or a string literal of SQL (SELECT ... FROM, INSERT INTO,
//     UPDATE ... SET, DELETE FROM, CREATE/ALTER/DROP TABLE|INDEX|TRIGGER|VIEW,
//     PRAGMA, BEGIN/COMMIT/ROLLBACK/SAVEPOINT) only in the storage backends:
//     src/store_sqlite.[ch], src/store_pg.[ch], the src/*_sqlite.c and src/*_pg.c
//     files (and walbuf.c, the VFS under SQLite).
//  3. No module named in a shared file: the shared files (the program's frame:
//     SHARED below) include no module's header and name none of its functions or
//     tables; they reach modules only through the table in src/modules.c.
//
// Modules are the rows listed in src/modules.c (`extern const jc_module module_X`).
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const files = fs.readdirSync('src').filter((f) => /\.[ch]$/.test(f)).sort();
const text = new Map(files.map((f) => [f, fs.readFileSync(path.join('src', f), 'utf8')]));
const offences = [];

// C text without comments; string literals kept (SQL lives in them).
function code(t) {
  let out = '', i = 0;
  while (i < t.length) {
    if (t.startsWith('/*', i)) { const e = t.indexOf('*/', i + 2); const c = t.slice(i, e < 0 ? t.length : e + 2); out += c.replace(/[^\n]/g, ' '); i = e < 0 ? t.length : e + 2; continue; }
    if (t.startsWith('//', i)) { while (i < t.length && t[i] !== '\n') i++; continue; }
    if (t[i] === '"' || t[i] === "'") {
      const q = t[i]; let j = i + 1;
      while (j < t.length && t[j] !== q) { if (t[j] === '\\') j++; j++; }
      out += t.slice(i, j + 1); i = j + 1; continue;
    }
    out += t[i++];
  }
  return out;
}
const lineOf = (t, idx) => t.slice(0, idx).split('\n').length;

// ---- 1. include cycles between components ----------------------------------------
const comp = (f) => (f === 'jc.h' ? 'util' : f.replace(/\.[ch]$/, '').split('_')[0]);
const edges = new Map(); // component -> Map(component -> "file:line includes x.h")
for (const f of files) {
  const t = text.get(f);
  for (const m of t.matchAll(/^#\s*include\s+"([^"]+)"/gm)) {
    const h = m[1];
    if (!text.has(h)) continue;
    const a = comp(f), b = comp(h);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a).has(b)) edges.get(a).set(b, `src/${f}:${lineOf(t, m.index)} includes ${h}`);
  }
}
// Tarjan's strongly connected components.
{
  let index = 0;
  const idx = new Map(), low = new Map(), on = new Set(), stack = [];
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of (edges.get(v) || new Map()).keys()) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) {
        const set = new Set(scc);
        const why = [];
        for (const a of scc.sort()) for (const [b, how] of edges.get(a) || []) if (set.has(b)) why.push(how);
        offences.push(`include cycle between ${scc.join(', ')}:\n    ${why.join('\n    ')}`);
      }
    }
  };
  for (const v of [...nodes].sort()) if (!idx.has(v)) visit(v);
}

// ---- 2. SQL only in the backend ---------------------------------------------------
const backend = (f) => /^store_(sqlite|pg)\.[ch]$/.test(f) || /_(sqlite|pg)\.c$/.test(f) || f === 'walbuf.c' || f === 'walbuf.h';
const SQL = /"\s*(SELECT\b[^"]*\bFROM\b|SELECT\s+(1|COALESCE|count|max|min|sum)\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|(CREATE|ALTER|DROP)\s+(UNIQUE\s+)?(TABLE|INDEX|TRIGGER|VIEW)\b|PRAGMA\s+\w|(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b(\s+\w+)?\s*;?\s*")/;
for (const f of files) {
  if (backend(f)) continue;
  const t = code(text.get(f));
  const seen = new Set();
  const report = (idx, what) => {
    const l = lineOf(t, idx);
    if (seen.has(l)) return;
    seen.add(l);
    offences.push(`src/${f}:${l}: ${what} outside the storage backends (store_sqlite.c, store_pg.c, *_sqlite.c, *_pg.c)`);
  };
  for (const m of t.matchAll(/#\s*include\s+[<"](sqlite3\.h|store_sqlite\.h)[>"]/g)) report(m.index, `includes ${m[1]}`);
  for (const m of t.matchAll(/\bsqlite3\w*/g)) report(m.index, `${m[0]}`);
  for (const m of t.matchAll(new RegExp(SQL.source, 'g'))) report(m.index, `SQL text ${m[0].slice(0, 40).replace(/\s+/g, ' ')}...`);
}

// ---- 3. no module named in a shared file --------------------------------------------
const SHARED = ['jc.h', 'util.c', 'model.h', 'model.c', 'store.h', 'store_sqlite.c', 'store_sqlite.h',
  'walbuf.c', 'walbuf.h', 'http.h', 'http_server.c', 'http_server.h', 'http_req.c', 'server.c', 'cli.h',
  'cli.c', 'main.c', 'module.h'];
const modules = [...text.get('modules.c').matchAll(/extern const jc_module module_(\w+);/g)].map((m) => m[1])
  .filter((m) => m !== 'core'); // the core (cases, audit, accounts) is what every module builds on
for (const f of SHARED.filter((f) => text.has(f))) {
  const t = code(text.get(f));
  for (const mod of modules) {
    const inc = new RegExp(`#\\s*include\\s+"(${mod}(_\\w+)?\\.h)"`, 'g');
    for (const m of t.matchAll(inc)) offences.push(`src/${f}:${lineOf(t, m.index)}: a shared file includes ${m[1]} of module ${mod} (reach it through src/modules.c)`);
    const id = new RegExp(`\\b(${mod}__?\\w+|schema_${mod}|module_${mod})\\b`, 'g');
    for (const m of t.matchAll(id)) {
      if (/^"/.test(t.slice(m.index - 1, m.index))) continue; // inside a string: a word, not a name
      offences.push(`src/${f}:${lineOf(t, m.index)}: a shared file names ${m[1]} of module ${mod}`);
    }
  }
}

if (offences.length) {
  for (const o of offences) console.log(o);
  console.log(`check_structure: ${offences.length} offence(s)`);
  process.exit(1);
}
console.log(`check_structure: ok, ${files.length} files, ${edges.size} components, ${modules.length} modules outside the core`);
