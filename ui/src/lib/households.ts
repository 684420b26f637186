// The households list's filters and search, over the rows `list_households` returned (already in
// easy-first order, which filtering keeps). Search folds diacritics like the server does.
import type { HouseholdRow } from './bindings/HouseholdRow';
import { matches } from './fold';
import { sameVnDay } from './time';

export type ListFilter = 'all' | 'not_visited' | 'revisit_today' | 'hard';
export const LIST_FILTERS: ListFilter[] = ['all', 'not_visited', 'revisit_today', 'hard'];

/** Work left and something in the way: a blocker on the household or an open resident. */
export function isHard(r: HouseholdRow): boolean {
  return r.n_open > 0 && r.blockers.length > 0;
}

export function passes(r: HouseholdRow, filter: ListFilter, now: number): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'not_visited':
      return r.n_visits === 0;
    case 'revisit_today':
      return r.revisit_at !== null && sameVnDay(r.revisit_at, now);
    case 'hard':
      return isHard(r);
  }
}

/** What a row can be found by locally: house number, street, head of household, address. */
export function searchText(r: HouseholdRow): string {
  return `${r.house_no} ${r.street_name} ${r.head} ${r.address}`;
}

/**
 * Rows passing the filter whose text matches the query, or which the server found by another
 * resident's name (`serverHits`: household ids from the `search` command).
 */
export function visibleRows(
  rows: HouseholdRow[],
  filter: ListFilter,
  query: string,
  now: number,
  serverHits: { has(id: string): boolean } = new Set(),
): HouseholdRow[] {
  return rows.filter(
    (r) => passes(r, filter, now) && (matches(searchText(r), query) || serverHits.has(r.id)),
  );
}
