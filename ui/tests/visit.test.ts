// The visit form. Its model: chips establish the right funnel facts, revisits are offered only
// inside the area's visiting window. Through the whole app: the canonical visit — 4 residents,
// 2 activated level 2, 1 not home, revisit Thursday 19:00 — takes at most 8 taps from the
// household screen, sends exactly that `record_visit`, and "Đã lưu" shows only after OK.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import App from '../src/App.svelte';
import { fromVn, vnParts } from '../src/lib/time';
import { chooseDay, newDraft, offered, reached, revisitDays, timesOn, toRecordVisit, toggleFact, toggleNotHome, windowTimes } from '../src/lib/visit';
import { NONE, NOW, household, mockBackend } from './fixtures';

const URBAN = { start: '18:00', end: '21:30' };
const RURAL = { start: '16:00', end: '19:30' };

describe('visit model', () => {
  it('offers only the times of the area window', () => {
    expect(windowTimes(URBAN).map((m) => m / 60)).toEqual([18, 18.5, 19, 19.5, 20, 20.5, 21, 21.5]);
    expect(windowTimes(RURAL).map((m) => m / 60)).toEqual([16, 16.5, 17, 17.5, 18, 18.5, 19, 19.5]);
    // At 20:00 today only later slots are left; tomorrow has all of them.
    const today = fromVn(2026, 11, 23);
    expect(timesOn(URBAN, today, NOW).map((m) => m / 60)).toEqual([20.5, 21, 21.5]);
    expect(timesOn(RURAL, today, NOW)).toEqual([]);
    // A rural household gets no "today" at 20:00: its window is over.
    expect(revisitDays(RURAL, NOW)[0]).toBe(today + 86400);
    expect(revisitDays(URBAN, NOW)[0]).toBe(today);
    expect(revisitDays(URBAN, NOW)).toHaveLength(7);
  });

  it('turns chips into funnel facts, level 2 saying its application was collected', () => {
    expect(reached(['level2'])).toEqual({ cccd: 'none', level2_collected: true, activation: 'level2', guided: false });
    expect(reached(['cccd_has', 'guided'])).toEqual({ cccd: 'has', level2_collected: false, activation: 'none', guided: true });
    expect(reached([])).toEqual(NONE);
  });

  it('offers only steps still ahead and keeps exclusive chips exclusive', () => {
    expect(offered({ ...NONE, activation: 'level2', level2_collected: true, cccd: 'has' })).toEqual(['guided']);
    expect(offered({ ...NONE, cccd: 'has' })).toEqual(['level2', 'level1', 'level2_collected', 'guided']);
    // Without a chip card, the card comes first.
    expect(offered(NONE)).toEqual(['cccd_has', 'cccd_applied', 'level2_collected', 'level2', 'level1', 'guided']);
    const d = newDraft(household(), 'v-test');
    toggleFact(d, 'r-1', 'level1');
    toggleFact(d, 'r-1', 'level2');
    expect(d.residents['r-1']?.facts).toEqual(['level2']);
    toggleNotHome(d, 'r-1');
    expect(d.residents['r-1']).toEqual({ facts: [], notHome: true, blockers: [] });
    toggleFact(d, 'r-1', 'guided');
    expect(d.residents['r-1']?.notHome).toBe(false);
  });

  it('sends a revisit only with a day and a time, and no resident actions when nobody was home', () => {
    const d = newDraft(household(), 'v-test');
    toggleFact(d, 'r-1', 'level2');
    chooseDay(d, fromVn(2026, 11, 26));
    expect(toRecordVisit(d).revisit).toBeUndefined();
    d.minute = 19 * 60;
    expect(toRecordVisit(d).revisit).toEqual({ at: fromVn(2026, 11, 26, 19, 0), note: '' });
    d.outcome = 'nobody_home';
    expect(toRecordVisit(d).residents).toEqual([]);
  });
});

/** A tap: counted, then a click on the element. */
function tapper() {
  let taps = 0;
  return {
    tap: async (el: HTMLElement) => {
      taps += 1;
      await fireEvent.click(el);
    },
    count: () => taps,
  };
}

function residentCard(name: string): HTMLElement {
  const li = screen.getAllByText(name).map((el) => el.closest('li')).find((el): el is HTMLLIElement => !!el?.dataset.resident);
  if (!li) throw new Error(`no resident card for ${name}`);
  return li;
}

describe('recording the canonical visit', () => {
  it('takes at most 8 taps from the household screen, and says Đã lưu only after OK', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW * 1000 });
    expect(vnParts(NOW).weekday).toBe(1);
    let reply: (() => void) | undefined;
    const sent = mockBackend({
      household_detail: () => household(),
      record_visit: (args) =>
        new Promise((res) => {
          reply = () =>
            res({ id: args.id ?? 'v-x', household: args.household, at: NOW, volunteer: 'p-05', outcome: args.outcome });
        }),
    });
    location.hash = '#/h/h-00001';
    const { resetRouter } = await import('../src/lib/router.svelte');
    resetRouter({ name: 'household', id: 'h-00001' });
    render(App);
    const { tap, count } = tapper();

    await tap(await screen.findByRole('button', { name: 'Ghi lượt thăm' }));
    await screen.findByText('Trần Thị Lan');
    await tap(within(residentCard('Nguyễn Văn Bằng')).getByRole('button', { name: 'Kích hoạt mức 2' }));
    await tap(within(residentCard('Trần Thị Lan')).getByRole('button', { name: 'Kích hoạt mức 2' }));
    await tap(within(residentCard('Nguyễn Đức Anh')).getByRole('button', { name: 'Vắng nhà' }));
    await tap(screen.getByRole('button', { name: 'T5 26/11' }));
    await tap(screen.getByRole('button', { name: '19:00' }));
    await tap(screen.getByRole('button', { name: 'Lưu' }));

    expect(count()).toBeLessThanOrEqual(8);
    expect(count()).toBe(7);
    await waitFor(() => expect(sent.some((s) => s.cmd === 'record_visit')).toBe(true));
    const visit = sent.find((s) => s.cmd === 'record_visit');
    const l2 = { cccd: 'none', level2_collected: true, activation: 'level2', guided: false };
    expect(visit?.lang).toBe('vi');
    expect(visit?.args).toEqual({
      id: expect.stringMatching(/^v-[0-9a-hjkmnp-tv-z]{12}$/),
      household: 'h-00001',
      outcome: 'met',
      residents: [
        { resident: 'r-1', reached: l2, blockers: [], note: '' },
        { resident: 'r-2', reached: l2, blockers: [], note: '' },
        { resident: 'r-3', reached: NONE, blockers: ['nobody_home'], note: '' },
      ],
      household_blockers: [],
      note: '',
      revisit: { at: fromVn(2026, 11, 26, 19, 0), note: '' },
    });

    // Waiting for the replica: no "saved" yet, and the button cannot be tapped twice.
    expect(screen.queryByText('Đã lưu')).toBeNull();
    expect(screen.getByRole('button', { name: 'Đang lưu…' })).toHaveProperty('disabled', true);
    reply?.();
    expect(await screen.findByText('Đã lưu')).toBeTruthy();
    // Back on the household screen.
    expect(await screen.findByRole('button', { name: 'Ghi lượt thăm' })).toBeTruthy();
  });

  it('shows the refusal in the user language and never says Đã lưu', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW * 1000 });
    mockBackend({
      household_detail: () => household(),
      record_visit: () => {
        throw { code: 'outside_window', message: 'Giờ hẹn 2026-11-26 19:00 nằm ngoài khung giờ đi' };
      },
    });
    const { resetRouter } = await import('../src/lib/router.svelte');
    resetRouter({ name: 'visit', id: 'h-00001' });
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: 'Không có ai ở nhà' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Lưu' }));
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'Chưa lưu được: Giờ hẹn 2026-11-26 19:00 nằm ngoài khung giờ đi');
    expect(screen.queryByText('Đã lưu')).toBeNull();
    expect(screen.getByRole('button', { name: 'Lưu' })).toHaveProperty('disabled', false);
  });
});

describe('navigation', () => {
  it('ignores a double tap on a button that opens a screen', async () => {
    const { go, back, router, resetRouter } = await import('../src/lib/router.svelte');
    resetRouter({ name: 'household', id: 'h-1' });
    go({ name: 'visit', id: 'h-1' });
    go({ name: 'visit', id: 'h-1' });
    back({ name: 'home' });
    expect(router.route).toEqual({ name: 'household', id: 'h-1' });
  });
});
