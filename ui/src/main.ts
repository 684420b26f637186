// Starts the UI: language and theme from the device, the transport for where it runs (Tauri,
// the hub over HTTP, or the in-memory demo with `#demo`/`?demo`, `?demo&lead` as a team lead,
// `?demo&unpaired` on the pairing screen), then the app.
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { setTransport } from './lib/api';
import { loadLang, locale } from './lib/i18n/index.svelte';
import { applyTheme, loadTheme } from './lib/theme.svelte';
import { inTauri } from './lib/transport';

async function start() {
  loadLang();
  loadTheme();
  // Evening comes while the app is open: re-check the automatic theme every minute.
  setInterval(() => applyTheme(), 60_000);
  const demo = !inTauri() && (location.search.includes('demo') || location.hash.startsWith('#demo'));
  if (demo) {
    const { demoTransport } = await import('./lib/demo');
    // `?demo&lead` (or `#demo-lead`): the demo acts as a team lead, with the team board.
    const lead = /\blead\b/.test(location.search) || location.hash.startsWith('#demo-lead');
    const unpaired = /\bunpaired\b/.test(location.search);
    setTransport(demoTransport(() => locale.lang, 1000, lead ? 'lead' : 'volunteer', !unpaired));
    if (location.hash.startsWith('#demo')) location.replace('#/');
  }
  const target = document.getElementById('app');
  if (target) mount(App, { target });
}

void start();
