// The households list as a volunteer uses it: the filters (not visited, revisit due today,
// hard cases), search as you type without accents (locally, and other residents' names through
// the server's search), easy-first order kept, and only the rows in view rendered.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { HouseholdRow } from '../src/lib/bindings/HouseholdRow';
import type { ResidentHit } from '../src/lib/bindings/ResidentHit';
import Households from '../src/screens/Households.svelte';
import { NOW, mockBackend, row } from './fixtures';

const ROWS: HouseholdRow[] = [
  row('h-00001', 'Nguyễn Văn Bằng', { n_visits: 0, last_visit: null }),
  row('h-00002', 'Đặng Thị Hoa', { n_visits: 2 }),
  row('h-00003', 'Trần Quang Long', { n_visits: 1, revisit_at: NOW + 3600 }),
  row('h-00004', 'Lê Thị Mai', { n_visits: 1, blockers: ['no_smartphone'] }),
  row('h-00005', 'Phạm Minh Tuấn', { n_visits: 0, last_visit: null, revisit_at: NOW - 3 * 86400 }),
  row('h-00006', 'Hoàng Văn Nam', { n_visits: 3, n_open: 0, n_activated: 3, blockers: ['away'] }),
];

function listed(): string[] {
  const list = screen.queryByRole('list', { name: 'Danh sách hộ' });
  if (!list) return [];
  return within(list)
    .queryAllByRole('listitem')
    .map((li) => (li.querySelector('.head')?.textContent ?? '').replace(/\s+/g, ' ').trim());
}

async function setup(rows: HouseholdRow[] = ROWS, search: (q: string) => ResidentHit[] = () => []) {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW * 1000 });
  const sent = mockBackend({
    whoami: () => ({ identity: { volunteer: 'p-05', team: 't-01', role: 'volunteer' }, volunteer_name: 'Trần Thu Hà', team_name: 'Tổ 1', ward: null, campaign: null }),
    list_households: () => rows,
    search: (a) => search(a.query),
  });
  render(Households, { street: null });
  await screen.findByText(rows[0]?.head ?? '');
  return sent;
}

describe('households list', () => {
  it("lists the team's households in the order the replica gave", async () => {
    const sent = await setup();
    expect(listed()).toEqual(ROWS.map((r) => r.head));
    expect(sent.find((s) => s.cmd === 'list_households')?.args).toEqual({ filter: { team: 't-01' } });
    expect(screen.getByText('6 hộ')).toBeTruthy();
  });

  it('filters: not visited, revisit due today, hard cases', async () => {
    await setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Chưa đến (2)' }));
    expect(listed()).toEqual(['Nguyễn Văn Bằng', 'Phạm Minh Tuấn']);
    await fireEvent.click(screen.getByRole('button', { name: 'Hẹn hôm nay (1)' }));
    expect(listed()).toEqual(['Trần Quang Long']);
    // A blocker with nothing left to do is not a hard case.
    await fireEvent.click(screen.getByRole('button', { name: 'Khó (1)' }));
    expect(listed()).toEqual(['Lê Thị Mai']);
    await fireEvent.click(screen.getByRole('button', { name: 'Tất cả (6)' }));
    expect(listed()).toHaveLength(6);
  });

  it('searches as you type, ignoring diacritics, within the filter', async () => {
    await setup();
    const search = screen.getByLabelText('Tìm theo tên hoặc số nhà');
    await fireEvent.input(search, { target: { value: 'dang' } });
    expect(listed()).toEqual(['Đặng Thị Hoa']);
    await fireEvent.input(search, { target: { value: 'nguyen van bang' } });
    expect(listed()).toEqual(['Nguyễn Văn Bằng']);
    await fireEvent.click(screen.getByRole('button', { name: 'Khó (1)' }));
    expect(listed()).toEqual([]);
    expect(screen.getByText('Không có hộ nào khớp.')).toBeTruthy();
  });

  it("finds a household by another resident's name through the server's search", async () => {
    // Lê Thị Mai's household has a resident named Đặng Văn Nam: only the replica's index knows.
    const hit: ResidentHit = { id: 'r-4-2', household_id: 'h-00004', full_name: 'Đặng Văn Nam', birth_year: 1990, address: '', stage: 0 };
    const sent = await setup(ROWS, (q) => (q === 'dang' ? [hit] : []));
    await fireEvent.input(screen.getByLabelText('Tìm theo tên hoặc số nhà'), { target: { value: 'dang' } });
    await waitFor(() => expect(listed()).toEqual(['Đặng Thị Hoa', 'Lê Thị Mai · có Đặng Văn Nam']));
    expect(sent.at(-1)).toEqual({ cmd: 'search', args: { query: 'dang', limit: 500 }, lang: 'vi' });
  });

  it('renders only the rows in view of a 1,000-household list', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => row(`h-${String(i + 1).padStart(5, '0')}`, `Chủ hộ số ${i + 1}`));
    await setup(many);
    expect(screen.getByText('1.000 hộ')).toBeTruthy();
    const rendered = listed().length;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(40);
  });
});
