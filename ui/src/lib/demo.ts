// A demo transport: a small made-up ward held in memory, for trying the screens in a browser
// without a phone or a hub (`#demo` in the address, loaded only then) and for screenshots. It
// follows the command table's rules where the screens depend on them (visiting windows, funnel
// only moving up); anything else answers `not_in_demo`. It is paired (pairing accepts any code),
// syncs with made-up progress, with `?demo&lead` acts as a team lead (the team board, with two
// teams from `list_teams`, one member of each holding nothing yet), and with
// `?demo&unpaired` starts unpaired to show the pairing screen.
import type { Activation } from './bindings/Activation';
import type { Blocker } from './bindings/Blocker';
import type { CccdStatus } from './bindings/CccdStatus';
import type { Funnel } from './bindings/Funnel';
import type { HouseholdRow } from './bindings/HouseholdRow';
import type { HouseholdView } from './bindings/HouseholdView';
import type { Progress } from './bindings/Progress';
import type { ProgressRow } from './bindings/ProgressRow';
import type { Role } from './bindings/Role';
import type { ResidentHit } from './bindings/ResidentHit';
import type { ResidentRow } from './bindings/ResidentRow';
import type { StreetRow } from './bindings/StreetRow';
import type { TeamRow } from './bindings/TeamRow';
import type { Visit } from './bindings/Visit';
import { fold } from './fold';
import { dictFor } from './i18n/index.svelte';
import { type LangSource, type PairInfo, type Result, type SyncStatus, type Transport, fail, ok } from './transport';
import { now, parseHm, vnMidnight, vnParts } from './time';
import { vnDate } from './team';

const SURNAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE_M = ['Văn', 'Đức', 'Quang', 'Minh', 'Hữu', 'Công'];
const MIDDLE_F = ['Thị', 'Thu', 'Ngọc', 'Thanh', 'Phương', 'Minh'];
const GIVEN_M = ['Bằng', 'Hùng', 'Dũng', 'Tuấn', 'Long', 'Nam', 'Sơn', 'Thắng', 'Đạt', 'Khánh'];
const GIVEN_F = ['Hà', 'Lan', 'Hương', 'Mai', 'Linh', 'Trang', 'Ngân', 'Yến', 'Thảo', 'Ánh'];
const STREETS = [
  ['s-001', 'Ngõ 12 Trúc Bạch', 'g-01', 'Tổ dân phố 3'],
  ['s-002', 'Phố Châu Long', 'g-01', 'Tổ dân phố 3'],
  ['s-003', 'Ngõ 5 Nguyễn Khắc Hiếu', 'g-02', 'Tổ dân phố 4'],
  ['s-004', 'Ngách 5/18 Nguyễn Khắc Hiếu', 'g-02', 'Tổ dân phố 4'],
] as const;

/** A small deterministic generator, so every demo shows the same ward. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface DemoHousehold {
  row: HouseholdRow;
  residents: ResidentRow[];
  visits: Visit[];
}

function stage(f: Funnel): number {
  if (f.guided) return 4;
  if (f.activation !== 'none') return 3;
  if (f.level2_collected) return 2;
  return f.cccd === 'has' ? 1 : 0;
}

const CCCD_ORDER: CccdStatus[] = ['none', 'applied', 'has'];
const ACT_ORDER: Activation[] = ['none', 'level1', 'level2'];

function join(a: Funnel, b: Funnel): Funnel {
  return {
    cccd: CCCD_ORDER[Math.max(CCCD_ORDER.indexOf(a.cccd), CCCD_ORDER.indexOf(b.cccd))] ?? 'none',
    level2_collected: a.level2_collected || b.level2_collected,
    activation: ACT_ORDER[Math.max(ACT_ORDER.indexOf(a.activation), ACT_ORDER.indexOf(b.activation))] ?? 'none',
    guided: a.guided || b.guided,
  };
}

function generate(households: number, at: number): DemoHousehold[] {
  const rand = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const year = vnParts(at).year;
  const out: DemoHousehold[] = [];
  for (let i = 0; i < households; i++) {
    const [street, streetName, group, groupName] = STREETS[i % STREETS.length] ?? STREETS[0];
    const houseNo = String(Math.floor(i / STREETS.length) + 1);
    const surname = pick(SURNAMES);
    const n = 1 + Math.floor(rand() * 5);
    const residents: ResidentRow[] = [];
    for (let k = 0; k < n; k++) {
      const female = k % 2 === 1;
      const name = `${k === 0 || !female ? surname : pick(SURNAMES)} ${pick(female ? MIDDLE_F : MIDDLE_M)} ${pick(female ? GIVEN_F : GIVEN_M)}`;
      const birth = k < 2 ? year - 35 - Math.floor(rand() * 40) : year - 5 - Math.floor(rand() * 25);
      const r = rand();
      const funnel: Funnel = {
        cccd: r < 0.1 ? 'none' : r < 0.2 ? 'applied' : 'has',
        level2_collected: r > 0.45,
        activation: r > 0.75 ? 'level2' : r > 0.6 ? 'level1' : 'none',
        guided: r > 0.9,
      };
      residents.push({
        id: `r-${String(i).padStart(5, '0')}-${k + 1}`,
        full_name: name,
        birth_year: birth,
        gender: female ? 'female' : 'male',
        cccd_number: '',
        phone: '',
        funnel,
        stage: stage(funnel),
        eligible: year - birth >= 14,
        blockers: [],
      });
    }
    const blockers: Blocker[] = rand() < 0.12 ? [pick(['no_smartphone', 'needs_equipment', 'away', 'phone_not_own_name'] as const)] : [];
    const visited = rand() < 0.55;
    const revisit = visited && rand() < 0.1 ? vnMidnight(at) + (18 * 60 + 30 * Math.floor(rand() * 7)) * 60 : null;
    const row: HouseholdRow = {
      id: `h-${String(i + 1).padStart(5, '0')}`,
      street,
      street_name: streetName,
      group,
      group_name: groupName,
      kind: 'home',
      house_no: houseNo,
      address: `Số ${houseNo} ${streetName}, Phường Trúc Bạch, Hà Nội`,
      head: residents[0]?.full_name ?? '',
      n_residents: 0,
      n_eligible: 0,
      n_open: 0,
      n_activated: 0,
      blockers,
      n_visits: visited ? 1 + Math.floor(rand() * 2) : 0,
      last_visit: visited ? at - Math.floor(rand() * 5) * 86400 - 3600 : null,
      revisit_at: revisit,
      team: 't-01',
      volunteer: 'p-05',
    };
    out.push({ row, residents, visits: [] });
  }
  for (const h of out) recount(h);
  return out;
}

function recount(h: DemoHousehold): void {
  const eligible = h.residents.filter((r) => r.eligible);
  h.row.n_residents = h.residents.length;
  h.row.n_eligible = eligible.length;
  h.row.n_activated = eligible.filter((r) => r.funnel.activation !== 'none').length;
  h.row.n_open = h.row.n_eligible - h.row.n_activated;
}

function tier(r: HouseholdRow): number {
  if (r.n_open === 0) return 2;
  return r.blockers.length > 0 ? 1 : 0;
}

function progressOf(hs: DemoHousehold[]): Progress {
  const p: Progress = { households: 0, visited_households: 0, eligible: 0, cccd: 0, level2: 0, activated: 0, guided: 0 };
  for (const h of hs) {
    p.households += 1;
    if (h.row.n_visits > 0) p.visited_households += 1;
    for (const r of h.residents.filter((x) => x.eligible)) {
      p.eligible += 1;
      if (r.funnel.cccd === 'has') p.cccd += 1;
      if (r.funnel.level2_collected) p.level2 += 1;
      if (r.funnel.activation !== 'none') p.activated += 1;
      if (r.funnel.guided) p.guided += 1;
    }
  }
  return p;
}

const URBAN = { start: '18:00', end: '21:30' };
const TEAMS: [string, string][] = [
  ['t-01', 'Tổ công tác số 1'],
  ['t-02', 'Tổ công tác số 2'],
];
/** The roster: id, name, team. Khánh and Yến hold nothing yet, so the board shows them at 0. */
const VOLUNTEERS: [string, string, string][] = [
  ['p-05', 'Trần Thu Hà', 't-01'],
  ['p-06', 'Nguyễn Văn Long', 't-01'],
  ['p-07', 'Lê Thị Mai', 't-01'],
  ['p-09', 'Hoàng Minh Khánh', 't-01'],
  ['p-08', 'Phạm Đức Anh', 't-02'],
  ['p-10', 'Ngô Thị Yến', 't-02'],
];
/** Each team's lead; the demo's own volunteer (p-05) leads team 1 when acting as a lead. */
const LEADS: Record<string, string> = { 't-01': 'p-05', 't-02': 'p-08' };
const QUOTA = 20;

export function demoTransport(lang: LangSource, households = 1000, role: Role = 'volunteer', paired = true): Transport {
  const data = generate(households, now());
  const byId = new Map(data.map((h) => [h.row.id, h]));
  // Who holds each street; a household given to someone else keeps its own holder.
  const streetHolder = new Map<string, { team: string; volunteer: string | null }>([
    ['s-001', { team: 't-01', volunteer: 'p-05' }],
    ['s-002', { team: 't-01', volunteer: 'p-06' }],
    ['s-003', { team: 't-01', volunteer: 'p-07' }],
    ['s-004', { team: 't-02', volunteer: 'p-08' }],
  ]);
  const own = new Set<string>();
  const follow = (h: DemoHousehold) => {
    if (own.has(h.row.id)) return;
    const a = streetHolder.get(h.row.street);
    h.row.team = a?.team ?? null;
    h.row.volunteer = a?.volunteer ?? null;
  };
  data.forEach(follow);
  const cut = (keys: [string, string, ...string[]][], of: (h: DemoHousehold) => string | null): ProgressRow[] =>
    keys.map(([key, label]) => ({ key, label, progress: progressOf(data.filter((h) => of(h) === key)), target: null, quota: null }));
  let pending = 0;
  let lastSync: number | null = now() - 2 * 3600;
  const status = (): SyncStatus => ({ state: lastSync ? 'done' : 'idle', last_sync: lastSync, pending, error: null, paired, progress: null });
  const answer = <T>(v: T): Promise<Result<T>> => new Promise((res) => setTimeout(() => res(ok(v)), 60));
  const notFound = <T>(id: string): Promise<Result<T>> =>
    Promise.resolve(fail<T>('not_found', lang() === 'en' ? `No such household: "${id}"` : `Không tìm thấy hộ "${id}"`));

  const transport: Transport = {
    kind: 'demo',
    async call(cmd, args) {
      // Each branch answers the type the command map gives; the casts only name it.
      const a = args as never;
      switch (cmd) {
        case 'whoami':
          return answer({
            identity: { volunteer: 'p-05', team: 't-01', role },
            volunteer_name: 'Trần Thu Hà',
            team_name: 'Tổ công tác số 1',
            ward: 'Phường Trúc Bạch',
            campaign: 'Chiến dịch 90 ngày đêm',
          }) as never;
        case 'list_teams': {
          // p-05 is whoever the demo acts as; the other lead is always a lead.
          const roleOf = (id: string): Role => (id === 'p-05' ? role : LEADS['t-02'] === id ? 'lead' : 'volunteer');
          const rows: TeamRow[] = TEAMS.map(([id, name]) => {
            const lead = LEADS[id] ?? null;
            return {
              id,
              name,
              lead: lead && roleOf(lead) === 'lead' ? lead : null,
              members: VOLUNTEERS.filter(([, , team]) => team === id).map(([v, n]) => ({ id: v, name: n, role: roleOf(v) })),
            };
          });
          return answer(rows) as never;
        }
        case 'list_streets': {
          const team = (a as { team?: string | null }).team;
          const rows: StreetRow[] = STREETS.map(([id, name, group, groupName]) => {
            const hs = data.filter((h) => h.row.street === id);
            const holder = streetHolder.get(id);
            return { id, name, group, group_name: groupName, team: holder?.team ?? null, volunteer: holder?.volunteer ?? null, households: hs.length, progress: progressOf(hs) };
          }).filter((x) => !team || x.team === team);
          return answer(rows) as never;
        }
        case 'progress':
        case 'leaderboard': {
          const by = (a as { by: string }).by;
          if (by === 'team') return answer(cut(TEAMS, (h) => h.row.team)) as never;
          if (by === 'volunteer') {
            const rows = cut(VOLUNTEERS, (h) => h.row.volunteer).map((x) => ({ ...x, quota: { done: Math.round(x.progress.guided / 2), quota: QUOTA } }));
            if (cmd === 'leaderboard') rows.sort((p, q) => (q.quota?.done ?? 0) - (p.quota?.done ?? 0));
            return answer(rows) as never;
          }
          return answer([{ key: 'w-01', label: 'Phường Trúc Bạch', progress: progressOf(data), target: null, quota: null }]) as never;
        }
        case 'daily_progress': {
          const midnight = vnMidnight(now());
          const today = data.filter((h) => h.row.last_visit !== null && h.row.last_visit >= midnight);
          const activated = progressOf(data).activated;
          return answer([
            { day: vnDate(now()), visits: today.reduce((n, h) => n + Math.max(1, h.visits.length), 0), households_visited: today.length, new_level2: 0, new_activations: 0, cumulative_activated: activated },
          ]) as never;
        }
        case 'assign_street': {
          const { street, team, volunteer } = a as { street: string; team: string; volunteer?: string | null };
          streetHolder.set(street, { team, volunteer: volunteer ?? null });
          data.filter((h) => h.row.street === street).forEach(follow);
          pending += 1;
          return answer({ kind: 'street', id: street, team, volunteer: volunteer ?? null }) as never;
        }
        case 'assign_household': {
          const { household, team, volunteer } = a as { household: string; team?: string; volunteer?: string };
          const h = byId.get(household);
          if (!h) return notFound(household);
          if (team) {
            own.add(household);
            h.row.team = team;
            h.row.volunteer = volunteer ?? null;
          } else {
            own.delete(household);
            follow(h);
          }
          pending += 1;
          return answer({ kind: 'household', id: household, team: h.row.team, volunteer: h.row.volunteer }) as never;
        }
        case 'list_households': {
          const f = (a as { filter: { street?: string; team?: string; volunteer?: string; search?: string; limit?: number } }).filter;
          const q = f.search ? fold(f.search) : '';
          let rows = data
            .filter((h) => !f.street || h.row.street === f.street)
            .filter((h) => (!f.team || h.row.team === f.team) && (!f.volunteer || h.row.volunteer === f.volunteer))
            .filter((h) => !q || h.row.house_no === f.search || h.residents.some((r) => fold(r.full_name).includes(q)))
            .map((h) => ({ ...h.row }));
          rows.sort((x, y) => tier(x) - tier(y) || y.n_open - x.n_open || x.street.localeCompare(y.street) || Number(x.house_no) - Number(y.house_no));
          if (f.limit) rows = rows.slice(0, f.limit);
          return answer(rows) as never;
        }
        case 'search': {
          const { query, limit } = a as { query: string; limit: number };
          const q = fold(query);
          const hits: ResidentHit[] = [];
          for (const h of data) {
            for (const r of h.residents) {
              if (q && fold(r.full_name).includes(q)) {
                hits.push({ id: r.id, household_id: h.row.id, full_name: r.full_name, birth_year: r.birth_year, address: h.row.address, stage: r.stage });
              }
            }
          }
          return answer(hits.slice(0, limit)) as never;
        }
        case 'household_detail': {
          const id = (a as { id: string }).id;
          const h = byId.get(id);
          if (!h) return notFound(id);
          const view: HouseholdView = {
            row: { ...h.row },
            residents: h.residents.map((r) => ({ ...r })),
            visits: [...h.visits].reverse(),
            corrections: [],
            area: 'urban',
            window: URBAN,
          };
          return answer(view) as never;
        }
        case 'record_visit': {
          const v = a as { household: string; id?: string; outcome: Visit['outcome']; residents: Visit['actions']; household_blockers: Blocker[]; note: string; revisit?: { at: number } };
          const h = byId.get(v.household);
          if (!h) return notFound(v.household);
          if (v.revisit) {
            const p = vnParts(v.revisit.at);
            const m = p.hour * 60 + p.minute;
            if (m < parseHm(URBAN.start) || m > parseHm(URBAN.end)) {
              const d = dictFor(lang());
              return fail('outside_window', `${d.visit.revisitWindow('18:00–21:30')}`) as never;
            }
          }
          const visit: Visit = {
            id: v.id ?? `v-demo${h.visits.length}`,
            household: h.row.id,
            at: now(),
            volunteer: 'p-05',
            team: 't-01',
            outcome: v.outcome,
            actions: v.residents,
            household_blockers: v.household_blockers,
            revisit: v.revisit ? { at: v.revisit.at, note: '' } : null,
            note: v.note,
          };
          if (!h.visits.some((x) => x.id === visit.id)) {
            h.visits.push(visit);
            for (const act of v.residents ?? []) {
              const r = h.residents.find((x) => x.id === act.resident);
              if (!r) continue;
              r.funnel = join(r.funnel, act.reached);
              r.stage = stage(r.funnel);
              r.blockers = act.blockers ?? [];
            }
            h.row.n_visits += 1;
            h.row.last_visit = visit.at;
            h.row.revisit_at = v.revisit?.at ?? null;
            h.row.blockers = v.household_blockers;
            recount(h);
            pending += 1;
          }
          return answer(visit) as never;
        }
        default:
          return fail('not_in_demo', lang() === 'en' ? 'Not available in the demo' : 'Bản thử chưa có chức năng này') as never;
      }
    },
    syncStatus: () => answer(status()),
    sync: (onProgress) =>
      new Promise((res) => {
        const total = 480;
        for (let i = 1; i <= 3; i++) {
          setTimeout(() => onProgress?.({ round: i, docs_received: (total * i) / 4, docs_remaining: total - (total * i) / 4 }), 250 * i);
        }
        setTimeout(() => {
          lastSync = now();
          pending = 0;
          res(ok(status()));
        }, 1000);
      }),
    pair: (payload) => {
      paired = true;
      const info: PairInfo = { hub_urls: ['http://192.168.1.10:8470'], fingerprint: 'demo', device_id: `d-${payload.length}`, role, team: 't-01', volunteer: 'p-05', ward: 'Phường Trúc Bạch' };
      return answer(info);
    },
  };
  return transport;
}
