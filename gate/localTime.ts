/**
 * Calendar maths in a named IANA time zone, with nothing but `Intl`: the local wall time of
 * an instant, the local calendar day as a number, and the instant a local wall time falls on
 * (also across daylight-saving changes, where a wall time may not exist or may exist twice).
 * Pure; the frequency caps and the quiet hours are built on it.
 */
import type { Device } from '../data/models/profiles';

export const DEFAULT_APP_TIME_ZONE = 'Europe/Istanbul';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface WallTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    if (formatters.size > 1000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of `instant` in `timeZone`. */
export function wallTime(instant: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The wall time as if it were UTC, in ms: two wall times compare like instants. */
function wallMs(w: WallTime): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/** How far the zone's clock is ahead of UTC at `instant`, in ms (to the second). */
function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallMs(wallTime(whole, timeZone)) - whole;
}

/** Days since 1970-01-01 of the local calendar date of `instant`: consecutive local days are consecutive numbers, whatever their length. */
export function localDayNumber(instant: number, timeZone: string): number {
  const w = wallTime(instant, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day) / DAY_MS;
}

/**
 * The instants at which the local clock of `timeZone` shows `minuteOfDay` on local day
 * `dayNumber`, earliest first: one, or two when the clocks go back over it; when they jump
 * forward over it, the one instant the jump happens (the first whose wall time is past it).
 */
export function instantsOfWallTime(dayNumber: number, minuteOfDay: number, timeZone: string): number[] {
  const wall = dayNumber * DAY_MS + minuteOfDay * MINUTE_MS;
  // The offsets in force a day either side cover any single transition near the wall time.
  const offsets = [...new Set([offsetAt(wall - DAY_MS, timeZone), offsetAt(wall, timeZone), offsetAt(wall + DAY_MS, timeZone)])];
  const exact = [...new Set(offsets.map((o) => wall - o))].filter((t) => wallMs(wallTime(t, timeZone)) === wall).sort((a, b) => a - b);
  if (exact.length > 0) return exact;
  let lo = Math.floor((wall - Math.max(...offsets)) / MINUTE_MS);
  let hi = Math.ceil((wall - Math.min(...offsets)) / MINUTE_MS);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallMs(wallTime(mid * MINUTE_MS, timeZone)) >= wall) hi = mid;
    else lo = mid + 1;
  }
  return [lo * MINUTE_MS];
}

/**
 * The zone a profile's sends are timed in: its most recently updated device that reports a
 * valid time zone, else the app's zone.
 */
export function profileTimeZone(devices: Pick<Device, 'timeZone' | 'updatedAt'>[] | undefined, appTimeZone: string): { timeZone: string; source: 'device' | 'app' } {
  let best: { timeZone: string; at: number } | undefined;
  for (const d of devices ?? []) {
    if (!isValidTimeZone(d.timeZone)) continue;
    const at = d.updatedAt ? new Date(d.updatedAt).getTime() : 0;
    if (!best || at > best.at) best = { timeZone: d.timeZone, at };
  }
  return best ? { timeZone: best.timeZone, source: 'device' } : { timeZone: appTimeZone, source: 'app' };
}

/** The first instant at or after `now` when the local clock of `timeZone` shows `minuteOfDay` (today's, else tomorrow's). */
export function nextLocalTime(now: number, minuteOfDay: number, timeZone: string): number {
  const today = localDayNumber(now, timeZone);
  for (const day of [today, today + 1, today + 2]) {
    const at = instantsOfWallTime(day, minuteOfDay, timeZone).find((t) => t >= now);
    if (at !== undefined) return at;
  }
  throw new RangeError(`no ${minuteOfDay} minutes after midnight in ${timeZone} within two days`);
}

/** `HH:MM` → minutes after midnight. */
export function parseClock(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new RangeError(`not a HH:MM time: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export const CLOCK_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
