// A street's households with every resident, for the paper list and the paper results:
// `list_households {street}`, then `household_detail` for each, a few at a time, in house
// number order.
import type { HouseholdView } from '../lib/bindings/HouseholdView';
import { call } from '../lib/api';
import type { Result } from '../lib/transport';
import { ok } from '../lib/transport';

/** "12" < "12A" < "20" < "ngõ 3": numbers first by value, then the rest as Vietnamese text. */
export function byHouseNo(a: string, b: string): number {
  const x = parseInt(a, 10);
  const y = parseInt(b, 10);
  if (!Number.isNaN(x) && !Number.isNaN(y) && x !== y) return x - y;
  if (Number.isNaN(x) !== Number.isNaN(y)) return Number.isNaN(x) ? 1 : -1;
  return a.localeCompare(b, 'vi', { numeric: true });
}

export async function streetHouseholds(street: string, onProgress: (done: number, all: number) => void, parallel = 4): Promise<Result<HouseholdView[]>> {
  const list = await call('list_households', { filter: { street } });
  if (!list.ok) return list;
  const rows = [...list.value].sort((p, q) => byHouseNo(p.house_no, q.house_no) || p.id.localeCompare(q.id));
  const out: (HouseholdView | null)[] = rows.map(() => null);
  let next = 0;
  let done = 0;
  let failed: Result<HouseholdView[]> | null = null;
  onProgress(0, rows.length);
  async function worker() {
    while (next < rows.length && !failed) {
      const i = next++;
      const row = rows[i];
      if (!row) continue;
      const r = await call('household_detail', { id: row.id });
      if (!r.ok) {
        failed = r;
        return;
      }
      out[i] = r.value;
      onProgress(++done, rows.length);
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, rows.length) }, worker));
  if (failed) return failed;
  return ok(out.filter((x): x is HouseholdView => x !== null));
}
