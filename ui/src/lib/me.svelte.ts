// Who this device acts for (`whoami`), asked once and shared by the screens that differ by role:
// team leads and the ward office also see the team board and may reassign work.
import type { CommandError } from './bindings/CommandError';
import type { Role } from './bindings/Role';
import type { WhoAmI } from './bindings/WhoAmI';
import { call } from './api';

export const me = $state<{ who: WhoAmI | null; error: CommandError | null }>({ who: null, error: null });

let pending: Promise<WhoAmI | null> | null = null;

/** Asks `whoami` (again when `fresh`, e.g. after pairing); concurrent callers share one call. */
export function loadMe(fresh = false): Promise<WhoAmI | null> {
  if (!fresh && me.who) return Promise.resolve(me.who);
  if (!fresh && pending) return pending;
  pending = call('whoami', null).then((r) => {
    pending = null;
    if (r.ok) {
      me.who = r.value;
      me.error = null;
      return r.value;
    }
    me.error = r.error;
    return null;
  });
  return pending;
}

/** Whether a role manages teams: leads their own, the office every team. */
export function managesTeams(role: Role | undefined | null): boolean {
  return role === 'lead' || role === 'office';
}

export function resetMe(): void {
  me.who = null;
  me.error = null;
  pending = null;
}
