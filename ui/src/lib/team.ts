// The team board's figures and the reassign screen's choices, computed from what the command
// table answers (`progress`/`leaderboard` by volunteer and team, the team's households and
// streets, `daily_progress`). Pure functions, so tests check them without screens.
import type { DayRow } from './bindings/DayRow';
import type { HouseholdRow } from './bindings/HouseholdRow';
import type { ProgressRow } from './bindings/ProgressRow';
import type { Timestamp } from './bindings/Timestamp';
import { vnMidnight, vnParts } from './time';

export interface MemberLine {
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
 * One line per volunteer of the team, in the order `progress` gives (the roster's). A team's
 * members are the volunteers holding its households: no command lists a roster yet, so a
 * volunteer given nothing so far does not show.
 */
export function teamMembers(volunteers: ProgressRow[], households: HouseholdRow[], at: Timestamp): MemberLine[] {
  const midnight = vnMidnight(at);
  const held = new Map<string, { households: number; today: number }>();
  for (const h of households) {
    if (!h.volunteer) continue;
    const m = held.get(h.volunteer) ?? { households: 0, today: 0 };
    m.households += 1;
    if (h.last_visit !== null && h.last_visit >= midnight) m.today += 1;
    held.set(h.volunteer, m);
  }
  return volunteers
    .filter((r) => r.key && held.has(r.key))
    .map((row) => ({ row, households: held.get(row.key)?.households ?? 0, today: held.get(row.key)?.today ?? 0 }));
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
  label: string;
  targets: Target[];
}

/**
 * The choices, one group per team (the whole team, then its volunteers), `preferTeam` first;
 * then volunteers of no known team, given with `fallbackTeam` (the lead's own) when there is one.
 * A volunteer's team is learnt from the streets and households assigned to them.
 */
export function targetGroups(
  teams: ProgressRow[],
  volunteers: ProgressRow[],
  assigned: { team: string | null; volunteer: string | null }[],
  d: { targetTeam: (team: string) => string; otherVolunteers: string },
  preferTeam: string | null,
  fallbackTeam: string | null,
): TargetGroup[] {
  const teamOf = new Map<string, string>();
  for (const a of assigned) if (a.volunteer && a.team && !teamOf.has(a.volunteer)) teamOf.set(a.volunteer, a.team);
  const named = teams.filter((t) => t.key);
  const ordered = [...named.filter((t) => t.key === preferTeam), ...named.filter((t) => t.key !== preferTeam)];
  const groups: TargetGroup[] = ordered.map((t) => ({
    label: t.label,
    targets: [
      { team: t.key, volunteer: null, label: d.targetTeam(t.label) },
      ...volunteers.filter((v) => v.key && teamOf.get(v.key) === t.key).map((v) => ({ team: t.key, volunteer: v.key, label: v.label })),
    ],
  }));
  const known = new Set(named.map((t) => t.key));
  const others = volunteers.filter((v) => v.key && !known.has(teamOf.get(v.key) ?? ''));
  if (fallbackTeam && others.length > 0) {
    groups.push({ label: d.otherVolunteers, targets: others.map((v) => ({ team: fallbackTeam, volunteer: v.key, label: v.label })) });
  }
  return groups;
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

export function labels(...rows: ProgressRow[][]): Map<string, string> {
  const m = new Map<string, string>();
  for (const rs of rows) for (const r of rs) if (r.key) m.set(r.key, r.label);
  return m;
}
