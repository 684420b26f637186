// The UI's language: Vietnamese by default, English on request, remembered on the device.
// `t()` returns the current dictionary; reading it inside a component makes the text reactive.
import type { Lang } from '../bindings/Lang';
import { en } from './en';
import { vi } from './vi';

export type Dict = typeof vi;
export const LANG_KEY = 'gocua.lang';
const dicts: Record<Lang, Dict> = { vi, en };

function stored(): Lang {
  try {
    const s = globalThis.localStorage?.getItem(LANG_KEY);
    if (s === 'vi' || s === 'en') return s;
  } catch {
    // Storage refused (private mode): the default applies.
  }
  return 'vi';
}

export const locale = $state<{ lang: Lang }>({ lang: stored() });

export function t(): Dict {
  return dicts[locale.lang];
}

export function dictFor(lang: Lang): Dict {
  return dicts[lang];
}

export function setLang(lang: Lang): void {
  locale.lang = lang;
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Not persisted; still switched for this session.
  }
  document.documentElement.lang = lang;
}

/** Reloads the stored choice (tests reset storage between cases). */
export function loadLang(): void {
  locale.lang = stored();
  if (typeof document !== 'undefined') document.documentElement.lang = locale.lang;
}

/** Counts as the language writes them: 1.234 (vi), 1,234 (en). */
export function count(n: number): string {
  return new Intl.NumberFormat(locale.lang === 'vi' ? 'vi-VN' : 'en-US').format(n);
}
