// Screenshots of the phone app's main screens at 360 px, light and dark, from the real UI over
// real replicas: a ward hub on loopback, a volunteer's and a team lead's phone paired with it.
// Writes docs/screenshots/app-<screen>-<theme>.png (shown in the README).
//   node e2e/screenshots.mjs        (after `npm run build` and `cargo build -p gocua-cli`)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, Hub, NOW, Phone, ROOT, TEST_PIN, chromiumArgs } from './lib/procs.mjs';

const OUT = join(ROOT, 'docs', 'screenshots');
const NOW_MS = Date.parse(`${NOW.replace(' ', 'T')}:00+07:00`);

async function command(phone, cmd, args = {}) {
  const r = await fetch(`${phone.url}api/v1/command/${cmd}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  return r.json();
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const hub = await new Hub(300, 3).start();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() });
  const started = [];
  try {
    const team = hub.query(['team', 'list']).find((t) => t.members.some((m) => m.role === 'volunteer'));
    const volunteer = team.members.find((m) => m.role === 'volunteer').id;
    const vol = await new Phone('shots-vol').start();
    const lead = await new Phone('shots-lead').start();
    const fresh = await new Phone('shots-new').start();
    started.push(vol, lead, fresh);
    for (const [phone, pairing] of [
      [vol, hub.pairing({ volunteer })],
      [lead, hub.pairing({ role: 'lead', team: team.id })],
    ]) {
      await fetch(`${phone.url}api/v1/shell/pair`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payload: pairing, device_name: 'ảnh chụp' }),
      });
      await fetch(`${phone.url}api/v1/shell/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'null' });
      await fetch(`${phone.url}api/v1/shell/set_pin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pin: TEST_PIN }),
      });
    }
    // A phone whose app is locked, for the PIN screen.
    const locked = await new Phone('shots-lock').start();
    started.push(locked);
    for (const [path, body] of [
      ['pair', { payload: hub.pairing({ volunteer }), device_name: 'ảnh chụp' }],
      ['set_pin', { pin: TEST_PIN }],
      ['lock', null],
    ]) {
      await fetch(`${locked.url}api/v1/shell/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    }
    const list = await command(vol, 'list_households', { filter: {} });
    const hh = list.find((h) => h.kind === 'home' && h.n_residents >= 4) ?? list[0];
    const screens = [
      ['pair', fresh, '#/'],
      ['lock', locked, '#/'],
      ['home', vol, '#/'],
      ['households', vol, '#/households'],
      ['household', vol, `#/h/${hh.id}`],
      ['visit', vol, `#/h/${hh.id}/visit`],
      ['team', lead, '#/team'],
    ];
    for (const theme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'vi-VN' });
      await context.addInitScript((t) => localStorage.setItem('gocua.theme', t), theme);
      for (const [name, phone, hash] of screens) {
        const page = await context.newPage();
        await page.clock.setFixedTime(NOW_MS);
        await page.goto(`${phone.url}${hash}`);
        await page.waitForLoadState('networkidle');
        await page.evaluate(() => document.fonts.ready);
        await page.waitForTimeout(300);
        const file = join(OUT, `app-${name}-${theme}.png`);
        await page.screenshot({ path: file });
        console.log(file);
        await page.close();
      }
      await context.close();
    }
  } finally {
    await browser.close();
    for (const p of started) {
      await p.stop();
      p.cleanup();
    }
    await hub.stop();
    hub.cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
