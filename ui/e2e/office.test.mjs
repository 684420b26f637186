// The ward office end to end in real Chromium against a real hub on loopback (HTTPS, its own
// self-signed certificate), the dashboard embedded in the hub binary:
// - the office signs in from the one-time link (cookie HttpOnly, Secure, SameSite=Strict; the
//   link works once; without a session the API refuses);
// - imports a real-shaped list (`gocua gen-list`: title rows, lost zeros, NFD names, one-string
//   addresses, planted broken rows) and sees the broken rows by number, nothing written; then
//   imports the valid rows;
// - shows a pairing QR (decoded from a screenshot: it carries the payload); a phone replica pairs
//   with it, records a visit and syncs;
//   the dashboard shows the new totals;
// - downloads the XLSX report and reads it back: its figures equal the dashboard's;
// - prints the team's schedule notice and a street's household list to PDF and checks the text.
//   cargo build -p gocua-cli && (cd ui && npm run build) && node --test e2e/office.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM, Hub, Phone, TEST_PIN, chromiumArgs, gocua, tempDir } from './lib/procs.mjs';
import jsQR from 'jsqr';
import { decodePng } from './lib/png.mjs';
import { readXlsx } from './lib/xlsx.mjs';

let hub;
let browser;
const phones = [];
const dir = tempDir('office');

before(async () => {
  hub = await new Hub(150, 23).start();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() });
});

after(async () => {
  await browser?.close();
  for (const p of phones) {
    await p.stop();
    p.cleanup();
  }
  await hub?.stop();
  hub?.cleanup();
});

/** The hub's self-signed certificate is the ward's own (phones pin its fingerprint): the test's
 * browser accepts it as the office does once, by "Advanced → Proceed". */
async function office(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, locale: 'vi-VN', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[office] ${e.message}`));
  return { context, page };
}

/** A command of the table, run by the page itself (its cookie, its origin). */
async function command(page, cmd, args = null) {
  return page.evaluate(
    async ([c, a]) => {
      const r = await fetch(`/api/v1/command/${c}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-language': 'vi' },
        body: JSON.stringify(a),
      });
      return { status: r.status, body: await r.json() };
    },
    [cmd, args],
  );
}

async function ok(page, cmd, args = null) {
  const r = await command(page, cmd, args);
  assert.equal(r.status, 200, `${cmd}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Calls a phone's browser shell (what its UI does). */
async function phoneCall(phone, path, body) {
  const r = await fetch(`${phone.url}api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? null),
  });
  const json = await r.json();
  if (!r.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
  return json;
}

function pdfText(pdf, name) {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

const ward = async (page) => (await ok(page, 'progress', { by: 'ward' }))[0];

test('the office signs in, imports a real list, pairs a phone, sees its visit, exports and prints', async () => {
  const { context, page } = await office();
  const { url } = hub.query(['hub', 'signin-link']);
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/office\/#signin=[0-9a-f]{64}$/);
  const origin = new URL(url).origin;

  // Without a session: the page asks to sign in, the API refuses.
  const anon = await office();
  await anon.page.goto(`${origin}/office/`);
  const refused = await command(anon.page, 'progress', { by: 'ward' });
  assert.equal(refused.status, 401);
  assert.equal(refused.body.code, 'no_session');

  // Signing in: the token leaves the address bar; the cookie is HttpOnly, Secure, Strict.
  await page.goto(url);
  await page.getByTestId('ratio').first().waitFor({ timeout: 30000 });
  assert.ok(!page.url().includes('signin='), `the token left the address bar: ${page.url()}`);
  const [cookie] = (await context.cookies()).filter((c) => c.name === 'gocua_office');
  assert.ok(cookie, 'a session cookie');
  assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite], [true, true, 'Strict']);
  // The link works once.
  await anon.page.goto(url);
  await anon.page.waitForTimeout(1000);
  assert.equal((await command(anon.page, 'progress', { by: 'ward' })).status, 401, 'a used link signs nobody in');
  await anon.context.close();

  // Import a real-shaped list with broken rows: the errors by row, nothing written.
  const list = join(dir, 'danh-sach.xlsx');
  const made = gocua(['gen-list', '--households', '30', '--broken', '3', '--seed', '9', '--out', list]);
  const planted = JSON.parse(made);
  assert.ok(planted.broken.length >= 3, JSON.stringify(planted.broken));
  const before = await ward(page);
  await page.goto(`${origin}/office/#/import`);
  await page.locator('input[type=file]').setInputFiles(list);
  await page.getByRole('button', { name: 'Kiểm tra tệp' }).click();
  const table = page.getByTestId('row-errors');
  await table.waitFor({ timeout: 60000 });
  const rowsShown = (await table.locator('tbody tr td:first-child').allInnerTexts()).map((t) => Number(t.replace(/\D/g, '')));
  for (const b of planted.broken) assert.ok(rowsShown.includes(b.row), `row ${b.row} (${b.code}) reported; shown ${rowsShown}`);
  assert.equal((await ward(page)).progress.households, before.progress.households, 'nothing written');
  // The valid rows.
  await page.getByRole('button', { name: 'Nhập các dòng hợp lệ' }).click();
  await page.getByTestId('import-done').waitFor({ timeout: 60000 });
  const imported = await ward(page);
  const added = imported.progress.households - before.progress.households;
  assert.ok(added > 0 && added <= planted.households, `${added} households imported of ${planted.households}`);
  console.log(`import: ${planted.rows} rows, ${planted.broken.length} broken reported, ${added} households added`);

  // A pairing QR for a volunteer; a phone pairs with what it carries.
  const teams = await ok(page, 'list_teams');
  const team = teams.find((t) => t.id && t.members.some((m) => m.role === 'volunteer'));
  const volunteer = team.members.find((m) => m.role === 'volunteer');
  await page.goto(`${origin}/office/#/pairing`);
  await page.locator('select').first().selectOption(team.id);
  await page.locator('select').nth(1).selectOption(volunteer.id);
  await page.getByRole('button', { name: 'Tạo mã QR' }).click();
  const qr = page.locator('img.qr');
  await qr.waitFor();
  assert.ok((await qr.boundingBox()).width >= 300, 'the QR is large enough to scan');
  const payload = await page.locator('.payload textarea').inputValue();
  // The code on the screen is the payload: decoded from a screenshot of the page's QR.
  const shot = decodePng(await qr.screenshot());
  const rgba = new Uint8ClampedArray(shot.width * shot.height * 4);
  for (let i = 0; i < shot.width * shot.height; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = shot.data[i * shot.channels + (shot.channels >= 3 ? c : 0)];
    rgba[i * 4 + 3] = 255;
  }
  assert.equal(jsQR(rgba, shot.width, shot.height)?.data, payload, 'the QR shown carries the payload');
  const phone = await new Phone('office').start();
  phones.push(phone);
  const info = await phoneCall(phone, 'shell/pair', { payload, device_name: 'điện thoại thử' });
  assert.equal(info.volunteer, volunteer.id);
  await phoneCall(phone, 'shell/sync');
  await phoneCall(phone, 'shell/set_pin', { pin: TEST_PIN });
  const devices = await ok(page, 'list_devices');
  assert.ok(devices.some((d) => d.id === info.device_id && d.volunteer === volunteer.id), 'the device is listed');

  // The phone records a level-2 activation and syncs; the dashboard shows it.
  const rows = await phoneCall(phone, 'command/list_households', { filter: {} });
  let target = null;
  for (const h of rows.filter((r) => r.kind === 'home')) {
    const d = await phoneCall(phone, 'command/household_detail', { id: h.id });
    const r = d.residents.find((x) => x.eligible && x.funnel.cccd === 'has' && x.funnel.activation === 'none');
    if (r) {
      target = { household: h.id, resident: r.id };
      break;
    }
  }
  assert.ok(target, 'a resident to activate');
  await phoneCall(phone, 'command/record_visit', {
    household: target.household,
    outcome: 'met',
    residents: [{ resident: target.resident, reached: { cccd: 'has', level2_collected: true, activation: 'level2', guided: false } }],
  });
  const synced = await phoneCall(phone, 'shell/sync');
  assert.equal(synced.state, 'done', JSON.stringify(synced));
  await page.goto(`${origin}/office/#/progress`);
  const now = await ward(page);
  assert.equal(now.progress.activated, imported.progress.activated + 1, 'one more activation on the hub');
  const shown = (await page.getByTestId('ratio').allInnerTexts()).join(' | ');
  const vi = (n) => n.toLocaleString('de-DE');
  assert.ok(shown.includes(vi(now.progress.activated)), `the dashboard shows ${vi(now.progress.activated)}: ${shown}`);

  // The report: downloaded, read back, the same figures as the dashboard's commands.
  await page.goto(`${origin}/office/#/export`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByText('Tải báo cáo (.xlsx)').click()]);
  assert.match(download.suggestedFilename(), /^bao-cao-.+-\d{4}-\d{2}-\d{2}\.xlsx$/);
  const xlsxFile = join(dir, 'report.xlsx');
  await download.saveAs(xlsxFile);
  const book = readXlsx(readFileSync(xlsxFile));
  const sheet = (name) => book.sheets.find((s) => s.name === name) ?? assert.fail(`sheet ${name}: ${book.sheets.map((s) => s.name)}`);
  const wardRow = sheet('Phường').rows[3];
  const p = now.progress;
  assert.deepEqual(wardRow.slice(2, 9), [p.households, p.visited_households, p.eligible, p.cccd, p.level2, p.activated, p.guided]);
  for (const [name, by] of [
    ['Tổ công tác', 'team'],
    ['Tổ dân phố', 'group'],
    ['Đường', 'street'],
  ]) {
    const cmd = await ok(page, 'progress', { by });
    const rowsOut = sheet(name).rows.slice(3).filter((r) => r.length);
    assert.equal(rowsOut.length, cmd.length, `${name}: one row per ${by}`);
    const byKey = new Map(rowsOut.map((r) => [r[1] ?? '', r]));
    for (const r of cmd) assert.equal(byKey.get(r.key)?.[7], r.progress.activated, `${name} ${r.key} activated`);
  }
  assert.ok(book.sheets.some((s) => s.name === 'Theo ngày'), 'the daily sheet');

  // Printables: the schedule notice (a session made for the team first) and a street's list.
  await ok(page, 'set_team_schedule', { team: team.id, date: '2026-11-29', start: '08:00', end: '11:00', place: 'Nhà văn hoá tổ dân phố số 3' });
  await page.goto(`${origin}/office/#/schedule`);
  await page.locator('select').first().selectOption(team.id);
  await page.getByTestId('schedule-sheet').waitFor();
  await page.emulateMedia({ media: 'print' });
  const notice = pdfText(await page.pdf({ format: 'A4', printBackground: true }), 'schedule');
  for (const want of ['Nhà văn hoá tổ dân phố số 3', '08:00', 'căn cước', 'SIM']) assert.ok(notice.includes(want), `notice has "${want}":\n${notice}`);
  await page.emulateMedia({ media: 'screen' });
  const streets = await ok(page, 'list_streets', { team: team.id });
  await page.goto(`${origin}/office/#/list`);
  await page.locator('select').first().selectOption(streets[0].id);
  await page.getByTestId('household-sheet').waitFor();
  const heads = (await ok(page, 'list_households', { filter: { street: streets[0].id } })).map((h) => h.head);
  await page.emulateMedia({ media: 'print' });
  const sheetText = pdfText(await page.pdf({ format: 'A4' }), 'list');
  assert.ok(sheetText.includes(streets[0].name), `the list names its street:\n${sheetText.slice(0, 400)}`);
  const found = heads.filter((h) => sheetText.includes(h));
  assert.ok(found.length >= Math.min(3, heads.length), `household heads printed: ${found.length}/${heads.length}`);
  await context.close();
});
