// The visit form's model, apart from its looks: per-resident quick facts, "not home", the
// household outcome, revisit slots inside the area's visiting window, and the `record_visit`
// arguments they make. Designed so the common visit takes few taps (see tests/visit.test.ts).
import type { Blocker } from './bindings/Blocker';
import type { Funnel } from './bindings/Funnel';
import type { HouseholdView } from './bindings/HouseholdView';
import type { RecordVisit } from './bindings/RecordVisit';
import type { ResidentAction } from './bindings/ResidentAction';
import type { Timestamp } from './bindings/Timestamp';
import type { VisitingWindow } from './bindings/VisitingWindow';
import { formatHm, parseHm, vnMidnight } from './time';

/** One thing done for a resident on this visit. */
export type Fact = 'level2' | 'level1' | 'level2_collected' | 'cccd_has' | 'cccd_applied' | 'guided';
/** In the order the chips show: what campaigns count first comes first. */
export const FACTS: Fact[] = ['level2', 'level1', 'level2_collected', 'cccd_has', 'cccd_applied', 'guided'];

export type Outcome = 'met' | 'nobody_home' | 'refused';

export interface ResidentDraft {
  facts: Fact[];
  notHome: boolean;
  blockers: Blocker[];
}

export interface VisitDraft {
  /** Sent with the visit so a retry after a lost reply records it once. */
  id: string;
  household: string;
  outcome: Outcome;
  residents: Record<string, ResidentDraft>;
  /** Local midnight of the revisit day, and minutes after midnight. */
  day: Timestamp | null;
  minute: number | null;
  householdBlockers: Blocker[];
  note: string;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A fresh visit id like the Rust `VisitId::random`: `v-` and 12 characters of 60 random bits. */
export function newVisitId(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  return `v-${Array.from(random(12), (b) => ALPHABET[b & 31]).join('')}`;
}

export function newDraft(h: HouseholdView, id: string = newVisitId()): VisitDraft {
  const residents: Record<string, ResidentDraft> = {};
  for (const r of h.residents) residents[r.id] = { facts: [], notHome: false, blockers: [] };
  return {
    id,
    household: h.row.id,
    outcome: 'met',
    residents,
    day: null,
    minute: null,
    householdBlockers: [],
    note: '',
  };
}

/** Facts that would move this resident up: the form offers only those, likeliest first. */
export function offered(f: Funnel): Fact[] {
  // Without a chip card no account can be activated yet: the card comes first.
  const order: Fact[] =
    f.cccd === 'has' ? FACTS : ['cccd_has', 'cccd_applied', 'level2_collected', 'level2', 'level1', 'guided'];
  return order.filter((fact) => {
    switch (fact) {
      case 'level2':
        return f.activation !== 'level2';
      case 'level1':
        return f.activation === 'none';
      case 'level2_collected':
        return !f.level2_collected && f.activation !== 'level2';
      case 'cccd_has':
        return f.cccd !== 'has';
      case 'cccd_applied':
        return f.cccd === 'none';
      case 'guided':
        return !f.guided;
    }
  });
}

/** How many offered facts show at once; the rest wait behind "more" with the blockers. */
export const PRIMARY_FACTS = 3;

/** Facts that exclude each other: the later tap wins. */
const EXCLUSIVE: Partial<Record<Fact, Fact>> = {
  level1: 'level2',
  level2: 'level1',
  cccd_has: 'cccd_applied',
  cccd_applied: 'cccd_has',
};

export function toggleFact(d: VisitDraft, resident: string, fact: Fact): void {
  const r = d.residents[resident];
  if (!r) return;
  if (r.facts.includes(fact)) {
    r.facts = r.facts.filter((f) => f !== fact);
    return;
  }
  const other = EXCLUSIVE[fact];
  r.facts = [...r.facts.filter((f) => f !== other), fact];
  r.notHome = false;
}

export function toggleNotHome(d: VisitDraft, resident: string): void {
  const r = d.residents[resident];
  if (!r) return;
  r.notHome = !r.notHome;
  if (r.notHome) r.facts = [];
}

export function toggleBlocker(list: Blocker[], b: Blocker): Blocker[] {
  return list.includes(b) ? list.filter((x) => x !== b) : [...list, b];
}

/**
 * The funnel facts a set of chips establishes. A level-2 account exists only once its level-2
 * application was collected, so activating level 2 says that too; nothing else is implied.
 */
export function reached(facts: Fact[]): Funnel {
  const has = (f: Fact) => facts.includes(f);
  return {
    cccd: has('cccd_has') ? 'has' : has('cccd_applied') ? 'applied' : 'none',
    level2_collected: has('level2_collected') || has('level2'),
    activation: has('level2') ? 'level2' : has('level1') ? 'level1' : 'none',
    guided: has('guided'),
  };
}

/** Residents with something to record (a fact, "not home" or a blocker). */
export function actions(d: VisitDraft): ResidentAction[] {
  if (d.outcome !== 'met') return [];
  const out: ResidentAction[] = [];
  for (const [resident, r] of Object.entries(d.residents)) {
    const blockers: Blocker[] = r.notHome ? ['nobody_home', ...r.blockers.filter((b) => b !== 'nobody_home')] : r.blockers;
    if (r.facts.length === 0 && blockers.length === 0) continue;
    out.push({ resident, reached: reached(r.notHome ? [] : r.facts), blockers, note: '' });
  }
  return out;
}

const STEP_MINUTES = 30;

/** Start times offered for a revisit: every half hour from the window's start to its end. */
export function windowTimes(w: VisitingWindow): number[] {
  const out: number[] = [];
  for (let m = parseHm(w.start); m <= parseHm(w.end); m += STEP_MINUTES) out.push(m);
  return out;
}

/** Times still ahead on `day` (all of them on a later day). */
export function timesOn(w: VisitingWindow, day: Timestamp, now: Timestamp): number[] {
  return windowTimes(w).filter((m) => day + m * 60 > now);
}

/** The next `count` days with a slot left, starting today (Vietnam dates). */
export function revisitDays(w: VisitingWindow, now: Timestamp, count = 7): Timestamp[] {
  const today = vnMidnight(now);
  const out: Timestamp[] = [];
  for (let i = 0; out.length < count && i < count + 1; i++) {
    const day = today + i * 86400;
    if (timesOn(w, day, now).length > 0) out.push(day);
  }
  return out;
}

export function chooseDay(d: VisitDraft, day: Timestamp | null): void {
  d.day = d.day === day ? null : day;
  if (d.day === null) d.minute = null;
}

export function revisitAt(d: VisitDraft): Timestamp | null {
  return d.day !== null && d.minute !== null ? d.day + d.minute * 60 : null;
}

/** A day chosen without a time is the only thing that stops saving. */
export function canSave(d: VisitDraft): boolean {
  return d.day === null || d.minute !== null;
}

export function toRecordVisit(d: VisitDraft): RecordVisit {
  const at = revisitAt(d);
  const args: RecordVisit = {
    id: d.id,
    household: d.household,
    outcome: d.outcome,
    residents: actions(d),
    household_blockers: d.householdBlockers,
    note: d.note.trim(),
  };
  if (at !== null) args.revisit = { at, note: '' };
  return args;
}

export function windowLabel(w: VisitingWindow): string {
  return `${formatHm(parseHm(w.start))}–${formatHm(parseHm(w.end))}`;
}
