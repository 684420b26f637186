// The team board's figures and the reassign screen's choices, computed from what the command
// table answers (`list_teams` for who is in which team, `progress` by volunteer, the team's
// households and streets, `daily_progress`). Pure functions, so tests check them without screens.
import type { DayRow } from './bindings/DayRow';
import type { HouseholdRow } from './bindings/HouseholdRow';
import type { ProgressRow } from './bindings/ProgressRow';
import type { TeamMember } from './bindings/TeamMember';
import type { TeamRow } from './bindings/TeamRow';
import type { Timestamp } from './bindings/Timestamp';
import { vnMidnight, vnParts } from './time';

export interface MemberLine {
  /** The member as `list_teams` names them. */
  member: TeamMember;
  /** Their figures from `progress` by volunteer (matched by id); zeros, with the campaign's
   * quota, when that answer has no row for them. */
  row: ProgressRow;
  /** The team's households this volunteer holds. */
  households: number;
  /** Of those, visited today (Vietnam time). */
  today: number;
}

/** Today as `daily_progress` names days: `YYYY-MM-DD` in Vietnam. */
export function vnDate(ts: Timestamp): string {
  const p = vnParts(ts);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/**
 * One line per member of the team, in the order `list_teams` gives (the roster's), so a member
 * given nothing yet shows with zeros. Figures come from `progress` by volunteer, matched by id;
 * a member it has no row for gets zeros and the campaign's quota (the same on every row).
 */
export function teamMembers(team: TeamRow | null | undefined, volunteers: ProgressRow[], households: HouseholdRow[], at: Timestamp): MemberLine[] {
  if (!team) return [];
  const midnight = vnMidnight(at);
  const held = new Map<string, { households: number; today: number }>();
  for (const h of households) {
    if (!h.volunteer) continue;
    const m = held.get(h.volunteer) ?? { households: 0, today: 0 };
    m.households += 1;
    if (h.last_visit !== null && h.last_visit >= midnight) m.today += 1;
    held.set(h.volunteer, m);
  }
  const byId = new Map(volunteers.filter((r) => r.key).map((r) => [r.key, r]));
  const quota = volunteers.find((r) => r.quota)?.quota?.quota ?? null;
  const zero = { households: 0, visited_households: 0, eligible: 0, cccd: 0, level2: 0, activated: 0, guided: 0 };
  return team.members.map((member) => ({
    member,
    row: byId.get(member.id) ?? {
      key: member.id,
      label: member.name,
      progress: zero,
      target: null,
      quota: quota === null ? null : { done: 0, quota },
    },
    households: held.get(member.id)?.households ?? 0,
    today: held.get(member.id)?.today ?? 0,
  }));
}

/** Households of the team visited today. */
export function visitedToday(households: HouseholdRow[], at: Timestamp): number {
  const midnight = vnMidnight(at);
  return households.filter((h) => h.last_visit !== null && h.last_visit >= midnight).length;
}

export function dayRow(days: DayRow[], at: Timestamp): DayRow | null {
  const today = vnDate(at);
  return days.find((r) => r.day === today) ?? null;
}

/** Whom a street or household can be given to: a whole team, or one volunteer (with the team it
 * goes to); `team: null` hands a household back to its street's team. */
export interface Target {
  team: string | null;
  volunteer: string | null;
  label: string;
}

export interface TargetGroup {
  /** The team's id. */
  id: string;
  label: string;
  targets: Target[];
}

/**
 * The choices, one group per team of `list_teams` (the whole team, then each member), the team
 * `preferTeam` first and the others in the order given. Every team of the plan is offered,
 * whether or not any of its households are on this phone.
 */
export function targetGroups(teams: TeamRow[], d: { targetTeam: (team: string) => string }, preferTeam: string | null): TargetGroup[] {
  const ordered = [...teams.filter((t) => t.id === preferTeam), ...teams.filter((t) => t.id !== preferTeam)];
  return ordered.map((t) => ({
    id: t.id,
    label: t.name,
    targets: [
      { team: t.id, volunteer: null, label: d.targetTeam(t.name) },
      ...t.members.map((m) => ({ team: t.id, volunteer: m.id, label: m.name })),
    ],
  }));
}

/** Who a street or household is with, in words: the volunteer's name, else the team's. */
export function holder(
  a: { team: string | null; volunteer: string | null },
  names: Map<string, string>,
  d: { wholeTeam: string; unknownVolunteer: string; nobody: string },
): string {
  if (a.volunteer) return names.get(a.volunteer) ?? d.unknownVolunteer;
  if (a.team) return `${names.get(a.team) ?? a.team} (${d.wholeTeam})`;
  return d.nobody;
}

/** Names of every team and member of `list_teams`, by id, for `holder`. */
export function rosterNames(teams: TeamRow[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of teams) {
    m.set(t.id, t.name);
    for (const v of t.members) if (!m.has(v.id)) m.set(v.id, v.name);
  }
  return m;
}
