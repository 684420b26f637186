// Starts the ward office's dashboard: language and theme from this browser, then either the
// hub over HTTP (the page is served by it at /office/) or, with `?demo`, the in-memory demo ward
// acting as the office; then the sign-in check and the dashboard.
import { mount } from 'svelte';
import '../app.css';
import './office.css';
import { setTransport } from '../lib/api';
import { loadLang, locale } from '../lib/i18n/index.svelte';
import { applyTheme, loadTheme } from '../lib/theme.svelte';
import { httpTransport } from '../lib/transport';
import { watchSession } from './api';
import Office from './Office.svelte';
import { lose, setOfficeApi, startSession } from './session.svelte';

async function start() {
  loadLang();
  loadTheme();
  setInterval(() => applyTheme(), 60_000);
  const lang = () => locale.lang;
  if (/\bdemo\b/.test(location.search)) {
    const [{ demoTransport }, { demoOfficeApi }] = await Promise.all([import('../lib/demo'), import('./demo')]);
    setTransport(demoTransport(lang, 1000, 'office'));
    setOfficeApi(demoOfficeApi(lang));
  } else {
    setTransport(watchSession(httpTransport(lang), lose));
  }
  const target = document.getElementById('app');
  if (target) mount(Office, { target });
  await startSession();
}

void start();
