// The real desktop app (target/debug/gocua-phone, the UI embedded) under a virtual display,
// driven by tauri-driver over WebDriver classic: it pairs with a real hub from a pasted payload,
// syncs, records one visit, syncs it to the hub; and a screenshot of the household screen shows
// Vietnamese names drawn with real glyphs (the bundled font, diacritics visible).
// Run under Xvfb (scripts/test-all uses xvfb-run).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodePng, luma } from './lib/png.mjs';
import { Hub, NOW, ROOT, TEST_PIN, freePort, stop, tempDir } from './lib/procs.mjs';
import { WebDriver } from './lib/webdriver.mjs';

const APP = process.env.GOCUA_PHONE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'gocua-phone');
const DRIVER = process.env.TAURI_DRIVER ?? 'tauri-driver';
let hub, driver, wd, dataDir;

before(async () => {
  assert.ok(existsSync(APP), `${APP} is missing: cargo build -p gocua-phone`);
  assert.ok(process.env.DISPLAY, 'needs a display: run under xvfb-run');
  hub = await new Hub(80, 21).start();
  dataDir = tempDir('desktop');
  const port = await freePort();
  const native = await freePort();
  // Its own process group, so WebKitWebDriver and the app go with it; no inherited pipes (an
  // orphan holding the test's stdout would keep the test runner waiting).
  driver = spawn(DRIVER, ['--port', String(port), '--native-port', String(native)], {
    env: { ...process.env, GOCUA_APP_DATA: dataDir, GOCUA_NOW: NOW },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  driver.stderr.on('data', (d) => process.stderr.write(`[tauri-driver] ${d}`));
  wd = await WebDriver.session(`http://127.0.0.1:${port}`, { 'tauri:options': { application: APP } });
});

after(async () => {
  await wd?.quit();
  if (driver) {
    try {
      process.kill(-driver.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await stop(driver);
  }
  await hub?.stop();
  hub?.cleanup();
});

const byText = (tag, text) => `//${tag}[normalize-space()=${JSON.stringify(text)}]`;

async function clickText(tag, text) {
  const el = await wd.findXpath(byText(tag, text));
  await wd.cmd('POST', `/element/${el}/click`, {});
}

/** Pixels that stand out from the background (the commonest shade), light or dark theme: the
 * ink of the text drawn. */
function inked(img) {
  const hist = new Array(256).fill(0);
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) hist[luma(img, x, y)]++;
  const bg = hist.indexOf(Math.max(...hist));
  let n = 0;
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (Math.abs(luma(img, x, y) - bg) > 60) n++;
  return n;
}

/** The element's box cut out of a screenshot of the whole window (WebKitWebDriver's element
 * screenshots come back empty under Xvfb). Saved under GOCUA_E2E_SHOTS when that is set. */
async function shotOf(el) {
  const png = await wd.screenshot();
  if (process.env.GOCUA_E2E_SHOTS) writeFileSync(join(process.env.GOCUA_E2E_SHOTS, `desktop-${Date.now()}.png`), png);
  const full = decodePng(png);
  const r = await wd.exec(
    `const b = arguments[0].getBoundingClientRect(), k = window.devicePixelRatio || 1;
     return [b.left * k, b.top * k, b.width * k, b.height * k].map(Math.round)`,
    [{ 'element-6066-11e4-a52e-4f735466cecf': el }],
  );
  const [x0, y0, w, h] = r;
  const data = new Uint8Array(w * h * full.channels);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * full.width + x0) * full.channels;
    data.set(full.data.subarray(from, from + w * full.channels), y * w * full.channels);
  }
  return { width: w, height: h, channels: full.channels, data };
}

test('the desktop app pairs, records a visit and syncs it; Vietnamese renders with real glyphs', async () => {
  const team = hub.query(['team', 'list']).find((t) => t.members.some((v) => v.role === 'volunteer'));
  const volunteer = team.members.find((v) => v.role === 'volunteer').id;
  const rows = hub.query(['households', '--team', team.id, '--limit', '100000']);
  const strip = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd');
  const mine = rows.find((h) => h.kind === 'home' && h.n_residents >= 2 && strip(h.head) !== h.head);
  assert.ok(mine, `a home of ${team.id} whose head has Vietnamese letters`);
  const payload = hub.pairing({ volunteer });

  await wd.type('[data-testid="pair-paste"]', payload);
  await wd.click('[data-testid="pair-submit"]');
  // After the first sync: the PIN, typed twice.
  for (const step of ['new', 'confirm']) {
    await wd.until(`return document.querySelector('[data-testid="lock"]')?.dataset.step === '${step}'`, 90000, `the PIN screen (${step})`);
    await wd.type('[data-testid="pin-input"]', TEST_PIN);
    await wd.click('[data-testid="pin-ok"]');
  }
  await wd.until(
    `return document.querySelector('[data-testid="sync-state"]')?.getAttribute('data-state') === 'done'`,
    90000,
    'the first sync to end',
  );

  // The household screen.
  await wd.exec(`location.hash = '#/h/${mine.id}'`);
  await wd.findXpath(byText('button', 'Ghi lượt thăm'));
  const head = mine.head;
  const nameEl = await wd.findXpath(`//*[normalize-space()=${JSON.stringify(head)}]`);
  const shot = await shotOf(nameEl);
  const fontReady = await wd.exec(
    `return document.fonts.check('16px "Be Vietnam Pro"', arguments[0]) && [...document.fonts].some((f) => f.family.includes('Be Vietnam Pro') && f.status === 'loaded')`,
    [head],
  );
  assert.ok(fontReady, 'Be Vietnam Pro is loaded for the head name');
  // The same element with the diacritics stripped must look different: the marks are drawn.
  const folded = head.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
  assert.notEqual(folded, head, `${head} has Vietnamese letters`);
  await wd.exec(`arguments[0].textContent = arguments[1]`, [{ 'element-6066-11e4-a52e-4f735466cecf': nameEl }, folded]);
  const plain = await shotOf(nameEl);
  await wd.exec(`arguments[0].textContent = arguments[1]`, [{ 'element-6066-11e4-a52e-4f735466cecf': nameEl }, head]);
  assert.ok(inked(shot) > 50, 'the name is drawn');
  assert.ok(inked(shot) > inked(plain), `diacritics add ink (${inked(shot)} vs ${inked(plain)} pixels)`);
  console.log(`desktop: "${head}" ${shot.width}×${shot.height}, ${inked(shot)} inked pixels; "${folded}" ${inked(plain)}`);

  // Record one visit: nobody home.
  await clickText('button', 'Ghi lượt thăm');
  await clickText('button', 'Không có ai ở nhà');
  await clickText('button', 'Lưu');
  await wd.until(`return document.body.innerText.includes('Đã lưu')`, 30000, 'Đã lưu');
  await wd.until(
    `return document.querySelector('[data-testid="sync-pending"]')?.getAttribute('data-pending') === '1'`,
    30000,
    'one change not yet on the hub',
  );
  await wd.click('[data-testid="sync-now"]');
  await wd.until(
    `const s = document.querySelector('[data-testid="sync-state"]')?.getAttribute('data-state');
     const p = document.querySelector('[data-testid="sync-pending"]')?.getAttribute('data-pending');
     return s === 'done' && p === '0'`,
    60000,
    'the visit to reach the hub',
  );
  const onHub = hub.query(['household', mine.id]);
  assert.equal(onHub.visits.length, 1 + (mine.n_visits ?? 0), 'the visit is on the hub');
  assert.equal(onHub.visits[0].volunteer, volunteer);
});
