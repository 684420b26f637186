// Team leads' screens: home offers the team board to leads only; the board shows each volunteer
// of the team against the campaign's quota with today's visits (nobody from other teams); and
// reassigning sends `assign_street` / `assign_household` with the chosen target, offline.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ProgressRow } from '../src/lib/bindings/ProgressRow';
import type { Role } from '../src/lib/bindings/Role';
import type { StreetRow } from '../src/lib/bindings/StreetRow';
import type { WhoAmI } from '../src/lib/bindings/WhoAmI';
import { targetGroups, teamMembers } from '../src/lib/team';
import { vi as viDict } from '../src/lib/i18n/vi';
import Home from '../src/screens/Home.svelte';
import Reassign from '../src/screens/Reassign.svelte';
import Team from '../src/screens/Team.svelte';
import { toast } from '../src/lib/toast.svelte';
import { NOW, type Handlers, household, mockBackend, row } from './fixtures';

const P = { households: 0, visited_households: 0, eligible: 0, cccd: 0, level2: 0, activated: 0, guided: 0 };

function vol(key: string, label: string, done: number, extra: Partial<typeof P> = {}): ProgressRow {
  return { key, label, progress: { ...P, ...extra }, target: null, quota: { done, quota: 20 } };
}

const TEAMS: ProgressRow[] = [
  { key: 't-01', label: 'Tổ công tác số 1', progress: P, target: null, quota: null },
  { key: 't-02', label: 'Tổ công tác số 2', progress: P, target: null, quota: null },
  { key: '', label: '', progress: P, target: null, quota: null },
];
const VOLS: ProgressRow[] = [
  vol('p-05', 'Trần Thu Hà', 12, { households: 40, visited_households: 30, eligible: 100, activated: 45 }),
  vol('p-06', 'Nguyễn Văn Long', 3, { households: 20, visited_households: 5, eligible: 50, activated: 10 }),
  vol('p-07', 'Lê Thị Mai', 0),
  vol('p-09', 'Phạm Đức Anh', 18, { households: 30 }),
];

function street(id: string, name: string, team: string | null, volunteer: string | null): StreetRow {
  return { id, name, group: 'g-01', group_name: 'Tổ dân phố 3', team, volunteer, households: 10, progress: { ...P, households: 10, visited_households: 4 } };
}

const STREETS: StreetRow[] = [
  street('s-001', 'Ngõ 12 Trúc Bạch', 't-01', 'p-05'),
  street('s-002', 'Phố Châu Long', 't-01', 'p-06'),
  street('s-003', 'Ngõ 5 Nguyễn Khắc Hiếu', 't-01', 'p-07'),
  street('s-004', 'Ngách 5/18 Nguyễn Khắc Hiếu', 't-02', 'p-09'),
];

function who(role: Role): WhoAmI {
  return { identity: { volunteer: 'p-05', team: 't-01', role }, volunteer_name: 'Trần Thu Hà', team_name: 'Tổ công tác số 1', ward: 'Phường Trúc Bạch', campaign: 'Chiến dịch 90 ngày đêm' };
}

function backend(role: Role, extra: Handlers = {}) {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW * 1000 });
  return mockBackend({
    whoami: () => who(role),
    progress: ({ by }) => (by === 'team' ? TEAMS : VOLS),
    daily_progress: () => [{ day: '2026-11-23', visits: 57, households_visited: 41, new_level2: 3, new_activations: 9, cumulative_activated: 900 }],
    list_households: ({ filter }) =>
      filter.team === 't-01'
        ? [
            // p-05 visited one household today (19:00) and one yesterday; p-06 none today.
            row('h-00001', 'Nguyễn Văn Bằng', { volunteer: 'p-05', last_visit: NOW - 3600 }),
            row('h-00002', 'Lê Văn Tám', { volunteer: 'p-05', last_visit: NOW - 86400 }),
            row('h-00003', 'Đỗ Thị Hoa', { volunteer: 'p-06', last_visit: null }),
            row('h-00004', 'Vũ Văn Hải', { volunteer: null, last_visit: null }),
          ]
        : [],
    list_streets: ({ team }) => STREETS.filter((s) => !team || s.team === team),
    ...extra,
  });
}

describe('home', () => {
  it('offers the team board to a team lead', async () => {
    backend('lead');
    render(Home);
    expect(await screen.findByTestId('nav-team')).toBeTruthy();
  });

  it('does not offer it to a volunteer', async () => {
    backend('volunteer');
    render(Home);
    expect(await screen.findByText('Chào Trần Thu Hà')).toBeTruthy();
    expect(screen.queryByTestId('nav-team')).toBeNull();
  });
});

describe('team board', () => {
  it("shows each of the team's volunteers against the quota, with today's visits", async () => {
    backend('lead');
    render(Team, { team: null });
    const ha = await screen.findByTestId('team-volunteer-p-05');
    expect(ha.textContent).toContain('Trần Thu Hà');
    expect(ha.textContent).toContain('Chỉ tiêu 1×20: 12/20 người');
    expect(within(ha).getByRole('progressbar', { name: 'Chỉ tiêu 1×20: 12/20 người' }).getAttribute('aria-valuenow')).toBe('12');
    expect(ha.textContent).toContain('60%');
    expect(ha.textContent).toContain('Hôm nay đã đến 1 hộ');
    expect(ha.textContent).toContain('Đã đến 30/40 hộ');
    const long = screen.getByTestId('team-volunteer-p-06');
    expect(long.textContent).toContain('Chỉ tiêu 1×20: 3/20 người');
    expect(long.textContent).toContain('Hôm nay chưa đến hộ nào');
    // Another team's volunteer, and one holding none of the team's households, are not listed.
    expect(screen.queryByTestId('team-volunteer-p-09')).toBeNull();
    expect(screen.queryByTestId('team-volunteer-p-07')).toBeNull();
    expect(screen.getByTestId('team-today').textContent).toContain('Hôm nay tổ đã đến 1 hộ');
    expect(screen.getByTestId('team-today').textContent).toContain('Toàn phường hôm nay: 57 lượt thăm, 41 hộ');
    // The team's streets, each with its reassign button; not another team's.
    expect(screen.getByTestId('reassign-street-s-002')).toBeTruthy();
    expect(screen.queryByTestId('reassign-street-s-004')).toBeNull();
    expect(screen.getByText('Giao cho: Nguyễn Văn Long')).toBeTruthy();
  });

  it('is refused to a volunteer', async () => {
    const sent = backend('volunteer');
    render(Team, { team: null });
    expect(await screen.findByText('Chỉ tổ trưởng và văn phòng phường dùng được trang này.')).toBeTruthy();
    expect(sent.map((s) => s.cmd)).toEqual(['whoami']);
  });
});

describe('reassigning', () => {
  it("gives a street to the chosen volunteer with the volunteer's team", async () => {
    const sent = backend('lead', { assign_street: (a) => ({ kind: 'street', id: a.street, team: a.team, volunteer: a.volunteer ?? null }) });
    const back = vi.fn();
    render(Reassign, { street: 's-002', household: null, onback: back });
    const target = (await screen.findByTestId('reassign-target')) as HTMLSelectElement;
    expect(screen.getByTestId('reassign-current').textContent).toBe('Đang giao cho: Nguyễn Văn Long');
    expect((screen.getByTestId('reassign-street') as HTMLSelectElement).value).toBe('s-002');
    // The current holder cannot be picked again.
    expect((screen.getByRole('option', { name: 'Nguyễn Văn Long' }) as HTMLOptionElement).disabled).toBe(true);
    const mai = screen.getByRole('option', { name: 'Lê Thị Mai' }) as HTMLOptionElement;
    await fireEvent.change(target, { target: { value: mai.value } });
    await fireEvent.click(screen.getByTestId('reassign-save'));
    await waitFor(() => expect(back).toHaveBeenCalled());
    expect(sent.filter((s) => s.cmd === 'assign_street').map((s) => s.args)).toEqual([{ street: 's-002', team: 't-01', volunteer: 'p-07' }]);
    expect(toast.text).toBe('Đã giao lại; sẽ gửi lên phường khi đồng bộ');
  });

  it('gives a street to another whole team', async () => {
    const sent = backend('lead', { assign_street: (a) => ({ kind: 'street', id: a.street, team: a.team, volunteer: null }) });
    render(Reassign, { street: 's-001', household: null, onback: () => {} });
    const target = await screen.findByTestId('reassign-target');
    const other = screen.getByRole('option', { name: 'Tổ công tác số 2 (cả tổ)' }) as HTMLOptionElement;
    await fireEvent.change(target, { target: { value: other.value } });
    await fireEvent.click(screen.getByTestId('reassign-save'));
    await waitFor(() => expect(sent.some((s) => s.cmd === 'assign_street')).toBe(true));
    expect(sent.find((s) => s.cmd === 'assign_street')?.args).toEqual({ street: 's-001', team: 't-02', volunteer: null });
  });

  it('asks for a target before saving, and shows a refusal', async () => {
    const sent = backend('lead', {
      assign_street: () => {
        throw { code: 'forbidden', message: 'Chỉ tổ trưởng và văn phòng phường được đổi kế hoạch' };
      },
    });
    render(Reassign, { street: 's-001', household: null, onback: () => {} });
    await fireEvent.click(await screen.findByTestId('reassign-save'));
    expect((await screen.findByTestId('reassign-error')).textContent).toBe('Hãy chọn tổ hoặc người nhận.');
    expect(sent.some((s) => s.cmd === 'assign_street')).toBe(false);
    const mai = screen.getByRole('option', { name: 'Lê Thị Mai' }) as HTMLOptionElement;
    await fireEvent.change(screen.getByTestId('reassign-target'), { target: { value: mai.value } });
    await fireEvent.click(screen.getByTestId('reassign-save'));
    await waitFor(() => expect(screen.getByTestId('reassign-error').textContent).toBe('Chỉ tổ trưởng và văn phòng phường được đổi kế hoạch'));
  });

  it('gives one household to a volunteer, or back to its street', async () => {
    const sent = backend('lead', {
      household_detail: () => household(),
      assign_household: (a) => ({ kind: 'household', id: a.household, team: a.team ?? null, volunteer: a.volunteer ?? null }),
    });
    render(Reassign, { street: null, household: 'h-00001', onback: () => {} });
    const target = await screen.findByTestId('reassign-target');
    const long = screen.getByRole('option', { name: 'Nguyễn Văn Long' }) as HTMLOptionElement;
    await fireEvent.change(target, { target: { value: long.value } });
    await fireEvent.click(screen.getByTestId('reassign-save'));
    await fireEvent.change(target, { target: { value: 'street' } });
    await fireEvent.click(screen.getByTestId('reassign-save'));
    await waitFor(() => expect(sent.filter((s) => s.cmd === 'assign_household')).toHaveLength(2));
    expect(sent.filter((s) => s.cmd === 'assign_household').map((s) => s.args)).toEqual([
      { household: 'h-00001', team: 't-01', volunteer: 'p-06' },
      { household: 'h-00001' },
    ]);
  });
});

describe('team figures', () => {
  it('count today from Vietnam midnight', () => {
    // 23:30 on the 22nd in Hà Nội is yesterday, 00:10 on the 23rd is today.
    const yesterday = NOW - 20 * 3600 - 30 * 60;
    const today = NOW - 19 * 3600 - 50 * 60;
    const lines = teamMembers(VOLS, [row('h-1', 'A', { volunteer: 'p-05', last_visit: yesterday }), row('h-2', 'B', { volunteer: 'p-05', last_visit: today })], NOW);
    expect(lines.map((l) => [l.row.key, l.households, l.today])).toEqual([['p-05', 2, 1]]);
  });

  it('offer volunteers of no known team under the lead\'s team', () => {
    const groups = targetGroups(TEAMS, [...VOLS, vol('p-10', 'Ngô Thị Yến', 0)], STREETS, viDict.reassign, 't-01', 't-01');
    expect(groups.map((g) => g.label)).toEqual(['Tổ công tác số 1', 'Tổ công tác số 2', 'Tình nguyện viên chưa rõ tổ']);
    expect(groups[0]?.targets.map((x) => x.volunteer)).toEqual([null, 'p-05', 'p-06', 'p-07']);
    expect(groups[2]?.targets).toEqual([{ team: 't-01', volunteer: 'p-10', label: 'Ngô Thị Yến' }]);
  });
});
