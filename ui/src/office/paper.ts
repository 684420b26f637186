// What one line of a paper household list becomes: a `record_visit` credited to the volunteer
// who went (`volunteer` set: the office enters it for them), with the boxes ticked on paper as
// funnel facts (merged upwards by the store, never lowered), or "nobody at home".
import type { Funnel } from '../lib/bindings/Funnel';
import type { RecordVisit } from '../lib/bindings/RecordVisit';

export interface PaperBoxes {
  cccd: boolean;
  level2: boolean;
  activated: boolean;
}

export interface PaperLine {
  household: string;
  volunteer: string;
  /** `YYYY-MM-DD` and `HH:MM`, Vietnam time. */
  date: string;
  time: string;
  notHome: boolean;
  residents: Record<string, PaperBoxes>;
  note: string;
}

export function reachedOf(b: PaperBoxes): Funnel {
  return { cccd: b.cccd ? 'has' : 'none', level2_collected: b.level2, activation: b.activated ? 'level1' : 'none', guided: false };
}

/** Whether the line says anything: a ticked box or "nobody at home". */
export function hasResult(l: PaperLine): boolean {
  return l.notHome || Object.values(l.residents).some((b) => b.cccd || b.level2 || b.activated);
}

export function paperVisit(l: PaperLine): RecordVisit {
  const residents = l.notHome
    ? []
    : Object.entries(l.residents)
        .filter(([, b]) => b.cccd || b.level2 || b.activated)
        .map(([resident, b]) => ({ resident, reached: reachedOf(b) }));
  return {
    household: l.household,
    outcome: l.notHome ? 'nobody_home' : 'met',
    residents,
    household_blockers: l.notHome ? ['nobody_home'] : [],
    note: l.note.trim(),
    at: `${l.date} ${l.time}`,
    volunteer: l.volunteer,
  };
}
