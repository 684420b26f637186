// The office's printables in real Chromium over the demo ward: with print media the navigation
// and controls are hidden and the sheet is what prints; printed to PDF, every page is A4
// portrait; the schedule notice says what residents must bring, the household list has a box
// column per step for every resident.
//   npm run build && node --test e2e/office-print.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM, NOW, chromiumArgs } from './lib/procs.mjs';
import { serveOffice } from './lib/static.mjs';

const NOW_MS = Date.parse(`${NOW.replace(' ', 'T')}:00+07:00`);
let browser;
let served;

before(async () => {
  served = await serveOffice();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() });
});

after(async () => {
  await browser?.close();
  served?.server.close();
});

/** Sizes of the PDF's pages in points, from their MediaBox entries. */
function pageSizes(pdf) {
  return [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

async function printed(hash, prepare, selector) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  await page.clock.setFixedTime(NOW_MS);
  await page.goto(`${served.base}?demo${hash}`);
  await prepare(page);
  await page.waitForSelector(selector, { timeout: 20000 });
  await page.emulateMedia({ media: 'print' });
  const shown = await page.evaluate((sel) => {
    const visible = (el) => !!el && getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0;
    return {
      nav: visible(document.querySelector('.office-nav')),
      top: visible(document.querySelector('.office-top')),
      controls: [...document.querySelectorAll('.no-print')].some(visible),
      sheet: visible(document.querySelector(sel)),
      text: document.querySelector(sel)?.innerText ?? '',
    };
  }, selector);
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: false });
  await page.close();
  return { shown, sizes: pageSizes(pdf) };
}

function assertA4(sizes) {
  assert.ok(sizes.length >= 1, 'the PDF has pages');
  for (const [w, h] of sizes) {
    assert.ok(Math.abs(w - 595.3) < 2 && Math.abs(h - 841.9) < 2, `A4 portrait, not ${w}×${h}`);
  }
}

test('the schedule notice prints alone on A4, saying what to bring', async () => {
  const { shown, sizes } = await printed('#/schedule', async () => {}, '[data-testid=schedule-sheet]');
  assert.deepEqual([shown.nav, shown.top, shown.controls, shown.sheet], [false, false, false, true]);
  assert.match(shown.text, /THÔNG BÁO/);
  assert.match(shown.text, /Thẻ căn cước\/CCCD/);
  assert.match(shown.text, /SIM đứng tên chính người dân/);
  assert.match(shown.text, /18:00 – 21:00/);
  assertA4(sizes);
});

test("a street's household list prints on A4 pages with the boxes for every resident", async () => {
  const { shown, sizes } = await printed(
    '#/list',
    async (page) => {
      await page.waitForFunction(() => document.querySelectorAll('select option').length > 1);
      await page.locator('select').first().selectOption({ index: 1 });
    },
    '[data-testid=household-sheet]',
  );
  assert.deepEqual([shown.nav, shown.top, shown.controls, shown.sheet], [false, false, false, true]);
  for (const head of ['Số nhà', 'Chủ hộ', 'Có CCCD', 'Vắng nhà', 'Ghi chú']) assert.ok(shown.text.includes(head), head);
  assert.ok((shown.text.match(/☐/g) ?? []).length > 100, 'empty boxes to tick');
  assertA4(sizes);
  assert.ok(sizes.length > 1, 'a long street takes several pages');
});
