// A team lead's planning, as the screens send and show it: the hard-case reasons in the command
// table's order, the exact arguments of `flag_hard_case` / `unflag_hard_case` /
// `set_team_schedule`, the schedule's days (from the campaign's days) and its half-hour times.
// Pure functions, so tests check them without screens.
import type { DayRow } from './bindings/DayRow';
import type { FlagHardCase } from './bindings/FlagHardCase';
import type { HardCase } from './bindings/HardCase';
import type { SetTeamSchedule } from './bindings/SetTeamSchedule';
import type { TeamSession } from './bindings/TeamSession';
import type { UnflagHardCase } from './bindings/UnflagHardCase';
import { formatHm } from './time';

/** The reasons in `HardCase` order (the order `hard_cases` gives them). */
export const HARD_CASES: readonly HardCase[] = ['elderly', 'bedridden', 'disabled', 'needs_interpreter'];

/** Adds or removes a reason, keeping the command table's order. */
export function toggleReason(reasons: HardCase[], r: HardCase): HardCase[] {
  const on = reasons.includes(r) ? reasons.filter((x) => x !== r) : [...reasons, r];
  return HARD_CASES.filter((x) => on.includes(x));
}

/**
 * `flag_hard_case`'s arguments: the household and its reasons, the note only when there is one
 * (the command defaults it to empty), the mobile team only when the lead chose one.
 */
export function flagArgs(household: string, reasons: HardCase[], note: string, toTeam: string | null): FlagHardCase {
  const n = note.trim();
  return {
    household,
    reasons: HARD_CASES.filter((x) => reasons.includes(x)),
    ...(n ? { note: n } : {}),
    ...(toTeam ? { to_team: toTeam } : {}),
  } as FlagHardCase;
}

/**
 * `unflag_hard_case`'s arguments: no reasons means all of them (so clearing every flagged reason
 * sends none), `hand_back` only when set.
 */
export function unflagArgs(household: string, clear: HardCase[], flagged: HardCase[], handBack: boolean): UnflagHardCase {
  const all = flagged.every((x) => clear.includes(x));
  return {
    household,
    ...(all ? {} : { reasons: HARD_CASES.filter((x) => clear.includes(x)) }),
    ...(handBack ? { hand_back: true } : {}),
  } as UnflagHardCase;
}

/** Times of day from `from` to `to` (minutes since midnight) in 30-minute steps, as `HH:MM`. */
export function halfHours(from = 6 * 60, to = 23 * 60 + 30): string[] {
  const out: string[] = [];
  for (let m = from; m <= to; m += 30) out.push(formatHm(m));
  return out;
}

/** Days a session can be put on: the campaign's days (`daily_progress` has one row for each)
 * from `today` on, plus `keep` (the date of the session being edited) when it is earlier. */
export function scheduleDays(days: DayRow[], today: string, keep: string | null = null): string[] {
  const out = days.map((r) => r.day).filter((x) => x >= today || x === keep);
  if (keep && !out.includes(keep)) out.unshift(keep);
  return out;
}

/** Sessions by date, then start, then place. */
export function sortSessions(sessions: TeamSession[]): TeamSession[] {
  return [...sessions].sort((a, b) => a.date.localeCompare(b.date) || a.start.localeCompare(b.start) || a.place.localeCompare(b.place, 'vi'));
}

export interface SessionDraft {
  id: string | null;
  date: string;
  start: string;
  end: string;
  place: string;
  note: string;
}

/** `set_team_schedule`'s arguments: `id` only when rewriting, `note` only when there is one. */
export function sessionArgs(team: string, s: SessionDraft): SetTeamSchedule {
  const note = s.note.trim();
  return {
    ...(s.id ? { id: s.id } : {}),
    team,
    date: s.date,
    start: s.start,
    end: s.end,
    place: s.place.trim(),
    ...(note ? { note } : {}),
  };
}

/** `YYYY-MM-DD` as the phone writes a day: weekday and day/month ("T2 23/11"). */
export function dayLabel(day: string, weekdays: readonly string[]): string {
  const [y, m, dd] = day.split('-').map(Number);
  if (!y || !m || !dd) return day;
  const wd = new Date(Date.UTC(y, m - 1, dd)).getUTCDay();
  return `${weekdays[wd] ?? ''} ${String(dd).padStart(2, '0')}/${String(m).padStart(2, '0')}`.trim();
}
