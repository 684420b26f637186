// Both dictionaries (the phone app's and the office dashboard's) have every key, no empty string (functions are called with sample values),
// lists of the same length; Vietnamese is the default and the choice is remembered.
import { describe, expect, it } from 'vitest';
import { en } from '../src/lib/i18n/en';
import { LANG_KEY, loadLang, locale, setLang, t } from '../src/lib/i18n/index.svelte';
import { vi } from '../src/lib/i18n/vi';
import { officeEn } from '../src/lib/i18n/office-en';
import { officeVi } from '../src/lib/i18n/office-vi';
import { officeDict, ot } from '../src/lib/i18n/office';

type Tree = { [k: string]: unknown };

/** Every leaf of a dictionary as `path → rendered text`, calling functions with samples. */
function leaves(node: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (typeof node === 'string') out.set(path, node);
  else if (typeof node === 'function') {
    for (const sample of [0, 1, 3]) {
      const args = Array.from({ length: node.length }, () => (typeof sample === 'number' ? sample : ''));
      out.set(`${path}(${sample})`, String(node(...args)));
    }
  } else if (Array.isArray(node)) node.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node as Tree)) leaves(v, path ? `${path}.${k}` : k, out);
  } else throw new Error(`${path}: unexpected ${typeof node}`);
  return out;
}

describe('dictionaries', () => {
  const a = leaves(vi, '', new Map());
  const b = leaves(en, '', new Map());

  it('have the same keys', () => {
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect(a.size).toBeGreaterThan(100);
  });

  it('have no empty string', () => {
    for (const [k, v] of [...a, ...b]) expect(v.trim(), k).not.toBe('');
  });

  it('use the campaign words in Vietnamese', () => {
    const all = [...a.values()].join('\n');
    for (const term of ['thẻ căn cước/CCCD', 'thu nhận hồ sơ mức 2', 'kích hoạt mức 2', 'dịch vụ công trực tuyến', 'Tài khoản định danh điện tử']) {
      expect(all.toLowerCase()).toContain(term.toLowerCase());
    }
  });

  it('translate what they say (English differs from Vietnamese)', () => {
    const same = [...a].filter(([k, v]) => b.get(k) === v && !/^(app\.name|langName\.)/.test(k));
    expect(same).toEqual([]);
  });
});

describe('language choice', () => {
  it('defaults to Vietnamese', () => {
    expect(locale.lang).toBe('vi');
    expect(t().visit.saved).toBe('Đã lưu');
  });

  it('switches to English and is remembered', () => {
    setLang('en');
    expect(t().visit.saved).toBe('Saved');
    expect(localStorage.getItem(LANG_KEY)).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    locale.lang = 'vi';
    loadLang();
    expect(locale.lang).toBe('en');
  });
});

describe('office dictionaries', () => {
  const a = leaves(officeVi, '', new Map());
  const b = leaves(officeEn, '', new Map());

  it('have the same keys', () => {
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect(a.size).toBeGreaterThan(150);
  });

  it('have no empty string', () => {
    for (const [k, v] of [...a, ...b]) expect(v.trim(), k).not.toBe('');
  });

  it('translate what they say', () => {
    // Words both languages write alike ("Menu", "CCCD") and lines made only of names.
    const same = [...a].filter(([k, v]) => b.get(k) === v && !/^(nav\.menu|progress\.col\.cccd|campaign\.intro|import\.chosen)\b/.test(k));
    expect(same).toEqual([]);
  });

  it('use the campaign words in Vietnamese', () => {
    const all = [...a.values()].join('\n').toLowerCase();
    for (const term of ['thẻ căn cước/CCCD', 'thu nhận hồ sơ mức 2', 'kích hoạt', 'tổ dân phố', 'tổ công tác', 'thi đua', 'tổ lưu động', 'Nhập kết quả thay cho tình nguyện viên', 'SIM đứng tên chính người dân']) {
      expect(all).toContain(term.toLowerCase());
    }
  });

  it('follow the language choice', () => {
    expect(ot().nav.signOut).toBe('Đăng xuất');
    setLang('en');
    expect(ot().nav.signOut).toBe('Sign out');
    expect(officeDict('vi').nav.signOut).toBe('Đăng xuất');
  });
});
