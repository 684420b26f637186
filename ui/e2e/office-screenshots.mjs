// Screenshots of the ward office's dashboard, every page at 1280 px and at 360 px, from the
// built UI over the in-memory demo ward (`office.html?demo`), served the way the hub serves it
// (`/office/` → dist/office.html, `/office/<path>` → dist/<path>) by a small static server on
// loopback. Writes docs/screenshots/office-<page>-<1280|360>.png (shown in the README).
//   npm run build && node e2e/office-screenshots.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, NOW, ROOT, chromiumArgs } from './lib/procs.mjs';
import { serveOffice } from './lib/static.mjs';

const OUT = join(ROOT, 'docs', 'screenshots');
const NOW_MS = Date.parse(`${NOW.replace(' ', 'T')}:00+07:00`);

/** Each page: its hash and what to do on it before the picture. */
const PAGES = [
  ['signin', null, async () => {}],
  ['progress', '#/progress', async (page) => page.waitForSelector('.u-legend, canvas', { timeout: 5000 }).catch(() => {})],
  ['devices', '#/devices', async (page) => page.waitForSelector('table')],
  [
    'pairing',
    '#/pairing',
    async (page) => {
      await page.locator('select').first().selectOption({ index: 1 });
      await page.locator('select').nth(1).selectOption({ index: 2 });
      await page.getByRole('button', { name: /Tạo mã QR/ }).click();
      await page.waitForSelector('img.qr');
    },
  ],
  ['campaign', '#/campaign', async (page) => page.waitForSelector('form')],
  [
    'import',
    '#/import',
    async (page) => {
      const csv = 'Họ và tên,Ngày, tháng, năm sinh\nNguyễn Văn A,01/01/1980\n';
      await page.locator('input[type=file]').setInputFiles({ name: 'danh-sach-nhan-khau.xlsx', mimeType: 'application/octet-stream', buffer: Buffer.from(csv.repeat(200)) });
      await page.getByRole('button', { name: /Kiểm tra tệp/ }).click();
      await page.waitForSelector('[data-testid=row-errors]');
    },
  ],
  ['export', '#/export', async () => {}],
  ['schedule', '#/schedule', async (page) => page.waitForSelector('[data-testid=schedule-sheet]')],
  [
    'list',
    '#/list',
    async (page) => {
      await page.waitForFunction(() => document.querySelectorAll('select option').length > 1);
      await page.locator('select').first().selectOption({ index: 1 });
      await page.waitForSelector('[data-testid=household-sheet]', { timeout: 20000 });
    },
  ],
  [
    'paper',
    '#/paper',
    async (page) => {
      await page.waitForFunction(() => document.querySelectorAll('select')[1]?.options.length > 1);
      await page.locator('select').nth(1).selectOption({ index: 1 });
      await page.waitForFunction(() => document.querySelectorAll('select')[2]?.options.length > 1);
      await page.locator('select').nth(2).selectOption({ index: 3 });
      await page.waitForSelector('form.entry');
    },
  ],
];

async function main() {
  mkdirSync(OUT, { recursive: true });
  const { server, base } = await serveOffice();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() });
  try {
    for (const [width, height] of [[1280, 860], [360, 780]]) {
      const context = await browser.newContext({ viewport: { width, height }, locale: 'vi-VN' });
      await context.addInitScript(() => localStorage.setItem('gocua.theme', 'light'));
      for (const [name, hash, prepare] of PAGES) {
        const page = await context.newPage();
        await page.clock.setFixedTime(NOW_MS);
        await page.goto(hash === null ? base : `${base}?demo${hash}`);
        await page.waitForSelector(hash === null ? '.signin h2' : '.office-main h1');
        await prepare(page);
        await page.evaluate(() => document.fonts.ready);
        await page.waitForTimeout(400);
        const file = join(OUT, `office-${name}-${width}.png`);
        // The home page whole (figures, breakdown, leaderboard, hard cases, trend); the others
        // as the screen shows them.
        await page.screenshot({ path: file, fullPage: name === 'progress' });
        console.log(file);
        await page.close();
      }
      await context.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
