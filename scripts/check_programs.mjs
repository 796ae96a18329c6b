#!/usr/bin/env node
// check_programs.mjs -- every program a test, a benchmark or a make target starts
// must be installed by the project's own set-up (scripts/setup.sh), in a mode that
// the command running it calls: tests and `make demo` get run+test, benchmarks all.
// A program from one of Debian's Essential packages (coreutils, grep, sed, ...) or a
// shell builtin needs no entry. Run by `make check` (and so by `make test`).
//
// What is scanned, statically:
//   tests/integration/*.mjs   spawn/spawnSync/execFile/execFileSync/execSync('prog', ...)
//                             and '/usr/bin/prog' literals
//   tests/unit/*.c            string literals that start a command: popen/system
//                             arguments and "prog ..." formats written into a cmd buffer
//   bench/*.sh, tests/*.sh, scripts/*.sh, fuzz/*.sh
//                             words in command position of each shell line
// (fuzz/ runs under `make fuzz`: setup.sh mode fuzz, the test set plus its own rows)
// Exit 1 with one line per offence; 0 with a summary otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);

// The set-up's table: program -> {pkg, mode}.
const table = new Map();
for (const line of execFileSync('bash', ['scripts/setup.sh', '--programs'], { encoding: 'utf8' }).split('\n')) {
  const [prog, pkg, mode] = line.trim().split(/\s+/);
  if (prog) table.set(prog, { pkg, mode });
}

// Programs of Debian's Essential packages, read from this machine's dpkg database
// when there is one, else a fixed list of the usual ones.
const essential = new Set();
try {
  const pk = execFileSync('dpkg-query', ['-W', '-f', '${Essential} ${Package}\n'], { encoding: 'utf8' })
    .split('\n').filter(l => l.startsWith('yes ')).map(l => l.slice(4));
  for (const p of pk) {
    let files = '';
    try { files = execFileSync('dpkg', ['-L', p], { encoding: 'utf8' }); } catch { continue; }
    for (const f of files.split('\n')) if (/\/s?bin\/[^/]+$/.test(f)) essential.add(path.basename(f));
  }
} catch { /* not Debian: fall back below */ }
for (const p of ['bash', 'sh', 'env', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'mktemp', 'ls', 'echo', 'printf',
  'grep', 'sed', 'awk', 'mawk', 'sort', 'uniq', 'head', 'tail', 'wc', 'cut', 'tr', 'date', 'sleep', 'kill',
  'seq', 'tee', 'touch', 'basename', 'dirname', 'find', 'xargs', 'timeout', 'sync', 'stat', 'du', 'df',
  'id', 'true', 'false', 'test', 'chmod', 'ln', 'readlink', 'realpath', 'nproc', 'pgrep', 'pkill', 'ps',
  'dd', 'od', 'cmp', 'diff', 'gzip', 'tar', 'mount', 'umount', 'hostname', 'dpkg', 'dpkg-query', 'apt-get',
  'getconf', 'su', 'tac', 'comm', 'fold', 'expr', 'split', 'paste', 'join', 'sha256sum', 'md5sum', 'yes',
  'nice', 'flock', 'setsid', 'taskset', 'ionice', 'chown', 'install', 'stdbuf', 'truncate', 'shuf', 'numfmt'])
  essential.add(p);

const builtins = new Set(execFileSync('bash', ['-c', 'compgen -b; compgen -k'], { encoding: 'utf8' }).split('\n'));
// The project's own programs and tools that come with the build toolchain or node.
const own = new Set(['jiceng', 'make', 'gcc', 'clang', 'sudo', 'npx']);
own.add('');

const uses = []; // {prog, file, line, kind: 'test'|'bench'|'run'}

function kindOf(file) {
  if (file.startsWith('bench/')) return 'bench';
  if (file.startsWith('tests/')) return 'test';
  if (file.startsWith('fuzz/')) return 'fuzz';
  if (file === 'scripts/demo.sh') return 'run';
  return 'run';
}

function scanMjs(file) {
  const src = fs.readFileSync(file, 'utf8').split('\n');
  src.forEach((l, i) => {
    for (const m of l.matchAll(/\b(?:spawn|spawnSync|execFile|execFileSync|execSync|exec)\(\s*['"`]([^'"`\s]+)/g))
      uses.push({ prog: path.basename(m[1]), file, line: i + 1 });
    for (const m of l.matchAll(/['"`]\/usr\/s?bin\/([A-Za-z0-9_.+-]+)['"`]/g))
      uses.push({ prog: m[1], file, line: i + 1 });
  });
}

function scanC(file) {
  const src = fs.readFileSync(file, 'utf8').split('\n');
  src.forEach((l, i) => {
    for (const m of l.matchAll(/(?:popen|system)\(\s*"([a-z][A-Za-z0-9_.+-]*)[ "]|snprintf\(\s*cmd\s*,[^,]*,\s*"([a-z][A-Za-z0-9_.+-]*) /g))
      uses.push({ prog: m[1] || m[2], file, line: i + 1 });
  });
}

// Words in command position of a shell script, by a small lexer that follows quotes,
// $( ) and backticks (also inside double quotes), heredocs, comments and case patterns.
function shellCommands(text) {
  const out = []; // {word, line}
  let i = 0, line = 1;
  const pendingHeredocs = [];
  const PREFIX = new Set(['exec', 'time', 'nice', 'command', 'builtin', 'then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', 'sudo']);
  function skipHeredocs() {
    while (pendingHeredocs.length) {
      const d = pendingHeredocs.shift();
      for (;;) {
        const nl = text.indexOf('\n', i);
        const l = text.slice(i, nl < 0 ? text.length : nl);
        i = nl < 0 ? text.length : nl + 1; line++;
        if (l.replace(/^\t+/, '') === d || nl < 0) break;
      }
    }
  }
  function dq() { // after the opening "
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') { i += 2; continue; }
      if (text[i] === '\n') line++;
      if (text.startsWith('$((', i)) { i += 3; arith(); continue; }
      if (text.startsWith('$(', i)) { i += 2; cmds(')'); i++; continue; }
      if (text[i] === '`') { i++; cmds('`'); i++; continue; }
      i++;
    }
    i++;
  }
  function arith() { let d = 2; while (i < text.length && d > 0) { if (text[i] === '(') d++; else if (text[i] === ')') d--; else if (text[i] === '\n') line++; i++; } }
  function word() { // returns the literal text of a word; dynamic parts as \0
    let w = '';
    while (i < text.length) {
      const c = text[i];
      if (/[\s;&|()<>`]/.test(c)) {
        if (c === '(' && w.endsWith('=')) { // array assignment a=( ... )
          let d = 0; do { if (text[i] === '(') d++; else if (text[i] === ')') d--; else if (text[i] === '\n') line++; i++; } while (i < text.length && d > 0);
          w += '\0'; continue;
        }
        break;
      }
      if (c === "'") { const e = text.indexOf("'", i + 1); for (let k = i; k < e; k++) if (text[k] === '\n') line++; i = e + 1; w += '\0'; continue; }
      if (c === '"') { i++; dq(); w += '\0'; continue; }
      if (c === '\\') { i += 2; w += '\0'; continue; }
      if (text.startsWith('$((', i)) { i += 3; arith(); w += '\0'; continue; }
      if (text.startsWith('$(', i)) { i += 2; cmds(')'); i++; w += '\0'; continue; }
      if (text.startsWith('${', i)) { const e = text.indexOf('}', i); i = e + 1; w += '\0'; continue; }
      if (c === '$') { i++; while (i < text.length && /[A-Za-z0-9_@#?*!$-]/.test(text[i])) { i++; if (!/[A-Za-z0-9_]/.test(text[i - 1])) break; } w += '\0'; continue; }
      w += c; i++;
    }
    return w;
  }
  function cmds(end) {
    let atCmd = true, inCase = 0, casePat = false;
    while (i < text.length) {
      const c = text[i];
      if (end && c === end) return;
      if (c === '\n') { line++; i++; skipHeredocs(); if (!casePat) atCmd = true; continue; }
      if (c === ' ' || c === '\t') { i++; continue; }
      if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
      if (text.startsWith(';;', i)) { i += 2; casePat = inCase > 0; atCmd = !casePat; continue; }
      if (c === ';' || c === '&' || c === '|') { i++; atCmd = true; continue; }
      if (c === '(') { i++; if (text[i] === '(') { i++; arith(); continue; } cmds(')'); i++; atCmd = false; continue; }
      if (c === ')') { i++; if (casePat) { casePat = false; atCmd = true; } continue; }
      if (c === '`') { i++; cmds('`'); i++; continue; }
      if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
        i += 2; if (text[i] === '-') i++; while (text[i] === ' ') i++;
        const d = word().replace(/\0/g, ''); // quoted delimiters lose their quotes
        const m = text.slice(i - 40, i).match(/<<-?\s*['"]?([A-Za-z_0-9]+)['"]?$/);
        pendingHeredocs.push(m ? m[1] : d); continue;
      }
      if (c === '<' || c === '>') { i++; if (text[i] === '&' || text[i] === '>' || text[i] === '(') i++; while (text[i] === ' ') i++; word(); continue; }
      const ln = line;
      const w = word();
      if (!w) { i++; continue; }
      if (/^[0-9]+$/.test(w) && /^[<>]/.test(text[i] || '')) continue; // a descriptor: exec 9>>file
      if (casePat) continue;
      if (/^[0-9]+$/.test(w) && (text[i] === '>' || text[i] === '<')) continue; // a file descriptor: exec 9>>file
      if (w === 'case') { inCase++; atCmd = false; casePat = false; // skip to 'in'
        for (;;) { while (text[i] === ' ') i++; const x = word(); if (x === 'in' || i >= text.length) break; if (!x) i++; }
        casePat = true; continue; }
      if (w === 'esac') { inCase--; casePat = false; atCmd = false; continue; }
      if (!atCmd) continue;
      if (w === 'command' && /^\s+-[vV]/.test(text.slice(i, i + 5))) { atCmd = false; continue; } // a lookup, not a start
      if (PREFIX.has(w)) continue;
      if (/^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(w)) continue; // assignment
      if (w === 'timeout' || w === 'env') { out.push({ word: w, line: ln }); continue; } // takes a command after its options
      if (/^-|^[0-9]/.test(w) && out.length && ['timeout', 'env'].includes(out[out.length - 1].word)) continue;
      out.push({ word: w, line: ln });
      atCmd = false;
    }
  }
  cmds(null);
  return out;
}

function scanSh(file) {
  const text = fs.readFileSync(file, 'utf8');
  text.split('\n').forEach((l, k) => { // programs named by path: PY=/usr/bin/python3
    for (const m of l.matchAll(/\/usr\/s?bin\/([A-Za-z0-9_.+-]+)/g)) if (m[1] !== 'env') uses.push({ prog: m[1], file, line: k + 1, byPath: true });
  });
  const funcs = new Set([...text.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)/gm)].map(m => m[1]));
  for (const { word, line } of shellCommands(text)) {
    if (word.includes('\0')) continue; // a command held in a variable: $BIN, "$tmp/pub"
    if (word.includes('/') && !/^\/usr\/s?bin\//.test(word)) continue; // the project's own scripts and binaries
    const prog = path.basename(word);
    if (funcs.has(prog) || builtins.has(prog) || ['fi', 'done', 'then', 'esac', '}', '{', '[[', ']]', 'function', 'select', 'in'].includes(prog)) continue;
    uses.push({ prog, file, line });
  }
}

const glob = (dir, re) => fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => re.test(f)).map(f => `${dir}/${f}`) : [];
for (const f of glob('tests/integration', /\.mjs$/)) scanMjs(f);
for (const f of glob('tests/unit', /\.c$/)) scanC(f);
for (const f of [...glob('bench', /\.sh$/), ...glob('tests', /\.sh$/), ...glob('scripts', /\.sh$/), ...glob('fuzz', /\.sh$/), '.ci/run']) if (fs.existsSync(f)) scanSh(f);

const rank = { run: 0, test: 1, bench: 2, fuzz: 9 };
const need = { run: 0, test: 1, bench: 2 }; // a file of kind K may use programs of mode <= K
const allowed = (mode, kind) => kind === 'fuzz' ? mode === 'fuzz' || rank[mode] <= need.test : rank[mode] <= need[kind];
let bad = 0;
const seen = new Map();
for (const u of uses) {
  const kind = kindOf(u.file);
  // a builtin's name given as a path is the program (/usr/bin/time, not bash's keyword)
  if (own.has(u.prog) || essential.has(u.prog) || (builtins.has(u.prog) && !u.byPath)) continue;
  const t = table.get(u.prog);
  if (!t) { console.log(`${u.file}:${u.line}: starts '${u.prog}', which scripts/setup.sh does not install (add it to its programs table)`); bad++; continue; }
  if (!allowed(t.mode, kind)) {
    console.log(`${u.file}:${u.line}: starts '${u.prog}', which scripts/setup.sh installs only in mode '${t.mode}' ('${kind}' runs without it)`); bad++; continue;
  }
  seen.set(u.prog, (seen.get(u.prog) || 0) + 1);
}
if (bad) { console.log(`check_programs: ${bad} program(s) not installed by the set-up`); process.exit(1); }
console.log(`check_programs: ok, ${uses.length} program starts, ${seen.size} programs from the set-up: ${[...seen.keys()].sort().join(' ')}`);
