// Figures as the steering committee's reports write them: "607.583 / 859.549 (70,68%)" in
// Vietnamese, "607,583 / 859,549 (70.68%)" in English. The share is truncated, never rounded
// up: a target is not shown as reached before it is.
import type { Lang } from '../lib/bindings/Lang';
import type { Timestamp } from '../lib/bindings/Timestamp';
import type { OfficeDict } from '../lib/i18n/office';
import { vnParts } from '../lib/time';

const nf = (lang: Lang) => new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-US');
const pf = (lang: Lang) => new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function num(n: number, lang: Lang): string {
  return nf(lang).format(n);
}

/** Hundredths of a percent, truncated: 607583 of 859549 → 7068. */
export function basisPoints(value: number, total: number): number {
  return total > 0 ? Math.floor((value * 10000) / total) : 0;
}

/** "70,68%" (vi), "70.68%" (en). */
export function percent(value: number, total: number, lang: Lang): string {
  return `${pf(lang).format(basisPoints(value, total) / 100)}%`;
}

/** "607.583 / 859.549 (70,68%)". */
export function ratio(value: number, total: number, lang: Lang): string {
  return `${num(value, lang)} / ${num(total, lang)} (${percent(value, total, lang)})`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "22/11/2026 19:30" in Vietnam time, the same in both languages. */
export function dateTime(ts: Timestamp): string {
  const p = vnParts(ts);
  return `${pad(p.day)}/${pad(p.month)}/${p.year} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** "2026-11-22" → "22/11/2026". */
export function isoToVn(day: string): string {
  const [y, m, d] = day.split('-');
  return y && m && d ? `${d}/${m}/${y}` : day;
}

/** "5 phút trước", "3 days ago". */
export function ago(ts: Timestamp, ref: Timestamp, d: OfficeDict): string {
  const s = Math.max(0, ref - ts);
  if (s < 60) return d.devices.ago.now;
  if (s < 3600) return d.devices.ago.minutes(Math.floor(s / 60));
  if (s < 86400) return d.devices.ago.hours(Math.floor(s / 3600));
  return d.devices.ago.days(Math.floor(s / 86400));
}

/** "1,2 MB". */
export function fileSize(bytes: number, lang: Lang): string {
  const f = new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-US', { maximumFractionDigits: 1 });
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${f.format(bytes / 1024)} KB`;
  return `${f.format(bytes / 1024 / 1024)} MB`;
}
