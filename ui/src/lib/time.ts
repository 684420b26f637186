// Time as the campaign reads it: `Timestamp` is unix seconds and Vietnam is UTC+7 all year, so
// local dates and hours are computed with a fixed offset whatever the phone's time zone says.
import type { Timestamp } from './bindings/Timestamp';
import type { Dict } from './i18n/index.svelte';

export const VN_OFFSET = 7 * 3600;

export interface VnParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

export function now(): Timestamp {
  return Math.floor(Date.now() / 1000);
}

export function vnParts(ts: Timestamp): VnParts {
  const d = new Date((ts + VN_OFFSET) * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  };
}

/** The instant of a Vietnam local date and time. */
export function fromVn(year: number, month: number, day: number, hour = 0, minute = 0): Timestamp {
  return Date.UTC(year, month - 1, day, hour, minute) / 1000 - VN_OFFSET;
}

/** Local midnight of the day `ts` falls on. */
export function vnMidnight(ts: Timestamp): Timestamp {
  const p = vnParts(ts);
  return fromVn(p.year, p.month, p.day);
}

export function sameVnDay(a: Timestamp, b: Timestamp): boolean {
  return vnMidnight(a) === vnMidnight(b);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `HH:MM` → minutes after midnight. */
export function parseHm(hm: string): number {
  const [h, m] = hm.split(':');
  return Number(h) * 60 + Number(m ?? 0);
}

export function formatHm(minutes: number): string {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** "T5 26/11" (vi), "Thu 26/11" (en). */
export function formatDay(ts: Timestamp, d: Dict): string {
  const p = vnParts(ts);
  return `${d.time.weekdayShort[p.weekday]} ${pad(p.day)}/${pad(p.month)}`;
}

/** "hôm nay 19:05", "hôm qua 20:10", "T5 26/11 19:00": short and relative to `ref`. */
export function formatWhen(ts: Timestamp, d: Dict, ref: Timestamp = now()): string {
  const p = vnParts(ts);
  const hm = `${pad(p.hour)}:${pad(p.minute)}`;
  const days = Math.round((vnMidnight(ts) - vnMidnight(ref)) / 86400);
  if (days === 0) return d.time.today(hm);
  if (days === -1) return d.time.yesterday(hm);
  if (days === 1) return d.time.tomorrow(hm);
  return `${formatDay(ts, d)} ${hm}`;
}
