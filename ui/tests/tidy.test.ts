// Every UI source file opens with a comment saying what it is for (as every Rust file opens with
// `//!`), and no source names a network address to load from: the app runs offline.
import { describe, expect, it } from 'vitest';

const sources: Record<string, string> = import.meta.glob(
  // CSS is left out: vitest does not load stylesheets, even raw.
  ['../src/**/*.{ts,svelte}', '../tests/**/*.ts', '../*.{ts,js,html}', '../scripts/*.mjs', '../e2e/**/*.mjs', '!../src/lib/bindings/**'],
  { query: '?raw', import: 'default', eager: true },
);

describe('UI sources', () => {
  it('are found', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(30);
  });

  it('open with a comment', () => {
    const missing = Object.entries(sources)
      .filter(([, text]) => !/^(\/\/|<!--|\/\*)/.test(text))
      .map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it('load nothing from the network', () => {
    const remote = Object.entries(sources)
      .filter(([path]) => !path.endsWith('tidy.test.ts'))
      .filter(([, text]) => /(src|href)=["']https?:|url\(["']?https?:|import\s*\(?\s*["']https?:/.test(text))
      .map(([path]) => path);
    expect(remote).toEqual([]);
  });
});
