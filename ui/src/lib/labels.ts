// Words for the command table's codes (funnel steps, outcomes, blockers, hard-case reasons) in the UI's language.
import type { Blocker } from './bindings/Blocker';
import type { Funnel } from './bindings/Funnel';
import type { HardCase } from './bindings/HardCase';
import type { HouseholdOutcome } from './bindings/HouseholdOutcome';
import type { Dict } from './i18n/index.svelte';
import type { Fact } from './visit';

export function stageLabel(f: Funnel, stage: number, d: Dict): string {
  if (stage === 0 && f.cccd === 'applied') return d.funnel.cccdApplied;
  if (stage === 3) return f.activation === 'level2' ? d.funnel.activationLevel2 : d.funnel.activationLevel1;
  return d.funnel.stage[stage] ?? d.funnel.stage[0] ?? '';
}

export function cccdLabel(f: Funnel, d: Dict): string {
  return { none: d.funnel.cccdNone, applied: d.funnel.cccdApplied, has: d.funnel.cccdHas }[f.cccd];
}

export function activationLabel(f: Funnel, d: Dict): string {
  return { none: d.funnel.activationNone, level1: d.funnel.activationLevel1, level2: d.funnel.activationLevel2 }[f.activation];
}

export function outcomeLabel(o: HouseholdOutcome, d: Dict): string {
  return {
    met: d.visit.outcomeMet,
    nobody_home: d.visit.outcomeNobodyHome,
    refused: d.visit.outcomeRefused,
    session: d.visit.outcomeMet,
    booking: d.visit.revisit,
  }[o];
}

export function blockerLabel(b: Blocker, d: Dict): string {
  return d.blocker[b];
}

export function factLabel(f: Fact, d: Dict): string {
  return {
    level2: d.visit.chipLevel2,
    level1: d.visit.chipLevel1,
    level2_collected: d.visit.chipLevel2Collected,
    cccd_has: d.visit.chipCccdHas,
    cccd_applied: d.visit.chipCccdApplied,
    guided: d.visit.chipGuided,
  }[f];
}

export const BLOCKERS: Blocker[] = [
  'no_smartphone',
  'phone_not_own_name',
  'away',
  'needs_equipment',
  'needs_interpreter',
  'cannot_read',
  'refused',
  'moved_out',
  'deceased',
  'done_elsewhere',
];

export function hardCaseLabel(r: HardCase, d: Dict): string {
  return d.hardCase[r];
}
