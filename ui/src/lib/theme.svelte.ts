// Light and dark themes: dark by default in the evening (18:00–06:00 on the phone's clock, when
// volunteers knock on doors), or whatever the user chose, remembered on the device.
export type ThemeChoice = 'auto' | 'light' | 'dark';
export const THEME_KEY = 'gocua.theme';

function stored(): ThemeChoice {
  try {
    const s = globalThis.localStorage?.getItem(THEME_KEY);
    if (s === 'auto' || s === 'light' || s === 'dark') return s;
  } catch {
    // Storage refused: automatic.
  }
  return 'auto';
}

export const theme = $state<{ choice: ThemeChoice; dark: boolean }>({ choice: stored(), dark: false });

export function isEvening(d: Date = new Date()): boolean {
  const h = d.getHours();
  return h >= 18 || h < 6;
}

export function applyTheme(d: Date = new Date()): void {
  theme.dark = theme.choice === 'dark' || (theme.choice === 'auto' && isEvening(d));
  if (typeof document === 'undefined') return;
  document.documentElement.dataset.theme = theme.dark ? 'dark' : 'light';
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', theme.dark ? '#121417' : '#ffffff');
}

export function setTheme(choice: ThemeChoice): void {
  theme.choice = choice;
  try {
    localStorage.setItem(THEME_KEY, choice);
  } catch {
    // Not persisted.
  }
  applyTheme();
}

export function loadTheme(): void {
  theme.choice = stored();
  applyTheme();
}
