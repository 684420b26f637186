// The phone app's figures (BENCHMARKS.md, "Phone app"), measured in real Chromium over a real
// phone replica holding 1,000 households (a ward-wide lead's phone, synced from a real hub):
// - cold start: `gocua phone serve` started to the households list showing its first rows;
// - tap to saved: the "Lưu" tap to "Đã lưu" on the visit screen (the replica's durable write
//   included), over 15 visits;
// - the list of 1,000 households scrolled top to bottom: frames and the longest frame;
// - the JavaScript bundle gzipped (main entry and lazy chunks).
// Figures are printed, never asserted:  node e2e/bench.mjs [--quick]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM, Hub, NOW, Phone, TEST_PIN, UI, chromiumArgs } from './lib/procs.mjs';

const quick = process.argv.includes('--quick');
const NOW_MS = Date.parse(`${NOW.replace(' ', 'T')}:00+07:00`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const ms = (x) => `${x.toFixed(0)} ms`;

async function post(phone, path, body) {
  const r = await fetch(`${phone.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return r.json();
}

async function main() {
  const households = quick ? 200 : 1000;
  const hub = await new Hub(households, 9).start();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() });
  let phone = await new Phone('bench').start();
  let volunteerPhone;
  try {
    // A lead without a team leads the ward: the phone holds every household.
    await post(phone, 'api/v1/shell/pair', { payload: hub.pairing({ role: 'lead' }), device_name: 'bench' });
    const t0 = performance.now();
    const st = await post(phone, 'api/v1/shell/sync', null);
    const firstSync = performance.now() - t0;
    await post(phone, 'api/v1/shell/set_pin', { pin: TEST_PIN });
    const held = (await post(phone, 'api/v1/command/list_households', { filter: {} })).length;
    console.log(`phone replica: ${held} households (first sync ${ms(firstSync)}, state ${st.state})`);

    // Cold start: the process from nothing to the first rows of the list.
    const starts = [];
    const spawnTimes = [];
    const unlocks = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      await phone.stop();
      const dir = phone.dir;
      const s0 = performance.now();
      phone = new Phone('bench');
      phone.dir = dir;
      await phone.start();
      // A cold start asks for the PIN: its key stretching is part of the start.
      const u0 = performance.now();
      await post(phone, 'api/v1/shell/unlock', { pin: TEST_PIN });
      const s1 = performance.now();
      unlocks.push(s1 - u0);
      const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
      const page = await context.newPage();
      await page.clock.setFixedTime(NOW_MS);
      await page.goto(`${phone.url}#/households`);
      await page.locator('button.hh').first().waitFor();
      starts.push(performance.now() - s0);
      spawnTimes.push(s1 - s0);
      await context.close();
    }
    const lists = [];
    for (let i = 0; i < 5; i++) {
      const l0 = performance.now();
      await post(phone, 'api/v1/command/list_households', { filter: {} });
      lists.push(performance.now() - l0);
    }
    console.log(`list_households over HTTP (${held} rows, the list screen's one call): median ${ms(median(lists))}`);
    console.log(`cold start to the households list (${held}): median ${ms(median(starts))} (process up and PIN entered ${ms(median(spawnTimes))}, of which the unlock ${ms(median(unlocks))}), runs ${starts.map(ms).join(', ')}`);

    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const page = await context.newPage();
    await page.clock.setFixedTime(NOW_MS);

    // Scroll the whole list: frames seen and the longest gap between two.
    await page.goto(`${phone.url}#/households`);
    await page.locator('button.hh').first().waitFor();
    const scroll = await page.evaluate(async () => {
      const el = document.querySelector('.vlist');
      const gaps = [];
      let last = performance.now();
      const start = last;
      const step = el.clientHeight / 2;
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
        el.scrollTop += step;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }
      return { frames: gaps.length, total: performance.now() - start, worst: Math.max(...gaps), rows: document.querySelectorAll('button.hh').length, height: el.scrollHeight };
    });
    console.log(`scroll ${held} households top to bottom: ${scroll.frames} frames in ${ms(scroll.total)}, longest frame ${scroll.worst.toFixed(1)} ms, ${scroll.rows} rows in the DOM`);

    // Tap to saved, on a volunteer's phone (a ward-wide lead records for nobody).
    const team = hub.query(['team', 'list']).find((t) => t.members.some((m) => m.role === 'volunteer'));
    volunteerPhone = await new Phone('bench-vol').start();
    const vp = volunteerPhone;
    await post(vp, 'api/v1/shell/pair', { payload: hub.pairing({ volunteer: team.members.find((m) => m.role === 'volunteer').id }), device_name: 'bench' });
    await post(vp, 'api/v1/shell/sync', null);
    await post(vp, 'api/v1/shell/set_pin', { pin: TEST_PIN });
    const list = await post(vp, 'api/v1/command/list_households', { filter: {} });
    const taps = [];
    for (const h of list.slice(0, quick ? 4 : 15)) {
      await page.goto(`${vp.url}#/h/${h.id}/visit`);
      await page.getByRole('button', { name: 'Không có ai ở nhà' }).click();
      const save = page.getByRole('button', { name: 'Lưu', exact: true });
      await save.waitFor();
      const t = await page.evaluate(async () => {
        const btn = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Lưu');
        const t0 = performance.now();
        btn.click();
        for (;;) {
          if (document.body.innerText.includes('Đã lưu')) return performance.now() - t0;
          const refused = document.querySelector('[role="alert"]');
          if (refused) throw new Error(`not saved: ${refused.textContent}`);
          if (performance.now() - t0 > 10000) throw new Error('not saved after 10 s');
          await new Promise((r) => setTimeout(r, 1));
        }
      });
      taps.push(t);
      // The toast goes before the next visit is timed.
      await page.getByText('Đã lưu').first().waitFor({ state: 'detached', timeout: 15000 });
    }
    console.log(`tap "Lưu" to "Đã lưu" (durable write): p50 ${ms(pct(taps, 50))}, p95 ${ms(pct(taps, 95))}, n=${taps.length}`);
    await context.close();
  } finally {
    await browser.close();
    for (const p of [phone, volunteerPhone].filter(Boolean)) {
      await p.stop();
      p.cleanup();
    }
    await hub.stop();
    hub.cleanup();
  }

  // The phone page's chunks only (index.html and what it imports, lazily or not): the office
  // dashboard's (office.html) are its own page with its own budget.
  const assets = join(UI, 'dist', 'assets');
  const index = readFileSync(join(UI, 'dist', 'index.html'), 'utf8');
  const js = new Set(readdirSync(assets).filter((f) => f.endsWith('.js')));
  const named = (text) => [...text.matchAll(/["'`](?:\.\/|\.\/assets\/|assets\/)?([\w.-]+\.js)["'`]/g)].map((m) => m[1]).filter((f) => js.has(f));
  const reach = new Set();
  const todo = named(index);
  while (todo.length) {
    const f = todo.pop();
    if (reach.has(f)) continue;
    reach.add(f);
    todo.push(...named(readFileSync(join(assets, f), 'utf8')));
  }
  let main = 0, lazy = 0;
  for (const f of reach) {
    const gz = gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
    if (index.includes(f)) main += gz;
    else lazy += gz;
  }
  console.log(`JavaScript gzipped: main ${(main / 1024).toFixed(1)} KB, lazy chunks ${(lazy / 1024).toFixed(1)} KB (budget 150 KB without fonts)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
