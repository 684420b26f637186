// A demo transport: a small made-up ward held in memory, for trying the screens in a browser
// without a phone or a hub (`#demo` in the address, loaded only then) and for screenshots. It
// follows the command table's rules where the screens depend on them (visiting windows, funnel
// only moving up); anything else answers `not_in_demo`. It is paired (pairing accepts any code),
// syncs with made-up progress, with `?demo&lead` acts as a team lead (the team board, with two
// street teams and the ward's mobile team (tổ lưu động) from `list_teams`, one member of each
// street team holding nothing yet, a few hard cases already routed to the mobile team, the
// teams' evening sessions), and with `?demo&unpaired` starts unpaired to show the pairing screen.
// As the office (`office.html?demo`) it also answers the office's commands: the campaign and its
// settings, the hub's paired devices (revoke), pairing codes (one fixed QR picture), the ward's
// figures by group, street, team, volunteer and organisation against the campaign's targets, and
// a daily trend that climbs to today's figures.
import type { Activation } from './bindings/Activation';
import type { Blocker } from './bindings/Blocker';
import type { CccdStatus } from './bindings/CccdStatus';
import type { Funnel } from './bindings/Funnel';
import type { BoardRow } from './bindings/BoardRow';
import type { Campaign } from './bindings/Campaign';
import type { DeviceRow } from './bindings/DeviceRow';
import type { DayRow } from './bindings/DayRow';
import type { HardCase } from './bindings/HardCase';
import type { HardCaseMark } from './bindings/HardCaseMark';
import type { HardCaseRow } from './bindings/HardCaseRow';
import type { HouseholdRow } from './bindings/HouseholdRow';
import type { HouseholdView } from './bindings/HouseholdView';
import type { Progress } from './bindings/Progress';
import type { ProgressRow } from './bindings/ProgressRow';
import type { Role } from './bindings/Role';
import type { ResidentHit } from './bindings/ResidentHit';
import type { ResidentRow } from './bindings/ResidentRow';
import type { StreetRow } from './bindings/StreetRow';
import type { TeamBoard } from './bindings/TeamBoard';
import type { TeamRow } from './bindings/TeamRow';
import type { TeamSession } from './bindings/TeamSession';
import type { Visit } from './bindings/Visit';
import { fold } from './fold';
import { HARD_CASES } from './lead';
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
  ['t-03', 'Tổ lưu động phường'],
];
/** The ward's mobile team (tổ lưu động): hard cases are routed to it. */
const MOBILE = new Set(['t-03']);
/** The roster: id, name, team. Khánh and Yến hold nothing yet, so the board shows them at 0. */
const VOLUNTEERS: [string, string, string][] = [
  ['p-05', 'Trần Thu Hà', 't-01'],
  ['p-06', 'Nguyễn Văn Long', 't-01'],
  ['p-07', 'Lê Thị Mai', 't-01'],
  ['p-09', 'Hoàng Minh Khánh', 't-01'],
  ['p-08', 'Phạm Đức Anh', 't-02'],
  ['p-10', 'Ngô Thị Yến', 't-02'],
  ['p-11', 'Đỗ Văn Thành', 't-03'],
  ['p-12', 'Bùi Thị Lan', 't-03'],
];
/** Each team's lead; the demo's own volunteer (p-05) leads team 1 when acting as a lead. */
const LEADS: Record<string, string> = { 't-01': 'p-05', 't-02': 'p-08', 't-03': 'p-11' };
/** The campaign's length and how far into it today is. */
const CAMPAIGN_DAYS = 90;
const CAMPAIGN_DAY = 30;
const QUOTA = 20;
/** Which organisation each volunteer comes from (the `org` breakdown). */
const ORGS: [string, string][] = [
  ['o-doan', 'Đoàn Thanh niên phường'],
  ['o-phunu', 'Hội Liên hiệp Phụ nữ phường'],
  ['o-congan', 'Công an phường'],
];
const ORG_OF: Record<string, string> = { 'p-05': 'o-doan', 'p-06': 'o-doan', 'p-07': 'o-phunu', 'p-09': 'o-doan', 'p-08': 'o-congan', 'p-10': 'o-phunu', 'p-11': 'o-congan', 'p-12': 'o-phunu' };
/** The pairing QR the demo shows for any code (a real QR of a made-up payload). */
const DEMO_QR = '<svg xmlns="http://www.w3.org/2000/svg" width="41" height="41" viewBox="0 0 41 41"><rect width="41" height="41" fill="#fff"/><path stroke="#000" d="M4 4.5h7m2 0h1m2 0h1m1 0h2m3 0h1m3 0h2m1 0h7m-33 1h1m5 0h1m1 0h2m1 0h6m1 0h2m1 0h1m1 0h2m1 0h1m5 0h1m-33 1h1m1 0h3m1 0h1m2 0h1m2 0h1m5 0h1m1 0h1m3 0h1m1 0h1m1 0h3m1 0h1m-33 1h1m1 0h3m1 0h1m2 0h1m4 0h2m4 0h1m2 0h2m1 0h1m1 0h3m1 0h1m-33 1h1m1 0h3m1 0h1m1 0h2m2 0h1m1 0h2m3 0h3m1 0h2m1 0h1m1 0h3m1 0h1m-33 1h1m5 0h1m4 0h2m2 0h1m1 0h4m2 0h1m2 0h1m5 0h1m-33 1h7m1 0h1m1 0h1m1 0h1m1 0h1m1 0h1m1 0h1m1 0h1m1 0h1m1 0h1m1 0h7m-24 1h2m1 0h10m1 0h1m-24 1h1m1 0h1m1 0h1m1 0h1m3 0h5m2 0h1m2 0h2m6 0h1m2 0h1m-31 1h5m1 0h1m2 0h1m2 0h1m2 0h2m2 0h1m4 0h2m3 0h3m-31 1h1m3 0h1m1 0h4m1 0h1m2 0h2m2 0h3m1 0h1m1 0h1m1 0h2m1 0h2m-31 1h2m1 0h1m3 0h1m2 0h2m3 0h3m1 0h1m2 0h1m2 0h1m-28 1h1m3 0h1m1 0h7m1 0h1m1 0h3m2 0h2m2 0h2m5 0h1m-32 1h1m1 0h1m3 0h2m3 0h1m3 0h1m1 0h1m2 0h2m2 0h2m2 0h1m1 0h2m-33 1h1m2 0h2m1 0h1m1 0h3m6 0h1m2 0h1m5 0h4m1 0h2m-28 1h1m5 0h2m1 0h1m2 0h5m1 0h2m7 0h1m-33 1h1m1 0h1m3 0h1m3 0h1m3 0h1m2 0h1m3 0h1m1 0h1m1 0h3m3 0h2m-33 1h1m1 0h1m1 0h1m2 0h2m2 0h1m1 0h2m1 0h1m2 0h3m2 0h3m2 0h1m1 0h2m-32 1h1m1 0h1m2 0h1m1 0h2m2 0h2m2 0h1m1 0h1m1 0h1m1 0h1m1 0h3m2 0h1m1 0h2m-33 1h2m1 0h1m1 0h1m2 0h1m1 0h4m1 0h3m3 0h1m3 0h1m1 0h2m2 0h2m-33 1h4m2 0h4m4 0h1m1 0h4m1 0h4m1 0h1m2 0h1m2 0h1m-32 1h1m7 0h1m1 0h1m2 0h1m1 0h1m1 0h1m2 0h2m3 0h1m2 0h4m-33 1h1m2 0h1m1 0h2m1 0h2m2 0h3m1 0h2m6 0h1m3 0h1m1 0h3m-32 1h1m1 0h2m2 0h1m1 0h4m1 0h1m2 0h1m3 0h4m3 0h2m1 0h2m-33 1h1m2 0h2m1 0h1m2 0h5m3 0h1m3 0h1m2 0h6m1 0h1m-24 1h1m4 0h4m4 0h1m2 0h1m3 0h1m2 0h1m-32 1h7m2 0h1m1 0h1m1 0h1m4 0h1m3 0h3m1 0h1m1 0h5m-33 1h1m5 0h1m3 0h3m1 0h5m1 0h5m3 0h1m-29 1h1m1 0h3m1 0h1m1 0h1m2 0h3m1 0h3m1 0h1m1 0h2m1 0h5m2 0h1m-32 1h1m1 0h3m1 0h1m2 0h3m2 0h1m1 0h2m4 0h3m3 0h3m1 0h1m-33 1h1m1 0h3m1 0h1m1 0h2m1 0h2m4 0h1m2 0h1m3 0h2m2 0h1m3 0h1m-33 1h1m5 0h1m6 0h3m1 0h2m2 0h2m1 0h3m4 0h1m-32 1h7m1 0h1m2 0h1m1 0h2m1 0h3m1 0h2m1 0h2m3 0h1m2 0h2"/></svg>';

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
  // The demo's PIN lock: a paired demo has a PIN and starts unlocked; any PIN of 6+ digits
  // unlocks it.
  let pinSet = paired;
  let locked = false;
  const status = (): SyncStatus => ({
    state: lastSync ? 'done' : 'idle',
    last_sync: lastSync,
    pending,
    error: null,
    paired,
    progress: null,
    pin_set: pinSet,
    locked,
  });
  const answer = <T>(v: T): Promise<Result<T>> => new Promise((res) => setTimeout(() => res(ok(v)), 60));
  const notFound = <T>(id: string): Promise<Result<T>> =>
    Promise.resolve(fail<T>('not_found', lang() === 'en' ? `No such household: "${id}"` : `Không tìm thấy hộ "${id}"`));

  const en = () => lang() === 'en';
  const refuse = <T>(code: string, vi: string, english: string): Promise<Result<T>> => Promise.resolve(fail<T>(code, en() ? english : vi));
  const teamName = (id: string | null) => TEAMS.find(([t]) => t === id)?.[1] ?? null;
  // A lead acts for their own team only (the demo's lead leads team 1); the office for any.
  const notYours = <T>(team: string | null): Promise<Result<T>> | null =>
    role === 'lead' && team !== 't-01'
      ? refuse<T>('not_your_team', `Tổ trưởng chỉ được làm việc này cho tổ của mình, không phải tổ "${team ?? ''}"`, `A team lead may do this only for their own team, not "${team ?? ''}"`)
      : role === 'volunteer'
        ? refuse<T>('forbidden', 'Chỉ tổ trưởng hoặc văn phòng phường được làm việc này', 'Only team leads and the ward office can do this')
        : null;

  // The campaign: 90 days, today the 31st; `daily_progress` has a row for each.
  const start = vnMidnight(now()) - CAMPAIGN_DAY * 86400;
  const campaignDays = Array.from({ length: CAMPAIGN_DAYS }, (_, i) => vnDate(start + i * 86400 + 12 * 3600));
  const dayAfter = (n: number) => campaignDays[CAMPAIGN_DAY + n] ?? vnDate(now());

  // Hard cases already flagged and routed to the mobile team, one of them done.
  const marks = new Map<string, HardCaseMark[]>();
  const flagAt = now() - 2 * 86400;
  const seed = (h: DemoHousehold | undefined, reasons: HardCase[], note: string) => {
    if (!h) return;
    marks.set(h.row.id, reasons.map((reason) => ({ reason, at: flagAt, by: 'p-05', ...(note ? { note } : {}) })));
    own.add(h.row.id);
    h.row.team = 't-03';
    h.row.volunteer = null;
  };
  seed(data.find((h) => h.row.n_open > 0 && h.residents.some((r) => r.birth_year !== null && vnParts(now()).year - r.birth_year >= 70)) ?? data[6], ['elderly', 'bedridden'], 'Cụ nằm một chỗ ở tầng 2: mang máy đến tận giường');
  seed(data.find((h, i) => i > 10 && h.row.n_open > 0 && !marks.has(h.row.id)), ['needs_interpreter'], 'Gia đình người Mông mới chuyển đến, cần người phiên dịch');
  seed(data.find((h, i) => i > 20 && h.row.n_open === 0 && !marks.has(h.row.id)), ['disabled'], '');

  const hardRows = (team: string | undefined): HardCaseRow[] => {
    const first = (r: HardCaseRow) => Math.min(...r.reasons.map((m) => m.at));
    return data
      .filter((h) => marks.has(h.row.id) && (!team || h.row.team === team))
      .map((h) => ({
        household: { ...h.row },
        reasons: [...(marks.get(h.row.id) ?? [])].sort((p, q) => HARD_CASES.indexOf(p.reason) - HARD_CASES.indexOf(q.reason)),
        team_name: teamName(h.row.team),
        mobile_team: h.row.team !== null && MOBILE.has(h.row.team),
        done: h.row.n_open === 0,
      }))
      .sort((p, q) => Number(p.done) - Number(q.done) || first(p) - first(q) || p.household.id.localeCompare(q.household.id));
  };

  // The teams' sessions, as the ward prints them for residents.
  let sessionSeq = 0;
  let pairSeq = 0;
  const sessions: TeamSession[] = [
    { id: 'ts-demo1', team: 't-01', date: dayAfter(1), start: '18:00', end: '21:00', place: 'Nhà văn hoá tổ dân phố 3', note: 'Mang theo thẻ căn cước và điện thoại', at: now() - 86400, by: 'p-05' },
    { id: 'ts-demo2', team: 't-01', date: dayAfter(3), start: '19:00', end: '21:30', place: 'Sân nhà bà Lan, số 12 ngõ 12 Trúc Bạch', at: now() - 86400, by: 'p-05' },
    { id: 'ts-demo3', team: 't-02', date: dayAfter(2), start: '18:30', end: '21:00', place: 'Nhà văn hoá tổ dân phố 4', at: now() - 86400, by: 'p-08' },
    { id: 'ts-demo4', team: 't-03', date: dayAfter(1), start: '08:00', end: '11:00', place: 'Đến tận nhà các hộ ca khó', note: 'Mang máy đọc thẻ và máy tính bảng', at: now() - 86400, by: 'p-11' },
  ];
  // The campaign as the office edits it; targets sized to the demo ward.
  const eligibleAll = progressOf(data).eligible;
  let campaign: Campaign = {
    name: 'Chiến dịch 90 ngày đêm',
    start: campaignDays[0] ?? '',
    end: campaignDays[campaignDays.length - 1] ?? '',
    targets: { cccd: Math.round(eligibleAll * 0.95), level2: Math.round(eligibleAll * 0.8), activated: Math.round(eligibleAll * 0.85) },
    eligible_age: 14,
    urban_window: { ...URBAN },
    rural_window: { start: '17:00', end: '20:30' },
    quota_per_volunteer: QUOTA,
  };
  const checkCampaign = (c: Campaign): [string, string, string] | null => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(c.start) || !/^\d{4}-\d{2}-\d{2}$/.test(c.end) || c.end < c.start) {
      return ['campaign_dates', `Ngày kết thúc (${c.end}) phải sau ngày bắt đầu (${c.start})`, `the end date (${c.end}) must come after the start date (${c.start})`];
    }
    if (!(c.targets.cccd > 0 && c.targets.level2 > 0 && c.targets.activated > 0)) return ['campaign_targets', 'Chỉ tiêu phải lớn hơn 0', 'targets must be greater than 0'];
    if (!(c.eligible_age >= 14 && c.eligible_age <= 18)) return ['campaign_age', `Tuổi trong diện phải từ 14 đến 18, không phải ${c.eligible_age}`, `the eligible age must be 14 to 18, not ${c.eligible_age}`];
    for (const [w, vi, english] of [[c.urban_window, 'khu đô thị', 'urban'], [c.rural_window, 'nông thôn', 'rural']] as const) {
      if (!(parseHm(w.start) < parseHm(w.end))) return ['campaign_window', `Khung giờ ${vi} phải bắt đầu trước khi kết thúc (${w.start}–${w.end})`, `the ${english} window must start before it ends (${w.start}–${w.end})`];
    }
    if (!(c.quota_per_volunteer >= 1)) return ['campaign_quota', 'Chỉ tiêu mỗi người phải từ 1 trở lên', 'the quota per person must be at least 1'];
    return null;
  };
  // The hub's paired devices: every volunteer's phone, one revoked, one never synced.
  const devices: DeviceRow[] = VOLUNTEERS.map(([v, n, team], i) => ({
    id: `d-${String(i + 1).padStart(3, '0')}`,
    name: `Điện thoại ${n.split(' ').slice(-1)[0] ?? ''}`,
    role: LEADS[team] === v ? 'lead' : 'volunteer',
    team,
    team_name: teamName(team),
    volunteer: v,
    volunteer_name: n,
    paired_at: now() - (CAMPAIGN_DAY - i) * 86400,
    last_sync: i === 5 ? null : now() - [300, 2 * 3600, 26 * 3600, 40 * 60, 3 * 86400, 0, 5 * 3600, 20 * 60][i]!,
    revoked: i === 7,
  }));
  const byDate = (p: TeamSession, q: TeamSession) => p.date.localeCompare(q.date) || p.start.localeCompare(q.start) || p.id.localeCompare(q.id);

  const board = (team: string): TeamBoard | null => {
    const name = teamName(team);
    if (!name) return null;
    const midnight = vnMidnight(now());
    const mine = data.filter((h) => h.row.team === team);
    const quotaOf = (v: string) => ({ done: Math.round(progressOf(data.filter((h) => h.row.volunteer === v)).guided / 2), quota: QUOTA });
    const volunteers: BoardRow[] = VOLUNTEERS.filter(([, , t]) => t === team).map(([v, n]) => {
      const held = data.filter((h) => h.row.volunteer === v);
      const p = progressOf(held);
      return {
        volunteer: v,
        name: n,
        role: v === 'p-05' ? role : LEADS[team] === v ? 'lead' : 'volunteer',
        households_assigned: held.length,
        assigned_visited: p.visited_households,
        households_visited: p.visited_households,
        level2_collected: p.level2,
        activated: p.activated,
        quota: quotaOf(v),
        visits_today: held.filter((h) => h.row.last_visit !== null && h.row.last_visit >= midnight).length,
      };
    });
    return {
      team,
      team_name: name,
      mobile: MOBILE.has(team),
      day: vnDate(now()),
      volunteers,
      totals: {
        progress: progressOf(mine),
        unassigned_households: mine.filter((h) => !h.row.volunteer).length,
        level2_collected: volunteers.reduce((n, v) => n + v.level2_collected, 0),
        activated: volunteers.reduce((n, v) => n + v.activated, 0),
        quota: { done: volunteers.reduce((n, v) => n + v.quota.done, 0), quota: QUOTA * volunteers.length },
        visits_today: volunteers.reduce((n, v) => n + v.visits_today, 0),
      },
    };
  };

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
          const roleOf = (id: string): Role => (id === 'p-05' ? role : Object.values(LEADS).includes(id) ? 'lead' : 'volunteer');
          const rows: TeamRow[] = TEAMS.map(([id, name]) => {
            const lead = LEADS[id] ?? null;
            return {
              id,
              name,
              lead: lead && roleOf(lead) === 'lead' ? lead : null,
              mobile: name.includes('lưu động'),
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
          if (by === 'team') {
            const rows = cut(TEAMS, (h) => h.row.team);
            const none = data.filter((h) => !h.row.team);
            if (none.length > 0) rows.push({ key: '', label: '', progress: progressOf(none), target: null, quota: null });
            return answer(rows) as never;
          }
          if (by === 'group') return answer(cut([['g-01', 'Tổ dân phố 3'], ['g-02', 'Tổ dân phố 4']], (h) => h.row.group)) as never;
          if (by === 'street') return answer(cut(STREETS.map(([id, name]) => [id, name] as [string, string]), (h) => h.row.street)) as never;
          if (by === 'org') {
            const rows = cut(ORGS, (h) => (h.row.volunteer ? (ORG_OF[h.row.volunteer] ?? null) : null)).map((x) => {
              const n = VOLUNTEERS.filter(([v]) => ORG_OF[v] === x.key).length;
              return { ...x, quota: { done: Math.round(x.progress.guided / 2), quota: QUOTA * n } };
            });
            if (cmd === 'leaderboard') rows.sort((p, q) => (q.quota?.done ?? 0) / (q.quota?.quota || 1) - (p.quota?.done ?? 0) / (p.quota?.quota || 1));
            return answer(rows) as never;
          }
          if (by === 'volunteer') {
            const rows = cut(VOLUNTEERS, (h) => h.row.volunteer).map((x) => ({ ...x, quota: { done: Math.round(x.progress.guided / 2), quota: QUOTA } }));
            if (cmd === 'leaderboard') rows.sort((p, q) => (q.quota?.done ?? 0) - (p.quota?.done ?? 0));
            return answer(rows) as never;
          }
          return answer([{ key: 'w-01', label: 'Phường Trúc Bạch', progress: progressOf(data), target: { ...campaign.targets }, quota: null }]) as never;
        }
        case 'daily_progress': {
          const midnight = vnMidnight(now());
          const today = data.filter((h) => h.row.last_visit !== null && h.row.last_visit >= midnight);
          const activated = progressOf(data).activated;
          const todayKey = vnDate(now());
          // Every day of the campaign, as the store answers; the figures are today's only.
          // Past days climb from the imported baseline (40%) to today's figure, a little unevenly.
          const wobble = rng(11);
          const baseline = Math.round(activated * 0.4);
          const steps = campaignDays.filter((day) => day < todayKey).map(() => 0.5 + wobble());
          const sum = steps.reduce((n, x) => n + x, 0) || 1;
          let cumulative = baseline;
          let past = 0;
          const rows: DayRow[] = campaignDays.map((day) => {
            if (day === todayKey) {
              return { day, visits: today.reduce((n, h) => n + Math.max(1, h.visits.length), 0), households_visited: today.length, new_level2: 0, new_activations: activated - cumulative, cumulative_activated: activated };
            }
            if (day > todayKey) return { day, visits: 0, households_visited: 0, new_level2: 0, new_activations: 0, cumulative_activated: activated };
            const step = Math.floor(((activated - baseline) * 0.97 * (steps[past++] ?? 0)) / sum);
            cumulative += step;
            const visited = 60 + Math.floor(wobble() * 60);
            return { day, visits: visited + Math.floor(wobble() * 6), households_visited: visited, new_level2: Math.floor(step * 0.8), new_activations: step, cumulative_activated: cumulative };
          });
          return answer(rows) as never;
        }
        case 'flag_hard_case': {
          const f = a as { household: string; reasons: HardCase[]; note?: string; to_team?: string };
          const h = byId.get(f.household);
          if (!h) return notFound(f.household);
          const reasons = HARD_CASES.filter((x) => f.reasons.includes(x));
          if (reasons.length === 0) {
            return refuse('no_hard_case_reason', 'Hãy chọn ít nhất một lý do: người cao tuổi, nằm liệt giường, khuyết tật, cần người phiên dịch tiếng dân tộc', 'Choose at least one reason: elderly, bedridden, disabled, needs an interpreter') as never;
          }
          const refused = notYours(h.row.team);
          if (refused) return refused as never;
          let to: string | null = null;
          if (f.to_team) {
            if (!MOBILE.has(f.to_team)) return refuse('not_mobile_team', `Tổ "${f.to_team}" không phải tổ lưu động`, `Team "${f.to_team}" is not a mobile team`) as never;
            to = f.to_team;
          } else if (!(h.row.team && MOBILE.has(h.row.team))) {
            to = [...MOBILE][0] ?? null;
          }
          if (to === h.row.team) to = null;
          const at = now();
          const kept = (marks.get(h.row.id) ?? []).filter((m) => !reasons.includes(m.reason));
          marks.set(h.row.id, [...kept, ...reasons.map((reason) => ({ reason, at, by: 'p-05', ...(f.note ? { note: f.note } : {}) }))]);
          if (to) {
            own.add(h.row.id);
            h.row.team = to;
            h.row.volunteer = null;
          }
          pending += 1;
          return answer({ household: h.row.id, reasons: hardRows(undefined).find((r) => r.household.id === h.row.id)?.reasons ?? [], routed_to: to, team: h.row.team }) as never;
        }
        case 'unflag_hard_case': {
          const u = a as { household: string; reasons?: HardCase[]; hand_back?: boolean };
          const h = byId.get(u.household);
          if (!h) return notFound(u.household);
          const refused = notYours(h.row.team);
          if (refused) return refused as never;
          const had = (marks.get(h.row.id) ?? []).map((m) => m.reason);
          const clear = u.reasons && u.reasons.length > 0 ? had.filter((x) => u.reasons?.includes(x)) : had;
          const left = (marks.get(h.row.id) ?? []).filter((m) => !clear.includes(m.reason));
          if (left.length > 0) marks.set(h.row.id, left);
          else marks.delete(h.row.id);
          if (u.hand_back) {
            own.delete(h.row.id);
            follow(h);
          }
          pending += 1;
          return answer({ household: h.row.id, cleared: clear, remaining: left.map((m) => m.reason), handed_back: !!u.hand_back }) as never;
        }
        case 'hard_cases':
          return answer(hardRows((a as { team?: string }).team)) as never;
        case 'team_schedule': {
          const team = (a as { team?: string }).team;
          return answer(sessions.filter((x) => !team || x.team === team).sort(byDate).map((x) => ({ ...x }))) as never;
        }
        case 'set_team_schedule': {
          const q = a as { id?: string; team: string; date: string; start: string; end: string; place: string; note?: string };
          if (!teamName(q.team)) return refuse('not_found', `Không tìm thấy tổ "${q.team}"`, `No such team: "${q.team}"`) as never;
          const refused = notYours(q.team);
          if (refused) return refused as never;
          const place = q.place.trim();
          if (!place) return refuse('session_without_place', 'Buổi làm việc phải có địa điểm', 'a session needs a place') as never;
          if (parseHm(q.end) <= parseHm(q.start)) {
            return refuse('session_times', `Giờ kết thúc phải sau giờ bắt đầu (${q.start}–${q.end})`, `a session must end after it starts (${q.start}–${q.end})`) as never;
          }
          const first = campaignDays[0] ?? '';
          const last = campaignDays[campaignDays.length - 1] ?? '';
          if (q.date < first || q.date > last) {
            return refuse(
              'session_outside_campaign',
              `Ngày ${q.date} nằm ngoài thời gian chiến dịch (từ ${first} đến ${last})`,
              `the session's date ${q.date} is outside the campaign (${first} to ${last})`,
            ) as never;
          }
          const note = q.note?.trim() ?? '';
          const session: TeamSession = { id: q.id ?? `ts-new${++sessionSeq}`, team: q.team, date: q.date, start: q.start, end: q.end, place, ...(note ? { note } : {}), at: now(), by: 'p-05' };
          const i = sessions.findIndex((x) => x.id === session.id);
          if (i >= 0) sessions[i] = session;
          else sessions.push(session);
          pending += 1;
          return answer({ ...session }) as never;
        }
        case 'remove_team_schedule': {
          const id = (a as { id: string }).id;
          const i = sessions.findIndex((x) => x.id === id);
          const old = sessions[i];
          if (!old) return refuse('not_found', `Không tìm thấy buổi làm việc "${id}"`, `No such session: "${id}"`) as never;
          const refused = notYours(old.team);
          if (refused) return refused as never;
          sessions.splice(i, 1);
          pending += 1;
          return answer({ id, team: old.team }) as never;
        }
        case 'team_board': {
          const team = (a as { team?: string }).team ?? 't-01';
          const b = board(team);
          return b ? (answer(b) as never) : refuse('not_found', `Không tìm thấy tổ "${team}"`, `No such team: "${team}"`);
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
        case 'campaign':
          return answer({ ward: 'Phường Trúc Bạch', district: 'Quận Ba Đình, Hà Nội', campaign: structuredClone(campaign) }) as never;
        case 'update_campaign': {
          const c = (a as { campaign: Campaign }).campaign;
          if (role !== 'office') return refuse('forbidden', 'Chỉ văn phòng phường được sửa chiến dịch', 'Only the ward office can change the campaign') as never;
          const wrong = checkCampaign(c);
          if (wrong) return refuse(wrong[0], wrong[1], wrong[2]) as never;
          campaign = structuredClone(c);
          return answer({ ward: 'Phường Trúc Bạch', district: 'Quận Ba Đình, Hà Nội', campaign: structuredClone(campaign) }) as never;
        }
        case 'list_devices':
          return answer(devices.map((x) => ({ ...x }))) as never;
        case 'revoke_device': {
          const id = (a as { device: string }).device;
          const dev = devices.find((x) => x.id === id);
          if (!dev) return refuse('not_found', `Không tìm thấy thiết bị "${id}"`, `No such device: "${id}"`) as never;
          dev.revoked = true;
          return answer({ ...dev }) as never;
        }
        case 'issue_pairing': {
          const q = a as { role: Role; team?: string; volunteer?: string };
          if (q.role === 'volunteer' && !q.volunteer) return refuse('pairing_needs_volunteer', 'Mã cho tình nguyện viên phải ghi rõ người dùng', 'A volunteer pairing code needs the volunteer') as never;
          if (q.role === 'lead' && !q.team) return refuse('pairing_needs_team', 'Mã cho tổ trưởng phải ghi rõ tổ', "A team lead's pairing code needs the team") as never;
          const payload = `gocua:pair:v1:demo:${q.role}:${q.team ?? '-'}:${q.volunteer ?? '-'}:${(0x5eed0000 + ++pairSeq).toString(16)}`;
          return answer({ payload, svg: DEMO_QR, expires_at: now() + 15 * 60 }) as never;
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
    lock: (action, pin) => {
      if ((action === 'unlock' || action === 'set_pin') && !/^\d{6,12}$/.test(pin ?? '')) {
        return Promise.resolve(fail('pin_weak', en() ? 'The PIN must be 6 to 12 digits' : 'Mã PIN phải gồm 6 đến 12 chữ số'));
      }
      if (action === 'unlock') locked = false;
      if (action === 'set_pin') pinSet = true;
      if (action === 'lock') locked = true;
      if (action === 'forget') [paired, pinSet, locked] = [false, false, false];
      return answer(status());
    },
  };
  return transport;
}
