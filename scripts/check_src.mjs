// check_src.mjs -- the C house rules a compiler does not check (run by `make
// check`, after curl's checksrc): in src/,
//   - no unsafe or unchecked string and number functions: strcpy, strcat,
//     strncpy, strncat, stpcpy, sprintf, vsprintf, gets, strtok, atoi, atol,
//     atoll, atof (use jc_copy/jc_fmt/jc_buf, jc_parse_i64, strtod with its
//     end pointer);
//   - every file opens with a comment saying its role;
//   - every header has an include guard;
//   - a new case comes only through the one intake: case_create and
//     case_register_reported are called in src/case.c and src/intake.c
//     alone (every channel calls case_report, src/intake.h).
// A line may opt out with a comment `checksrc: allow <name>` and a reason.
// Exits 1 listing every violation as file:line: message.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SRC = join(ROOT, 'src');
const BANNED = {
  strcpy: 'jc_copy (must-check, cuts on a UTF-8 boundary)',
  strcat: 'jc_buf or jc_fmt',
  strncpy: 'jc_copy / jc_copyn',
  strncat: 'jc_buf or jc_fmt',
  stpcpy: 'jc_copy',
  sprintf: 'snprintf, jc_fmt or jc_buf_printf',
  vsprintf: 'vsnprintf',
  gets: 'fgets',
  strtok: 'strtok_r or memchr',
  atoi: 'jc_parse_i64 (it reports junk and overflow)',
  atol: 'jc_parse_i64',
  atoll: 'jc_parse_i64',
  atof: 'strtod with its end pointer checked',
};
const CALL = new RegExp(`(?<![\\w.>])(${Object.keys(BANNED).join('|')})\\s*\\(`, 'g');
const INTAKE_STEP = /(?<![\w.>])(case_create|case_register_reported)\s*\(/g;
const INTAKE_FILES = new Set(['case.c', 'case.h', 'intake.c']);

// Blanks comments and string/char literals (keeping line breaks), so that
// words inside them are not taken for calls.
function code(text) {
  let out = '', i = 0;
  while (i < text.length) {
    const c = text[i], d = text[i + 1];
    if (c === '/' && d === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '/' && d === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += c + ' '.repeat(Math.max(0, j - i - 1)) + (text[j] === c ? c : '');
      i = text[j] === c ? j + 1 : j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const problems = [];
const files = readdirSync(SRC).filter((f) => /\.[ch]$/.test(f)).sort();
for (const f of files) {
  const text = readFileSync(join(SRC, f), 'utf8');
  const lines = text.split('\n');
  if (!/^\s*\/\*/.test(text)) problems.push(`src/${f}:1: the file must open with a comment saying its role`);
  if (f.endsWith('.h') && !/#ifndef\s+\w+\s*\n\s*#define\s+\w+/.test(text) && !/#pragma once/.test(text))
    problems.push(`src/${f}:1: a header needs an include guard`);
  const stripped = code(text).split('\n');
  stripped.forEach((line, n) => {
    for (const m of line.matchAll(CALL)) {
      if (new RegExp(`checksrc: allow ${m[1]}\\b`).test(lines[n])) continue;
      problems.push(`src/${f}:${n + 1}: ${m[1]}() is banned; use ${BANNED[m[1]]}`);
    }
    if (!INTAKE_FILES.has(f))
      for (const m of line.matchAll(INTAKE_STEP))
        problems.push(`src/${f}:${n + 1}: ${m[1]}() outside the intake; report through case_report (src/intake.h)`);
  });
}

if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`check_src: ${problems.length} problem(s) in src/ (see scripts/check_src.mjs)`);
  process.exit(1);
}
console.log(`check_src: ok, ${files.length} files in src/`);
