// End to end in real Chromium over real processes: a ward hub (`gocua hub serve`) on loopback
// and phones (`gocua phone serve`: each a real encrypted replica behind the app's UI).
// - a phone pairs by camera: Chromium's fake camera plays the QR code `gocua hub pair --png` wrote;
// - two volunteers record on the same household offline; after both sync the hub holds both
//   visits and each phone shows them;
// - a lead reassigns a street offline; after the lead's and the volunteer's syncs the volunteer's
//   list has changed;
// - a restarted phone opens locked: the data stays closed until the PIN, a wrong one is refused;
// - the canonical visit (4 residents, 2 activated level 2, 1 not home, revisit Thursday 19:00),
//   its taps counted and printed.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { decodePng, toY4m } from './lib/png.mjs';
import { CHROMIUM, Hub, NOW, Phone, TEST_PIN, chromiumArgs, tempDir } from './lib/procs.mjs';

const NOW_MS = Date.parse(`${NOW.replace(' ', 'T')}:00+07:00`);
let hub;
const phones = [];
const browsers = [];

before(async () => {
  hub = await new Hub(160, 11).start();
});

after(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  for (const p of phones) {
    await p.stop();
    p.cleanup();
  }
  await hub?.stop();
  hub?.cleanup();
});

/** The ward's teams: `[team id, [volunteer ids]]`, from the hub's own plan. */
function roster() {
  return hub
    .query(['team', 'list'])
    .filter((t) => t.id)
    .map((t) => [t.id, t.members.filter((v) => v.role === 'volunteer').map((v) => v.id), t.name]);
}

async function browser(extra = []) {
  const b = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs(extra) });
  browsers.push(b);
  return b;
}

/** A phone process and a 360 px page on it, its clock at the test's campaign evening. */
async function openPhone(b, name) {
  const phone = await new Phone(name).start();
  phones.push(phone);
  const context = await b.newContext({ viewport: { width: 360, height: 780 }, locale: 'vi-VN' });
  await context.grantPermissions(['camera'], { origin: phone.url.replace(/\/$/, '') });
  const page = await context.newPage();
  await page.clock.setFixedTime(NOW_MS);
  page.on('pageerror', (e) => console.error(`[${name}] ${e.message}`));
  await page.goto(phone.url);
  return { phone, page };
}

/** Calls the phone's command table directly (as its UI does), for the test's own checks. */
async function command(phone, cmd, args = {}) {
  const r = await fetch(`${phone.url}api/v1/command/${cmd}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(`${cmd}: ${JSON.stringify(body)}`);
  return body;
}

async function pairByPaste(page, payload) {
  await page.getByTestId('pair-paste').fill(payload);
  await page.getByTestId('pair-submit').click();
  await setPin(page);
  await waitSynced(page);
}

/** After the first sync the pairing screen hands over to setting the PIN (typed twice), then
 * home. */
async function setPin(page, pin = TEST_PIN) {
  const refused = page.getByTestId('pair-error');
  const lock = page.locator('[data-testid="lock"][data-step="new"]');
  await lock.or(refused).first().waitFor({ timeout: 60000 });
  if (await refused.isVisible()) throw new Error(`pairing refused: ${await refused.innerText()}`);
  for (const step of ['new', 'confirm']) {
    await page.locator(`[data-testid="lock"][data-step="${step}"]`).waitFor();
    await page.getByTestId('pin-input').fill(pin);
    await page.getByTestId('pin-input').press('Enter');
  }
  await page.getByTestId('lock').waitFor({ state: 'detached' });
}

async function waitSynced(page) {
  const done = page.getByTestId('sync-state').and(page.locator('[data-state="done"]'));
  const refused = page.getByTestId('pair-error');
  await done.or(refused).first().waitFor({ timeout: 60000 });
  if (await refused.isVisible()) throw new Error(`pairing refused: ${await refused.innerText()}`);
}

async function syncNow(page) {
  await page.getByTestId('sync-now').click();
  await page.waitForFunction(
    () => {
      const el = document.querySelector('[data-testid="sync-state"]');
      return el && el.getAttribute('data-state') !== 'syncing' && !document.querySelector('[data-testid="sync-now"]:disabled');
    },
    null,
    { timeout: 60000 },
  );
  return page.getByTestId('sync-state').getAttribute('data-state');
}

async function pending(page) {
  return Number(await page.getByTestId('sync-pending').getAttribute('data-pending'));
}

test('a phone pairs by scanning the hub QR code with the camera', async () => {
  const [team, volunteers] = roster()[0];
  const dir = tempDir('qr');
  const png = join(dir, 'pair.png');
  hub.pairing({ volunteer: volunteers[0], png });
  const video = join(dir, 'pair.y4m');
  writeFileSync(video, toY4m(decodePng(readFileSync(png))));
  const b = await browser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
  const { phone, page } = await openPhone(b, 'camera');
  // No tap, nothing typed: the pairing screen opens the camera by itself, reads the code,
  // pairs and syncs; then the PIN.
  await setPin(page);
  await waitSynced(page);
  const me = await command(phone, 'whoami', null);
  assert.equal(me.identity.role, 'volunteer');
  assert.equal(me.identity.team, team);
  await page.getByTestId('pair-video').waitFor({ state: 'detached' });
  const streets = await command(phone, 'list_streets', { team });
  assert.ok(streets.length > 0, 'the team streets arrived');
  await page.getByText(streets[0].name).first().waitFor();
});

test('two phones record on the same household offline; after both sync nothing is lost', async () => {
  const [, volunteers] = roster()[1];
  const [va, vb] = volunteers;
  assert.ok(va && vb, 'a team with two volunteers');
  const b = await browser();
  const A = await openPhone(b, 'a');
  const B = await openPhone(b, 'b');
  await pairByPaste(A.page, hub.pairing({ volunteer: va }));
  await pairByPaste(B.page, hub.pairing({ volunteer: vb }));
  const shared = (await command(A.phone, 'list_households', { filter: {} }))[0].id;
  assert.ok((await command(B.phone, 'list_households', { filter: {} })).some((h) => h.id === shared));

  // The hub goes away: both phones are offline.
  await hub.stop();
  for (const [who, P] of [['a', A], ['b', B]]) {
    await P.page.goto(`${P.phone.url}#/h/${shared}/visit`);
    await P.page.getByRole('button', { name: 'Không có ai ở nhà' }).click();
    await P.page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await P.page.getByText('Đã lưu').first().waitFor();
    assert.equal(await pending(P.page), 1, `phone ${who} counts its visit as not yet on the hub`);
    assert.equal(await syncNow(P.page), 'unreachable', `phone ${who} says the hub is not reachable`);
    await P.page.getByText(/Không kết nối được máy chủ phường/).first().waitFor();
  }

  await hub.start();
  for (const P of [A, B, A]) assert.equal(await syncNow(P.page), 'done');
  for (const P of [A, B]) assert.equal(await pending(P.page), 0);
  const onHub = hub.query(['household', shared]);
  const visits = onHub.visits ?? [];
  assert.equal(visits.filter((v) => v.volunteer === va).length, 1, 'A visit on the hub');
  assert.equal(visits.filter((v) => v.volunteer === vb).length, 1, 'B visit on the hub');
  for (const P of [A, B]) {
    const seen = await command(P.phone, 'household_detail', { id: shared });
    const by = new Set(seen.visits.map((v) => v.volunteer));
    assert.ok(by.has(va) && by.has(vb), 'each phone shows the merged household');
  }
});

/** On the lead's phone, gives `street` to the team named `teamName` (the whole team). */
async function reassignOffline(L, street, teamName) {
  await L.page.goto(`${L.phone.url}#/reassign?street=${street.id}`);
  const target = L.page.getByTestId('reassign-target');
  // The first choice under the other team's heading gives the street to the whole team.
  const option = await target.locator('optgroup').evaluateAll(
    (gs, name) => gs.find((g) => g.label === name)?.querySelector('option')?.value,
    teamName,
  );
  assert.ok(option, `the lead can give the street to ${teamName}`);
  await target.selectOption(option);
  await L.page.getByTestId('reassign-save').click();
  await L.page.getByText('Đã giao lại').first().waitFor();
  assert.ok((await pending(L.page)) >= 1);
}

test('a lead reassigns a street offline; after both syncs the volunteer list changes', async () => {
  const teams = roster();
  const [team, volunteers] = teams[2];
  const [otherTeam, , otherName] = teams[0];
  const b = await browser();
  const L = await openPhone(b, 'lead');
  const V = await openPhone(b, 'vol');
  await pairByPaste(L.page, hub.pairing({ role: 'lead', team }));
  await pairByPaste(V.page, hub.pairing({ volunteer: volunteers[0] }));
  const before = await command(V.phone, 'list_streets', { team });
  const street = before[0];

  await hub.stop();
  try {
    await reassignOffline(L, street, otherName);
  } finally {
    await hub.start();
  }
  assert.equal(await syncNow(L.page), 'done');
  assert.equal(await syncNow(V.page), 'done');
  const after = await command(V.phone, 'list_streets', { team });
  const onHub = hub.query(['streets']).find((s) => s.id === street.id);
  assert.equal(onHub?.team, otherTeam, `the hub has street ${street.id} with ${otherTeam}: ${JSON.stringify(onHub)}`);
  assert.ok(!after.some((s) => s.id === street.id), `street ${street.id} left the volunteer's list`);
  await V.page.goto(V.phone.url);
  await V.page.getByText(after[0]?.name ?? '').first().waitFor();
  assert.equal(await V.page.getByText(street.name, { exact: true }).count(), 0);
});

test('the canonical visit takes at most 8 taps from the household screen', async () => {
  const [, volunteers] = roster()[0];
  const b = await browser();
  const P = await openPhone(b, 'canon');
  await pairByPaste(P.page, hub.pairing({ volunteer: volunteers[1] }));
  const list = await command(P.phone, 'list_households', { filter: {} });
  let h;
  for (const row of list) {
    const d = await command(P.phone, 'household_detail', { id: row.id });
    const fresh = d.residents.filter((r) => r.eligible && r.funnel.activation === 'none' && r.funnel.cccd === 'has');
    if (d.residents.length >= 4 && fresh.length >= 3 && (d.visits ?? []).length === 0) {
      h = d;
      break;
    }
  }
  assert.ok(h, 'a household of four or more not yet visited');
  const hid = h.row.id;
  await P.page.goto(`${P.phone.url}#/h/${hid}`);
  let taps = 0;
  const tap = async (loc) => {
    taps += 1;
    await loc.click();
  };
  const card = (name) => P.page.locator('li[data-resident]').filter({ hasText: name }).first();
  await tap(P.page.getByRole('button', { name: 'Ghi lượt thăm' }));
  const [r1, r2, r3] = h.residents.filter((r) => r.eligible && r.funnel.activation === 'none' && r.funnel.cccd === 'has');
  await tap(card(r1.full_name).getByRole('button', { name: 'Kích hoạt mức 2' }));
  await tap(card(r2.full_name).getByRole('button', { name: 'Kích hoạt mức 2' }));
  await tap(card(r3.full_name).getByRole('button', { name: 'Vắng nhà' }));
  await tap(P.page.getByRole('button', { name: /^T5 / }).first());
  await tap(P.page.getByRole('button', { name: '19:00', exact: true }));
  await tap(P.page.getByRole('button', { name: 'Lưu', exact: true }));
  await P.page.getByText('Đã lưu').first().waitFor();
  console.log(`canonical visit: ${taps} taps from the household screen (target ≤ 8)`);
  assert.ok(taps <= 8, `${taps} taps`);
  const saved = await command(P.phone, 'household_detail', { id: hid });
  assert.equal(saved.visits.length, 1);
  const byId = new Map(saved.residents.map((r) => [r.id, r]));
  for (const r of [r1, r2]) assert.equal(byId.get(r.id).funnel.activation, 'level2', `${r.full_name} activated level 2`);
  assert.ok(byId.get(r3.id).blockers.includes('nobody_home'), `${r3.full_name} not home`);
  assert.ok(saved.visits[0].revisit, 'a revisit is booked');
  assert.equal(await syncNow(P.page), 'done');
  assert.equal((hub.query(['household', hid]).visits ?? []).length, 1, 'the visit is on the hub');
});

test('a restarted phone opens locked; a wrong PIN is refused, the right one shows the same data', async () => {
  const [, volunteers] = roster()[2] ?? roster()[0];
  const b = await browser();
  const P = await openPhone(b, 'lock');
  await pairByPaste(P.page, hub.pairing({ volunteer: volunteers[0] }));
  const [first] = await command(P.phone, 'list_households', { filter: {} });
  assert.ok(first, 'the phone holds households');
  // The process ends (the phone is switched off) and starts again on the same folder.
  await P.phone.stop();
  await P.phone.start();
  const locked = await fetch(`${P.phone.url}api/v1/command/list_households`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"filter":{}}',
  });
  assert.equal(locked.status, 422);
  assert.equal((await locked.json()).code, 'locked', 'nothing opens without the PIN');
  await P.page.goto(P.phone.url);
  await P.page.locator('[data-testid="lock"][data-step="unlock"]').waitFor();
  assert.equal(await P.page.getByTestId('sync-bar').count(), 0, 'only the PIN screen');
  await P.page.getByTestId('pin-input').fill('246810');
  await P.page.getByTestId('pin-ok').click();
  assert.match(await P.page.getByTestId('lock-error').innerText(), /Sai mã PIN/);
  await P.page.getByTestId('pin-input').fill(TEST_PIN);
  await P.page.getByTestId('pin-ok').click();
  await waitSynced(P.page);
  await P.page.goto(`${P.phone.url}#/h/${first.id}`);
  await P.page.getByText(first.head).first().waitFor();
});
