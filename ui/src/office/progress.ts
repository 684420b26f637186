// The progress page's figures from what `progress`, `leaderboard` and `daily_progress` answer:
// sorting a breakdown by a column, naming the "no team yet" row, the trend chart's series.
import type { DayRow } from '../lib/bindings/DayRow';
import type { ProgressRow } from '../lib/bindings/ProgressRow';
import type { OfficeDict } from '../lib/i18n/office';
import { basisPoints } from './format';

export type SortKey = 'name' | 'households' | 'visited' | 'eligible' | 'cccd' | 'level2' | 'activated' | 'share' | 'quota';

export function sortValue(r: ProgressRow, key: SortKey): number | string {
  const p = r.progress;
  switch (key) {
    case 'name':
      return r.label;
    case 'households':
      return p.households;
    case 'visited':
      return p.visited_households;
    case 'eligible':
      return p.eligible;
    case 'cccd':
      return p.cccd;
    case 'level2':
      return p.level2;
    case 'activated':
      return p.activated;
    case 'share':
      return basisPoints(p.activated, p.eligible);
    case 'quota':
      return r.quota ? basisPoints(r.quota.done, r.quota.quota) : -1;
  }
}

/** A copy sorted by the column; ties keep the command's order. Names compare as Vietnamese. */
export function sortRows(rows: ProgressRow[], key: SortKey, dir: 'asc' | 'desc'): ProgressRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((r, i) => [r, i] as const)
    .sort(([a, i], [b, j]) => {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
      const c = typeof x === 'string' && typeof y === 'string' ? x.localeCompare(y, 'vi') : Number(x) - Number(y);
      return c * sign || i - j;
    })
    .map(([r]) => r);
}

export function rowName(r: ProgressRow, d: OfficeDict): string {
  return r.key === '' && r.label === '' ? d.progress.unassigned : r.label || r.key;
}

export interface Trend {
  /** Unix seconds at noon of each campaign day (Vietnam). */
  x: number[];
  activated: (number | null)[];
  target: number[];
  visits: (number | null)[];
}

/** The chart's series: days up to today drawn, later days left empty; the target flat. */
export function trendSeries(days: DayRow[], target: number, today: string): Trend {
  const x: number[] = [];
  const activated: (number | null)[] = [];
  const visits: (number | null)[] = [];
  for (const d of days) {
    const [y, m, dd] = d.day.split('-').map(Number);
    x.push(Date.UTC(y ?? 1970, (m ?? 1) - 1, dd ?? 1, 5) / 1000);
    const future = d.day > today;
    activated.push(future ? null : d.cumulative_activated);
    visits.push(future ? null : d.visits);
  }
  return { x, activated, target: days.map(() => target), visits };
}
