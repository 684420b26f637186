// vitest setup: a clean device for every test (storage, language, transport, sync, route, the
// office's session and page) and no Tauri left behind by `mockIPC`.
import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup } from '@testing-library/svelte';
import { afterEach, beforeEach, vi } from 'vitest';
import { setTransport } from '../src/lib/api';
import { loadLang } from '../src/lib/i18n/index.svelte';
import { resetRouter } from '../src/lib/router.svelte';
import { resetSync } from '../src/lib/sync.svelte';
import { resetMe } from '../src/lib/me.svelte';
import { clearToast } from '../src/lib/toast.svelte';
import { resetSession } from '../src/office/session.svelte';
import { nav } from '../src/office/nav.svelte';

// jsdom measures nothing; Svelte's size bindings need the observer to exist.
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

beforeEach(() => {
  localStorage.clear();
  loadLang();
  setTransport(null);
  resetSync();
  resetMe();
  clearToast();
  history.replaceState(null, '', '/');
  resetRouter();
  resetSession();
  nav.page = 'progress';
});

afterEach(() => {
  cleanup();
  clearMocks();
  delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});
