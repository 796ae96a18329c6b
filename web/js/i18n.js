// i18n.js -- Simplified Chinese first, English second. t('key', {n: 3}) looks
// the key up in the current dictionary, then in zh-CN; {name} placeholders
// are filled from the params. Missing keys are collected in window.__i18nMissing
// (the browser tests assert there are none).
import zh from './i18n/zh-CN.js';
import en from './i18n/en.js';

const dicts = { 'zh-CN': zh, en };
export const LANGS = [['zh-CN', '中文'], ['en', 'English']];
const KEY = 'jiceng.lang';

let lang = localStorage.getItem(KEY);
if (!dicts[lang]) lang = 'zh-CN';
window.__i18nMissing = window.__i18nMissing || [];

export function getLang() { return lang; }
export function setLang(l) {
  if (!dicts[l]) return;
  lang = l;
  localStorage.setItem(KEY, l);
  document.documentElement.lang = l;
}
document.documentElement.lang = lang;

export function t(key, params) {
  let s = dicts[lang][key];
  if (s === undefined) {
    window.__i18nMissing.push(lang + ':' + key);
    s = zh[key] ?? key;
  }
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] ?? m));
  return s;
}

// Has the key in the current language (for optional labels).
export function has(key) { return dicts[lang][key] !== undefined; }
