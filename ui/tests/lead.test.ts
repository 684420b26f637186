// A lead's planning screens: flagging a hard case sends exactly what was chosen and names the
// mobile team it went to, a refusal is shown and nothing claims success, several mobile teams
// make the lead choose, flagged reasons can be cleared; the team board's "Ca khó" and "Lịch"
// sections show `hard_cases` and `team_schedule`, and a session is added (validation refusals
// shown), edited and removed. Volunteers see neither the flag button nor the schedule editing.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { DayRow } from '../src/lib/bindings/DayRow';
import type { HardCaseRow } from '../src/lib/bindings/HardCaseRow';
import type { Role } from '../src/lib/bindings/Role';
import type { TeamRow } from '../src/lib/bindings/TeamRow';
import type { TeamSession } from '../src/lib/bindings/TeamSession';
import type { WhoAmI } from '../src/lib/bindings/WhoAmI';
import { setTransport } from '../src/lib/api';
import { demoTransport } from '../src/lib/demo';
import { dayLabel, flagArgs, halfHours, scheduleDays, unflagArgs } from '../src/lib/lead';
import { href, parseRoute, router } from '../src/lib/router.svelte';
import { toast } from '../src/lib/toast.svelte';
import HardCase from '../src/screens/HardCase.svelte';
import Household from '../src/screens/Household.svelte';
import Team from '../src/screens/Team.svelte';
import { NOW, type Handlers, household, mockBackend, row } from './fixtures';

const TEAMS: TeamRow[] = [
  { id: 't-01', name: 'Tổ công tác số 1', lead: 'p-05', mobile: false, members: [{ id: 'p-05', name: 'Trần Thu Hà', role: 'lead' }] },
  { id: 't-08', name: 'Tổ lưu động số 1', lead: null, mobile: true, members: [{ id: 'p-20', name: 'Đỗ Văn Thành', role: 'volunteer' }] },
  { id: 't-09', name: 'Tổ lưu động số 2', lead: null, mobile: true, members: [{ id: 'p-21', name: 'Bùi Thị Lan', role: 'volunteer' }] },
];

/** The campaign's days around NOW (Monday 23 November 2026). */
const DAYS: DayRow[] = ['2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26'].map((day) => ({
  day,
  visits: 0,
  households_visited: 0,
  new_level2: 0,
  new_activations: 0,
  cumulative_activated: 0,
}));

function who(role: Role): WhoAmI {
  return { identity: { volunteer: 'p-05', team: 't-01', role }, volunteer_name: 'Trần Thu Hà', team_name: 'Tổ công tác số 1', ward: 'Phường Trúc Bạch', campaign: 'Chiến dịch 90 ngày đêm' };
}

function mark(reason: HardCaseRow['reasons'][number]['reason'], note = '') {
  return { reason, at: NOW - 86400, by: 'p-05', ...(note ? { note } : {}) };
}

function session(id: string, date: string, start: string, end: string, place: string, note?: string): TeamSession {
  return { id, team: 't-01', date, start, end, place, ...(note ? { note } : {}), at: NOW - 3600, by: 'p-05' };
}

function backend(role: Role, extra: Handlers = {}) {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW * 1000 });
  return mockBackend({
    whoami: () => who(role),
    list_teams: () => TEAMS,
    household_detail: () => household(),
    hard_cases: () => [],
    progress: () => [],
    daily_progress: () => DAYS,
    list_households: () => [],
    list_streets: () => [],
    team_schedule: () => [],
    ...extra,
  });
}

describe('the household screen', () => {
  it('offers a lead to flag a hard case', async () => {
    backend('lead');
    render(Household, { id: 'h-00001' });
    await fireEvent.click(await screen.findByTestId('flag-hard-case'));
    expect(router.route).toEqual({ name: 'hard', id: 'h-00001' });
  });

  it('does not offer it to a volunteer', async () => {
    backend('volunteer');
    render(Household, { id: 'h-00001' });
    expect(await screen.findByText('Nguyễn Thu Hà')).toBeTruthy();
    await waitFor(() => expect(screen.queryByText('Ghi lượt thăm')).toBeTruthy());
    expect(screen.queryByTestId('flag-hard-case')).toBeNull();
    expect(screen.queryByTestId('reassign-household')).toBeNull();
  });
});

describe('flagging a hard case', () => {
  it('sends the household, the reasons in order and the note, and names the mobile team it went to', async () => {
    const sent = backend('lead', {
      flag_hard_case: (a) => ({ household: a.household, reasons: a.reasons.map((r) => mark(r)), routed_to: 't-08', team: 't-08' }),
    });
    const back = vi.fn();
    render(HardCase, { id: 'h-00001', onback: back });
    // Tapped out of order: sent in the command table's order.
    await fireEvent.click(await screen.findByTestId('hard-reason-bedridden'));
    await fireEvent.click(screen.getByTestId('hard-reason-elderly'));
    expect(screen.getByTestId('hard-reason-elderly').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('hard-reason-disabled').getAttribute('aria-pressed')).toBe('false');
    expect(screen.getByTestId('hard-reason-needs_interpreter').textContent?.trim()).toBe('Cần người phiên dịch tiếng dân tộc');
    await fireEvent.input(screen.getByTestId('hard-note'), { target: { value: '  Cụ ở tầng 2  ' } });
    await fireEvent.click(screen.getByTestId('hard-save'));
    await waitFor(() => expect(back).toHaveBeenCalled());
    expect(sent.filter((s) => s.cmd === 'flag_hard_case').map((s) => s.args)).toEqual([{ household: 'h-00001', reasons: ['elderly', 'bedridden'], note: 'Cụ ở tầng 2' }]);
    expect(toast.text).toBe('Đã chuyển cho Tổ lưu động số 1; sẽ gửi lên phường khi đồng bộ');
  });

  it('sends no note when none was written, and asks for a reason first', async () => {
    const sent = backend('lead', { flag_hard_case: (a) => ({ household: a.household, reasons: a.reasons.map((r) => mark(r)), routed_to: null, team: 't-01' }) });
    const back = vi.fn();
    render(HardCase, { id: 'h-00001', onback: back });
    await fireEvent.click(await screen.findByTestId('hard-save'));
    expect(screen.getByTestId('hard-error').textContent).toBe('Hãy chọn ít nhất một lý do.');
    expect(sent.some((s) => s.cmd === 'flag_hard_case')).toBe(false);
    await fireEvent.click(screen.getByTestId('hard-reason-disabled'));
    await fireEvent.click(screen.getByTestId('hard-save'));
    await waitFor(() => expect(back).toHaveBeenCalled());
    expect(sent.find((s) => s.cmd === 'flag_hard_case')?.args).toEqual({ household: 'h-00001', reasons: ['disabled'] });
    // Not routed (the ward has no mobile team): the toast says where it stays.
    expect(toast.text).toBe('Đã đánh dấu ca khó; hộ vẫn ở Tổ công tác số 1');
  });

  it('shows a refusal and claims nothing', async () => {
    backend('lead', {
      flag_hard_case: () => {
        throw { code: 'not_your_team', message: 'Tổ trưởng chỉ được làm việc này cho tổ của mình, không phải tổ "t-02"' };
      },
    });
    const back = vi.fn();
    render(HardCase, { id: 'h-00001', onback: back });
    await fireEvent.click(await screen.findByTestId('hard-reason-elderly'));
    await fireEvent.click(screen.getByTestId('hard-save'));
    expect((await screen.findByTestId('hard-error')).textContent).toBe('Tổ trưởng chỉ được làm việc này cho tổ của mình, không phải tổ "t-02"');
    expect(back).not.toHaveBeenCalled();
    expect(toast.text).toBe('');
    expect((screen.getByTestId('hard-save') as HTMLButtonElement).disabled).toBe(false);
  });

  it('asks which mobile team when the ward has several, then sends it', async () => {
    const sent = backend('lead', {
      flag_hard_case: (a) => {
        if (!a.to_team) throw { code: 'choose_mobile_team', message: 'Phường có nhiều tổ lưu động (Tổ lưu động số 1 (t-08), Tổ lưu động số 2 (t-09)): hãy chọn một tổ (to_team)' };
        return { household: a.household, reasons: a.reasons.map((r) => mark(r)), routed_to: a.to_team, team: a.to_team };
      },
    });
    const back = vi.fn();
    render(HardCase, { id: 'h-00001', onback: back });
    await fireEvent.click(await screen.findByTestId('hard-reason-needs_interpreter'));
    await fireEvent.click(screen.getByTestId('hard-save'));
    const pick = (await screen.findByTestId('hard-team')) as HTMLSelectElement;
    expect(screen.getByTestId('hard-error').textContent).toBe('Phường có nhiều tổ lưu động: hãy chọn tổ nhận hộ này.');
    // Only the mobile teams are offered.
    expect([...pick.options].filter((o) => !o.disabled).map((o) => o.textContent)).toEqual(['Tổ lưu động số 1', 'Tổ lưu động số 2']);
    expect(toast.text).toBe('');
    // Saving again without a choice sends nothing.
    await fireEvent.click(screen.getByTestId('hard-save'));
    expect(sent.filter((s) => s.cmd === 'flag_hard_case')).toHaveLength(1);
    await fireEvent.change(pick, { target: { value: 't-09' } });
    await fireEvent.click(screen.getByTestId('hard-save'));
    await waitFor(() => expect(back).toHaveBeenCalled());
    expect(sent.filter((s) => s.cmd === 'flag_hard_case').map((s) => s.args)).toEqual([
      { household: 'h-00001', reasons: ['needs_interpreter'] },
      { household: 'h-00001', reasons: ['needs_interpreter'], to_team: 't-09' },
    ]);
    expect(toast.text).toBe('Đã chuyển cho Tổ lưu động số 2; sẽ gửi lên phường khi đồng bộ');
  });

  it("shows the reasons flagged so far and clears some, handing the household back to its street's team", async () => {
    const flagged: HardCaseRow = {
      household: row('h-00001', 'Nguyễn Văn Bằng', { team: 't-08' }),
      reasons: [mark('elderly', 'Cụ 88 tuổi'), mark('disabled')],
      team_name: 'Tổ lưu động số 1',
      mobile_team: true,
      done: false,
    };
    const sent = backend('office', {
      household_detail: () => ({ ...household(), row: { ...household().row, team: 't-08' } }),
      hard_cases: ({ team }) => (team === 't-08' ? [flagged] : []),
      unflag_hard_case: (a) => ({ household: a.household, cleared: a.reasons ?? [], remaining: ['disabled'], handed_back: a.hand_back ?? false }),
    });
    const back = vi.fn();
    render(HardCase, { id: 'h-00001', onback: back });
    const current = await screen.findByTestId('hard-current');
    expect(current.textContent).toContain('Đang chờ: Tổ lưu động số 1 (tổ lưu động)');
    expect(current.textContent).toContain('Người cao tuổi: Cụ 88 tuổi');
    expect(within(current).getAllByRole('button', { pressed: true }).map((b) => b.textContent?.trim())).toEqual(['Người cao tuổi', 'Khuyết tật']);
    await fireEvent.click(screen.getByTestId('hard-clear-disabled'));
    await fireEvent.click(screen.getByTestId('hard-hand-back'));
    await fireEvent.click(screen.getByTestId('hard-clear'));
    await waitFor(() => expect(back).toHaveBeenCalled());
    expect(sent.filter((s) => s.cmd === 'unflag_hard_case').map((s) => s.args)).toEqual([{ household: 'h-00001', reasons: ['elderly'], hand_back: true }]);
    expect(toast.text).toBe('Đã bỏ đánh dấu và trả hộ về tổ của tuyến phố');
  });

  it('is refused to a volunteer', async () => {
    const sent = backend('volunteer');
    render(HardCase, { id: 'h-00001', onback: () => {} });
    expect(await screen.findByText('Chỉ tổ trưởng và văn phòng phường dùng được trang này.')).toBeTruthy();
    expect(screen.queryByTestId('hard-save')).toBeNull();
    expect(sent.map((s) => s.cmd)).toEqual(['whoami']);
  });
});

describe('the team board', () => {
  it('lists the hard cases with their reasons, the team they wait with and whether done', async () => {
    backend('lead', {
      hard_cases: () => [
        { household: row('h-00007', 'Lê Thị Tư', { team: 't-08', house_no: '7' }), reasons: [mark('elderly'), mark('bedridden')], team_name: 'Tổ lưu động số 1', mobile_team: true, done: false },
        { household: row('h-00009', 'Vàng A Páo', { team: 't-01', house_no: '9' }), reasons: [mark('needs_interpreter')], team_name: 'Tổ công tác số 1', mobile_team: false, done: true },
      ],
    });
    render(Team, { team: null });
    const open = await screen.findByTestId('hard-case-h-00007');
    expect(open.textContent).toContain('7 Ngõ 12 Trúc Bạch');
    expect(open.textContent).toContain('Lê Thị Tư');
    expect([...open.querySelectorAll('.tag')].map((e) => e.textContent)).toEqual(['Người cao tuổi', 'Nằm liệt giường']);
    expect(open.textContent).toContain('Đang chờ: Tổ lưu động số 1 (tổ lưu động)');
    expect(open.querySelector('.state')?.textContent).toBe('Chưa xong');
    const done = screen.getByTestId('hard-case-h-00009');
    expect([...done.querySelectorAll('.tag')].map((e) => e.textContent)).toEqual(['Cần người phiên dịch tiếng dân tộc']);
    expect(done.querySelector('.state')?.textContent).toBe('Đã xong');
    expect(done.textContent).not.toContain('(tổ lưu động)');
    await fireEvent.click(open);
    expect(router.route).toEqual({ name: 'household', id: 'h-00007' });
  });

  it("shows the team's sessions sorted by date and time", async () => {
    const sent = backend('lead', {
      team_schedule: () => [
        session('ts-2', '2026-11-25', '19:00', '21:30', 'Sân nhà bà Lan'),
        session('ts-1', '2026-11-24', '18:00', '21:00', 'Nhà văn hoá tổ dân phố 3', 'Mang theo thẻ căn cước'),
      ],
    });
    render(Team, { team: null });
    const first = await screen.findByTestId('schedule-ts-1');
    expect(screen.getAllByTestId(/^schedule-ts-/).map((e) => e.dataset.testid)).toEqual(['schedule-ts-1', 'schedule-ts-2']);
    expect(first.textContent).toContain('T3 24/11, từ 18:00 đến 21:00');
    expect(first.textContent).toContain('Nhà văn hoá tổ dân phố 3');
    expect(first.textContent).toContain('Mang theo thẻ căn cước');
    expect(sent.find((s) => s.cmd === 'team_schedule')?.args).toEqual({ team: 't-01' });
  });

  it('adds a session with the chosen day, times, place and note; a validation refusal is shown', async () => {
    const sent = backend('lead', {
      set_team_schedule: (a) => {
        if (a.end <= a.start) throw { code: 'session_times', message: `Giờ kết thúc phải sau giờ bắt đầu (${a.start}–${a.end})` };
        return { ...a, id: 'ts-new', at: NOW, by: 'p-05' };
      },
    });
    render(Team, { team: null });
    await fireEvent.click(await screen.findByTestId('schedule-add'));
    const date = screen.getByTestId('schedule-date') as HTMLSelectElement;
    // The campaign's days from today on.
    expect([...date.options].map((o) => o.value)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26']);
    const start = screen.getByTestId('schedule-start') as HTMLSelectElement;
    expect([...start.options].map((o) => o.value).slice(0, 3)).toEqual(['06:00', '06:30', '07:00']);
    await fireEvent.change(date, { target: { value: '2026-11-25' } });
    await fireEvent.change(start, { target: { value: '19:00' } });
    await fireEvent.change(screen.getByTestId('schedule-end'), { target: { value: '18:30' } });
    await fireEvent.input(screen.getByTestId('schedule-place'), { target: { value: 'Nhà văn hoá tổ dân phố 3' } });
    await fireEvent.input(screen.getByTestId('schedule-note'), { target: { value: 'Mang theo điện thoại' } });
    await fireEvent.click(screen.getByTestId('schedule-save'));
    expect((await screen.findByTestId('schedule-error')).textContent).toBe('Giờ kết thúc phải sau giờ bắt đầu (19:00–18:30)');
    expect(screen.queryByTestId('schedule-ts-new')).toBeNull();
    expect(toast.text).toBe('');
    await fireEvent.change(screen.getByTestId('schedule-end'), { target: { value: '21:00' } });
    await fireEvent.click(screen.getByTestId('schedule-save'));
    const added = await screen.findByTestId('schedule-ts-new');
    expect(added.textContent).toContain('T4 25/11, từ 19:00 đến 21:00');
    expect(sent.filter((s) => s.cmd === 'set_team_schedule').map((s) => s.args)).toEqual([
      { team: 't-01', date: '2026-11-25', start: '19:00', end: '18:30', place: 'Nhà văn hoá tổ dân phố 3', note: 'Mang theo điện thoại' },
      { team: 't-01', date: '2026-11-25', start: '19:00', end: '21:00', place: 'Nhà văn hoá tổ dân phố 3', note: 'Mang theo điện thoại' },
    ]);
    expect(toast.text).toBe('Đã lưu lịch; sẽ gửi lên phường khi đồng bộ');
  });

  it('edits a session with its id and removes one', async () => {
    const sent = backend('lead', {
      team_schedule: () => [session('ts-1', '2026-11-24', '18:00', '21:00', 'Nhà văn hoá tổ dân phố 3'), session('ts-2', '2026-11-25', '19:00', '21:30', 'Sân nhà bà Lan')],
      set_team_schedule: (a) => ({ ...a, id: a.id ?? 'ts-x', at: NOW, by: 'p-05' }),
      remove_team_schedule: ({ id }) => ({ id, team: 't-01' }),
    });
    render(Team, { team: null });
    await fireEvent.click(await screen.findByTestId('schedule-edit-ts-1'));
    expect((screen.getByTestId('schedule-place') as HTMLInputElement).value).toBe('Nhà văn hoá tổ dân phố 3');
    await fireEvent.change(screen.getByTestId('schedule-start'), { target: { value: '18:30' } });
    await fireEvent.click(screen.getByTestId('schedule-save'));
    await waitFor(() => expect(screen.getByTestId('schedule-ts-1').textContent).toContain('từ 18:30 đến 21:00'));
    expect(sent.find((s) => s.cmd === 'set_team_schedule')?.args).toEqual({ id: 'ts-1', team: 't-01', date: '2026-11-24', start: '18:30', end: '21:00', place: 'Nhà văn hoá tổ dân phố 3' });
    await fireEvent.click(screen.getByTestId('schedule-remove-ts-2'));
    await waitFor(() => expect(screen.queryByTestId('schedule-ts-2')).toBeNull());
    expect(sent.filter((s) => s.cmd === 'remove_team_schedule').map((s) => s.args)).toEqual([{ id: 'ts-2' }]);
    expect(toast.text).toBe('Đã xoá buổi làm việc');
  });

  it('keeps a session whose removal was refused, and says why', async () => {
    backend('lead', {
      team_schedule: () => [session('ts-1', '2026-11-24', '18:00', '21:00', 'Nhà văn hoá tổ dân phố 3')],
      remove_team_schedule: () => {
        throw { code: 'not_found', message: 'Không tìm thấy buổi làm việc "ts-1"' };
      },
    });
    render(Team, { team: null });
    await fireEvent.click(await screen.findByTestId('schedule-remove-ts-1'));
    expect((await screen.findByTestId('schedule-remove-error')).textContent).toBe('Không tìm thấy buổi làm việc "ts-1"');
    expect(screen.getByTestId('schedule-ts-1')).toBeTruthy();
    expect(toast.text).toBe('');
  });

  it('shows a volunteer neither the hard cases nor the schedule editing', async () => {
    const sent = backend('volunteer');
    render(Team, { team: null });
    expect(await screen.findByText('Chỉ tổ trưởng và văn phòng phường dùng được trang này.')).toBeTruthy();
    expect(screen.queryByTestId('schedule-add')).toBeNull();
    expect(sent.some((s) => s.cmd === 'team_schedule' || s.cmd === 'hard_cases')).toBe(false);
  });
});

describe('planning helpers', () => {
  it('build the exact command arguments', () => {
    expect(flagArgs('h-1', ['disabled', 'elderly'], ' ', null)).toEqual({ household: 'h-1', reasons: ['elderly', 'disabled'] });
    expect(flagArgs('h-1', ['elderly'], 'x', 't-9')).toEqual({ household: 'h-1', reasons: ['elderly'], note: 'x', to_team: 't-9' });
    expect(unflagArgs('h-1', ['elderly', 'disabled'], ['disabled', 'elderly'], false)).toEqual({ household: 'h-1' });
    expect(unflagArgs('h-1', ['disabled'], ['elderly', 'disabled'], true)).toEqual({ household: 'h-1', reasons: ['disabled'], hand_back: true });
  });

  it('offer half-hour times and the campaign days from today on', () => {
    expect(halfHours(17 * 60, 19 * 60)).toEqual(['17:00', '17:30', '18:00', '18:30', '19:00']);
    expect(scheduleDays(DAYS, '2026-11-25')).toEqual(['2026-11-25', '2026-11-26']);
    expect(scheduleDays(DAYS, '2026-11-25', '2026-11-22')).toEqual(['2026-11-22', '2026-11-25', '2026-11-26']);
    expect(dayLabel('2026-11-23', ['CN', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7'])).toBe('T2 23/11');
  });

  it('give the hard-case form its own address', () => {
    expect(href({ name: 'hard', id: 'h-00001' })).toBe('#/h/h-00001/hard');
    expect(parseRoute('#/h/h-00001/hard')).toEqual({ name: 'hard', id: 'h-00001' });
  });
});

describe('the demo', () => {
  it('routes a flagged household to its mobile team and checks sessions', async () => {
    const demo = demoTransport(() => 'vi', 40, 'lead');
    setTransport(demo);
    const before = await demo.call('hard_cases', {});
    expect(before.ok && before.value.length).toBeGreaterThan(0);
    expect(before.ok && before.value.every((r) => r.team_name === 'Tổ lưu động phường' && r.mobile_team)).toBe(true);
    const h = await demo.call('list_households', { filter: { team: 't-01' } });
    const id = h.ok ? h.value[0]?.id ?? '' : '';
    const f = await demo.call('flag_hard_case', { household: id, reasons: ['elderly'], note: '' });
    expect(f.ok && [f.value.routed_to, f.value.reasons.map((m) => m.reason)]).toEqual(['t-03', ['elderly']]);
    const s = await demo.call('team_schedule', { team: 't-01' });
    expect(s.ok && s.value[0]?.place).toBe('Nhà văn hoá tổ dân phố 3');
    const bad = await demo.call('set_team_schedule', { team: 't-01', date: s.ok ? s.value[0]?.date ?? '' : '', start: '18:00', end: '18:00', place: 'Nhà văn hoá' });
    expect(!bad.ok && bad.error.code).toBe('session_times');
    const noPlace = await demo.call('set_team_schedule', { team: 't-01', date: s.ok ? s.value[0]?.date ?? '' : '', start: '18:00', end: '21:00', place: ' ' });
    expect(!noPlace.ok && noPlace.error.message).toBe('Buổi làm việc phải có địa điểm');
    render(Team, { team: null });
    expect(await screen.findByTestId('schedule-add')).toBeTruthy();
    expect((await screen.findAllByTestId(/^hard-case-/)).length).toBeGreaterThan(0);
  });
});
