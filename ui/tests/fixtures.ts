// Test data and a mocked Tauri backend: `mockBackend` answers `dispatch` per command through
// `mockIPC` and records every payload, so tests check what the UI sent.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { Funnel } from '../src/lib/bindings/Funnel';
import type { HouseholdRow } from '../src/lib/bindings/HouseholdRow';
import type { HouseholdView } from '../src/lib/bindings/HouseholdView';
import type { ResidentRow } from '../src/lib/bindings/ResidentRow';
import type { WhoAmI } from '../src/lib/bindings/WhoAmI';
import type { Args, CommandName, PairInfo, Reply, SyncStatus } from '../src/lib/transport';
import { fromVn } from '../src/lib/time';

/** Monday 23 November 2026, 20:00 in Hà Nội: inside the urban visiting window. */
export const NOW = fromVn(2026, 11, 23, 20, 0);

export const NONE: Funnel = { cccd: 'none', level2_collected: false, activation: 'none', guided: false };

export function resident(id: string, full_name: string, funnel: Partial<Funnel> = {}, birth_year = 1980): ResidentRow {
  return {
    id,
    full_name,
    birth_year,
    gender: null,
    cccd_number: '',
    phone: '',
    funnel: { ...NONE, ...funnel },
    stage: 0,
    eligible: true,
    blockers: [],
  };
}

export function row(id: string, head: string, extra: Partial<HouseholdRow> = {}): HouseholdRow {
  return {
    id,
    street: 's-001',
    street_name: 'Ngõ 12 Trúc Bạch',
    group: 'g-01',
    group_name: 'Tổ dân phố 3',
    kind: 'home',
    house_no: id.replace(/^h-0*/, ''),
    address: `Số ${id.replace(/^h-0*/, '')} Ngõ 12 Trúc Bạch, Phường Trúc Bạch`,
    head,
    n_residents: 3,
    n_eligible: 3,
    n_open: 2,
    n_activated: 1,
    blockers: [],
    n_visits: 1,
    last_visit: NOW - 86400,
    revisit_at: null,
    team: 't-01',
    volunteer: 'p-05',
    ...extra,
  };
}

/** The canonical visit's household: four residents, urban. */
export function household(): HouseholdView {
  return {
    row: row('h-00001', 'Nguyễn Văn Bằng', { n_residents: 4, n_eligible: 4, n_open: 4, n_activated: 0, n_visits: 0, last_visit: null }),
    residents: [
      resident('r-1', 'Nguyễn Văn Bằng', { cccd: 'has' }, 1962),
      resident('r-2', 'Trần Thị Lan', { cccd: 'has', level2_collected: true }, 1965),
      resident('r-3', 'Nguyễn Đức Anh', { cccd: 'has' }, 1990),
      resident('r-4', 'Nguyễn Thu Hà', {}, 1994),
    ],
    visits: [],
    corrections: [],
    area: 'urban',
    window: { start: '18:00', end: '21:30' },
  };
}

export interface Sent {
  cmd: string;
  args: unknown;
  lang: string;
}

export type Handlers = { [C in CommandName]?: (args: Args<C>) => Reply<C> | Promise<Reply<C>> };

/** A status as a shell sends it; `paired` and `progress` may be left out (an older shell), and
 * the transport fills them in. */
export type ShellStatus = Omit<SyncStatus, 'paired' | 'progress' | 'pin_set' | 'locked'> &
  Partial<Pick<SyncStatus, 'paired' | 'progress' | 'pin_set' | 'locked'>>;

/** Mocks the Tauri shell; returns the list of `dispatch` payloads it received. */
export function mockBackend(handlers: Handlers, sync: { status?: ShellStatus; sync?: () => ShellStatus | Promise<ShellStatus> } = {}): Sent[] {
  const sent: Sent[] = [];
  const idle: ShellStatus = { state: 'done', last_sync: NOW - 3600, pending: 0, error: null };
  mockIPC(async (cmd, payload) => {
    if (cmd === 'dispatch') {
      const p = payload as unknown as Sent;
      sent.push(p);
      const h = handlers[p.cmd as CommandName] as ((a: unknown) => unknown) | undefined;
      if (!h) throw { code: 'not_mocked', message: p.cmd };
      return h(p.args);
    }
    if (cmd === 'sync_status') return sync.status ?? idle;
    if (cmd === 'sync') return sync.sync ? sync.sync() : idle;
    throw { code: 'unknown_shell_command', message: cmd };
  });
  return sent;
}

// ---------------------------------------------------------------------------------------------
// Pairing: a Tauri shell that starts unpaired and whose `pair` answers with `pair`.

export const INFO: PairInfo = {
  hub_urls: ['http://10.0.0.2:8470'],
  fingerprint: 'ab:cd',
  device_id: 'd-1',
  role: 'volunteer',
  team: 't-01',
  volunteer: 'p-05',
  ward: 'Phường Trúc Bạch',
};
export const WHO: WhoAmI = {
  identity: { volunteer: 'p-05', team: 't-01', role: 'volunteer' },
  volunteer_name: 'Trần Thu Hà',
  team_name: 'Tổ công tác số 1',
  ward: 'Phường Trúc Bạch',
  campaign: null,
};

export interface Shell {
  calls: { cmd: string; payload: Record<string, unknown> }[];
  paired: boolean;
}

/** A Tauri shell whose `pair` answers with `pair` (a refusal when it throws). */
export function pairShell(pair: (payload: string) => PairInfo, paired = false): Shell {
  const s: Shell = { calls: [], paired };
  const status = (): SyncStatus => ({
    state: s.paired ? 'done' : 'idle',
    last_sync: s.paired ? NOW : null,
    pending: 0,
    error: null,
    paired: s.paired,
    progress: null,
    pin_set: true,
    locked: false,
  });
  mockIPC((cmd, payload) => {
    const p = (payload ?? {}) as Record<string, unknown>;
    s.calls.push({ cmd, payload: p });
    if (cmd === 'sync_status') return status();
    if (cmd === 'sync') return status();
    if (cmd === 'pair') {
      const info = pair(String(p.payload));
      s.paired = true;
      return info;
    }
    if (cmd === 'dispatch' && p.cmd === 'whoami') return WHO;
    if (cmd === 'dispatch' && p.cmd === 'list_streets') return [];
    throw { code: 'not_mocked', message: `${cmd} ${String(p.cmd ?? '')}` };
  });
  return s;
}
