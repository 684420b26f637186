// Team leads' screens: home offers the team board to leads only; the board shows each member of
// the team (from `list_teams`, so one given nothing yet shows at 0) against the campaign's quota
// with today's visits (nobody from other teams); and reassigning offers every team of the plan,
// even one with no households on the phone, and sends `assign_street` / `assign_household` with
// the chosen target, offline.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ProgressRow } from '../src/lib/bindings/ProgressRow';
import type { Role } from '../src/lib/bindings/Role';
import type { StreetRow } from '../src/lib/bindings/StreetRow';
import type { TeamRow } from '../src/lib/bindings/TeamRow';
import type { WhoAmI } from '../src/lib/bindings/WhoAmI';
import { targetGroups, teamMembers } from '../src/lib/team';
import { vi as viDict } from '../src/lib/i18n/vi';
import Home from '../src/screens/Home.svelte';
import Reassign from '../src/screens/Reassign.svelte';
import Team from '../src/screens/Team.svelte';
import { toast } from '../src/lib/toast.svelte';
import { setTransport } from '../src/lib/api';
import { demoTransport } from '../src/lib/demo';
import { NOW, type Handlers, household, mockBackend, row } from './fixtures';

const P = { households: 0, visited_households: 0, eligible: 0, cccd: 0, level2: 0, activated: 0, guided: 0 };

function vol(key: string, label: string, done: number, extra: Partial<typeof P> = {}): ProgressRow {
  return { key, label, progress: { ...P, ...extra }, target: null, quota: { done, quota: 20 } };
}

/** The plan's teams as `list_teams` gives them. Team 3 has no household or street on this phone;
 * Quân (team 1) is on no `progress` row and holds nothing. */
const TEAMS: TeamRow[] = [
  {
    id: 't-01',
    name: 'Tổ công tác số 1',
    lead: 'p-05',
    mobile: false,
    members: [
      { id: 'p-05', name: 'Trần Thu Hà', role: 'lead' },
      { id: 'p-06', name: 'Nguyễn Văn Long', role: 'volunteer' },
      { id: 'p-07', name: 'Lê Thị Mai', role: 'volunteer' },
      { id: 'p-11', name: 'Đinh Văn Quân', role: 'volunteer' },
    ],
  },
  { id: 't-02', name: 'Tổ công tác số 2', lead: null, mobile: false, members: [{ id: 'p-09', name: 'Phạm Đức Anh', role: 'volunteer' }] },
  { id: 't-03', name: 'Tổ công tác số 3', lead: 'p-12', mobile: false, members: [{ id: 'p-12', name: 'Bùi Thanh Trang', role: 'lead' }] },
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
    list_teams: () => TEAMS,
    progress: ({ by }) => (by === 'volunteer' ? VOLS : []),
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
    // Another team's volunteer is not listed.
    expect(screen.queryByTestId('team-volunteer-p-09')).toBeNull();
    expect(screen.queryByTestId('team-volunteer-p-12')).toBeNull();
    // The members in the roster's order; the lead is marked.
    expect(screen.getAllByTestId(/^team-volunteer-/).map((e) => e.dataset.testid)).toEqual([
      'team-volunteer-p-05',
      'team-volunteer-p-06',
      'team-volunteer-p-07',
      'team-volunteer-p-11',
    ]);
    expect(within(ha).getByText('Tổ trưởng')).toBeTruthy();
    expect(within(long).queryByText('Tổ trưởng')).toBeNull();
    expect(screen.getByTestId('team-today').textContent).toContain('Hôm nay tổ đã đến 1 hộ');
    expect(screen.getByTestId('team-today').textContent).toContain('Toàn phường hôm nay: 57 lượt thăm, 41 hộ');
    // The team's streets, each with its reassign button; not another team's.
    expect(screen.getByTestId('reassign-street-s-002')).toBeTruthy();
    expect(screen.queryByTestId('reassign-street-s-004')).toBeNull();
    expect(screen.getByText('Giao cho: Nguyễn Văn Long')).toBeTruthy();
  });

  it('shows a member given nothing yet, at 0 of the quota', async () => {
    backend('lead');
    render(Team, { team: null });
    // Mai holds none of the team's households; Quân is on no `progress` row at all.
    const mai = await screen.findByTestId('team-volunteer-p-07');
    expect(mai.textContent).toContain('Lê Thị Mai');
    expect(mai.textContent).toContain('Chỉ tiêu 1×20: 0/20 người');
    expect(mai.textContent).toContain('Hôm nay chưa đến hộ nào');
    const quan = screen.getByTestId('team-volunteer-p-11');
    expect(quan.textContent).toContain('Đinh Văn Quân');
    expect(quan.textContent).toContain('Chỉ tiêu 1×20: 0/20 người');
    expect(within(quan).getByRole('progressbar', { name: 'Chỉ tiêu 1×20: 0/20 người' }).getAttribute('aria-valuenow')).toBe('0');
    expect(quan.textContent).toContain('Đã đến 0/0 hộ');
  });

  it('lets the ward office pick any team of the plan', async () => {
    backend('office');
    render(Team, { team: 't-03' });
    const pick = (await screen.findByTestId('team-select')) as HTMLSelectElement;
    expect([...pick.options].map((o) => o.textContent)).toEqual(['Tổ công tác số 1', 'Tổ công tác số 2', 'Tổ công tác số 3']);
    expect(pick.value).toBe('t-03');
    expect(screen.getByTestId('team-volunteer-p-12').textContent).toContain('Bùi Thanh Trang');
    expect(screen.queryByTestId('team-volunteer-p-05')).toBeNull();
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

  it('gives a street to a team with no households on this phone', async () => {
    const sent = backend('lead', { assign_street: (a) => ({ kind: 'street', id: a.street, team: a.team, volunteer: a.volunteer ?? null }) });
    const back = vi.fn();
    render(Reassign, { street: 's-001', household: null, onback: back });
    const target = (await screen.findByTestId('reassign-target')) as HTMLSelectElement;
    // As the end-to-end test picks it: the first option of the team's optgroup.
    const whole = target.querySelector('optgroup[label="Tổ công tác số 3"] option:first-child') as HTMLOptionElement;
    expect(whole.textContent).toBe('Tổ công tác số 3 (cả tổ)');
    expect(whole.disabled).toBe(false);
    await fireEvent.change(target, { target: { value: whole.value } });
    await fireEvent.click(screen.getByTestId('reassign-save'));
    await waitFor(() => expect(back).toHaveBeenCalled());
    expect(sent.filter((s) => s.cmd === 'assign_street').map((s) => s.args)).toEqual([{ street: 's-001', team: 't-03', volunteer: null }]);
    // The roster comes from `list_teams`, not from who holds what on this phone.
    expect(sent.some((s) => s.cmd === 'list_teams')).toBe(true);
    expect(sent.some((s) => s.cmd === 'progress')).toBe(false);
  });

  it("offers each team as an optgroup: the whole team first, then its members; the lead's team first", async () => {
    backend('lead');
    render(Reassign, { street: 's-004', household: null, onback: () => {} });
    const target = (await screen.findByTestId('reassign-target')) as HTMLSelectElement;
    const groups = [...target.querySelectorAll('optgroup')];
    expect(groups.map((g) => g.label)).toEqual(['Tổ công tác số 1', 'Tổ công tác số 2', 'Tổ công tác số 3']);
    expect(groups.map((g) => [...g.querySelectorAll('option')].map((o) => o.textContent))).toEqual([
      ['Tổ công tác số 1 (cả tổ)', 'Trần Thu Hà', 'Nguyễn Văn Long', 'Lê Thị Mai', 'Đinh Văn Quân'],
      ['Tổ công tác số 2 (cả tổ)', 'Phạm Đức Anh'],
      ['Tổ công tác số 3 (cả tổ)', 'Bùi Thanh Trang'],
    ]);
    // s-004 is with Anh of team 2: only that choice is disabled.
    expect(screen.getByTestId('reassign-current').textContent).toBe('Đang giao cho: Phạm Đức Anh');
    expect([...target.querySelectorAll('optgroup option')].filter((o) => (o as HTMLOptionElement).disabled).map((o) => o.textContent)).toEqual(['Phạm Đức Anh']);
  });

  it('names a street held by a whole team from the roster', async () => {
    backend('lead', { list_streets: () => [street('s-009', 'Ngõ 3 Hàng Bún', 't-03', null)] });
    render(Reassign, { street: 's-009', household: null, onback: () => {} });
    expect((await screen.findByTestId('reassign-current')).textContent).toBe('Đang giao cho: Tổ công tác số 3 (cả tổ)');
    expect((screen.getByRole('option', { name: 'Tổ công tác số 3 (cả tổ)' }) as HTMLOptionElement).disabled).toBe(true);
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
    const lines = teamMembers(TEAMS[0], VOLS, [row('h-1', 'A', { volunteer: 'p-05', last_visit: yesterday }), row('h-2', 'B', { volunteer: 'p-05', last_visit: today })], NOW);
    expect(lines.map((l) => [l.member.id, l.households, l.today])).toEqual([
      ['p-05', 2, 1],
      ['p-06', 0, 0],
      ['p-07', 0, 0],
      ['p-11', 0, 0],
    ]);
  });

  it('match progress by volunteer id, zeros with the quota for a member with no row', () => {
    const lines = teamMembers(TEAMS[0], [...VOLS].reverse(), [], NOW);
    expect(lines.map((l) => [l.member.id, l.row.key, l.row.quota])).toEqual([
      ['p-05', 'p-05', { done: 12, quota: 20 }],
      ['p-06', 'p-06', { done: 3, quota: 20 }],
      ['p-07', 'p-07', { done: 0, quota: 20 }],
      ['p-11', 'p-11', { done: 0, quota: 20 }],
    ]);
    expect(lines[3]?.row.progress.households).toBe(0);
    // No campaign quota known: none invented.
    expect(teamMembers(TEAMS[0], [], [], NOW)[0]?.row.quota).toBeNull();
    expect(teamMembers(undefined, VOLS, [], NOW)).toEqual([]);
  });

  it('offer every team, the preferred one first and the rest in the order given', () => {
    const groups = targetGroups(TEAMS, viDict.reassign, 't-02');
    expect(groups.map((g) => g.id)).toEqual(['t-02', 't-01', 't-03']);
    expect(groups[0]?.targets).toEqual([
      { team: 't-02', volunteer: null, label: 'Tổ công tác số 2 (cả tổ)' },
      { team: 't-02', volunteer: 'p-09', label: 'Phạm Đức Anh' },
    ]);
    expect(groups[1]?.targets.map((x) => x.volunteer)).toEqual([null, 'p-05', 'p-06', 'p-07', 'p-11']);
    expect(targetGroups(TEAMS, viDict.reassign, null).map((g) => g.id)).toEqual(['t-01', 't-02', 't-03']);
  });
});

describe('the demo', () => {
  it('lists its teams (the mobile team last), a member holding nothing at 0, and offers the other team', async () => {
    const demo = demoTransport(() => 'vi', 40, 'lead');
    setTransport(demo);
    const teams = await demo.call('list_teams', null);
    expect(teams.ok && teams.value.map((x) => [x.id, x.lead, x.members.map((m) => m.id)])).toEqual([
      ['t-01', 'p-05', ['p-05', 'p-06', 'p-07', 'p-09']],
      ['t-02', 'p-08', ['p-08', 'p-10']],
      ['t-03', 'p-11', ['p-11', 'p-12']],
    ]);
    render(Team, { team: null });
    const khanh = await screen.findByTestId('team-volunteer-p-09');
    expect(khanh.textContent).toContain('Hoàng Minh Khánh');
    expect(khanh.textContent).toContain('Chỉ tiêu 1×20: 0/20 người');
    cleanup();
    render(Reassign, { street: 's-001', household: null, onback: () => {} });
    const target = (await screen.findByTestId('reassign-target')) as HTMLSelectElement;
    expect(target.querySelector('optgroup[label="Tổ công tác số 2"] option:first-child')?.textContent).toBe('Tổ công tác số 2 (cả tổ)');
    expect([...target.querySelectorAll('optgroup[label="Tổ công tác số 2"] option')].map((o) => o.textContent)).toEqual([
      'Tổ công tác số 2 (cả tổ)',
      'Phạm Đức Anh',
      'Ngô Thị Yến',
    ]);
  });
});
