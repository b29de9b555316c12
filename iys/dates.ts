/**
 * İYS dates: `YYYY-MM-DD HH:mm:ss` in Turkey time ("saat dilimi Türkiye saati kabul
 * edilir"). Turkey has been on a fixed UTC+03:00 without DST since September 2016, so a
 * constant offset is exact for every date İYS still accepts (winter dates before that
 * would be an hour off; only HS_2015's fixed 2015-05-01, a summer date, is that old).
 * Pure functions: the simulator and the client share them.
 */

const TURKEY_OFFSET_MS = 3 * 3600_000;
const FORMAT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An instant as İYS writes it (Turkey wall clock). */
export function formatIysDate(instant: Date | number): string {
  const t = new Date((typeof instant === 'number' ? instant : instant.getTime()) + TURKEY_OFFSET_MS);
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
}

/** True when the text has İYS's shape, whether or not it is a real calendar date. */
export function hasIysDateFormat(text: string): boolean {
  return FORMAT.test(text);
}

/** The instant (ms) of an İYS date, or undefined when it is malformed or not a real date (2020-15-01, 02-30, 25:00). */
export function parseIysDate(text: string): number | undefined {
  const m = FORMAT.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2020-02-30 over to March; a real date survives the round trip.
  if (formatIysDate(utc - TURKEY_OFFSET_MS) !== text) return undefined;
  return utc - TURKEY_OFFSET_MS;
}

/** Unix seconds of an İYS date: the first half of a changes-feed cursor. */
export function iysDateToUnixSeconds(text: string): number | undefined {
  const ms = parseIysDate(text);
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}

/** The Turkey calendar day (`YYYY-MM-DD`) of an instant. */
export function turkeyDay(instant: number): string {
  return formatIysDate(instant).slice(0, 10);
}

/**
 * Business days (Monday to Friday, minus `holidays` given as `YYYY-MM-DD`) after the
 * Turkey calendar day of `from`, up to and including the day of `to`. A consent taken on
 * Monday counts 3 on Thursday and 4 on Friday.
 */
export function businessDaysAfter(from: number, to: number, holidays: ReadonlySet<string> = new Set()): number {
  const day = 86_400_000;
  const start = Date.parse(`${turkeyDay(from)}T00:00:00Z`);
  const end = Date.parse(`${turkeyDay(to)}T00:00:00Z`);
  let count = 0;
  for (let t = start + day; t <= end; t += day) {
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !holidays.has(new Date(t).toISOString().slice(0, 10))) count++;
  }
  return count;
}

/** İYS's H467 rule: a consent taken more than `limit` business days ago can no longer be registered. */
export function isTooOldToRegister(consentDate: number, now: number, limit = 3, holidays?: ReadonlySet<string>): boolean {
  return businessDaysAfter(consentDate, now, holidays) > limit;
}
