// The office's pages by URL hash (`#/progress`, `#/devices`, …), so the browser's back button
// and bookmarks work; an unknown hash shows the progress page.
export const PAGES = ['progress', 'devices', 'pairing', 'campaign', 'import', 'export', 'schedule', 'list', 'paper'] as const;
export type Page = (typeof PAGES)[number];

export function parsePage(hash: string): Page {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (PAGES as readonly string[]).includes(name) ? (name as Page) : 'progress';
}

export const nav = $state<{ page: Page }>({ page: parsePage(typeof location === 'undefined' ? '' : location.hash) });

export function onHash(): void {
  nav.page = parsePage(location.hash);
}

export function goPage(page: Page): void {
  nav.page = page;
  if (location.hash !== `#/${page}`) location.hash = `#/${page}`;
}
