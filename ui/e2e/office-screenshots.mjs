// Screenshots of the ward office's dashboard, every page at 1280 px and at 360 px, from the
// built UI over the in-memory demo ward (`office.html?demo`), served the way the hub serves it
// (`/office/` → dist/office.html, `/office/<path>` → dist/<path>) by a small static server on
// loopback. Writes docs/screenshots/office-<page>-<1280|360>.png (shown in the README).
//   npm run build && node e2e/office-screenshots.mjs
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, NOW, ROOT, UI, chromiumArgs } from './lib/procs.mjs';

const OUT = join(ROOT, 'docs', 'screenshots');
const DIST = join(UI, 'dist');
const NOW_MS = Date.parse(`${NOW.replace(' ', 'T')}:00+07:00`);
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.svg': 'image/svg+xml' };

/** dist/ at /office/, and "no session" from the session endpoint (for the sign-in page). */
function serve() {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/api/v1/office/session') {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'no_session', message_vi: 'Chưa đăng nhập', message_en: 'Not signed in' }));
      return;
    }
    const rel = url.pathname === '/office/' ? 'office.html' : url.pathname.replace(/^\/office\//, '');
    const path = normalize(join(DIST, rel));
    if (!path.startsWith(DIST) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(path).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

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
  if (!existsSync(join(DIST, 'office.html'))) throw new Error('dist/office.html is missing: run `npm run build` first');
  mkdirSync(OUT, { recursive: true });
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}/office/`;
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
