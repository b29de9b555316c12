/**
 * Quiet hours, the pure part: a daily window of local wall time (e.g. 22:00–09:00, which
 * wraps midnight, or 13:00–14:00) in the profile's zone, during which commercial sends wait
 * (`defer`) or are dropped (`skip`). The window is wall-clock time, so on a night the clocks
 * change it is an hour shorter or longer in real time; its end is the first instant the local
 * clock reads the end time (or, when the clocks jump over it, the moment they jump).
 */
import { instantsOfWallTime, localDayNumber, parseClock, wallTime } from './localTime';

export const QUIET_HOURS_POLICIES = ['defer', 'skip'] as const;
export type QuietHoursPolicy = (typeof QUIET_HOURS_POLICIES)[number];

export interface QuietHours {
  /** `HH:MM` local time the window opens. */
  start: string;
  /** `HH:MM` local time it closes (not included); before `start` when it wraps midnight. */
  end: string;
  policy: QuietHoursPolicy;
}

export type QuietHoursState = { inside: false } | { inside: true; endsAt: Date };

/** Whether `now` is inside the window in `timeZone`, and if so when the window ends. */
export function quietHoursAt(now: Date, timeZone: string, window: Pick<QuietHours, 'start' | 'end'>): QuietHoursState {
  const start = parseClock(window.start);
  const end = parseClock(window.end);
  if (start === end) return { inside: false };
  const t = now.getTime();
  const w = wallTime(t, timeZone);
  const minute = w.hour * 60 + w.minute;
  const wraps = start > end;
  const inside = wraps ? minute >= start || minute < end : minute >= start && minute < end;
  if (!inside) return { inside: false };
  // A wrapping window entered this evening ends tomorrow morning; otherwise it ends today.
  const endDay = localDayNumber(t, timeZone) + (wraps && minute >= start ? 1 : 0);
  // When the clocks go back over the end time it exists twice: the first one still ahead ends the window.
  const endsAt = instantsOfWallTime(endDay, end, timeZone).find((i) => i > t);
  return endsAt === undefined ? { inside: false } : { inside: true, endsAt: new Date(endsAt) };
}

/** `22:00–09:00` */
export function describeWindow(window: Pick<QuietHours, 'start' | 'end'>): string {
  return `${window.start}–${window.end}`;
}
