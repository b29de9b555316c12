/**
 * consentDate as the API takes it: İYS's `YYYY-MM-DD HH:mm:ss` (Turkey time), or ISO-8601
 * with an offset or `Z`. Kept to whole seconds, İYS's precision, so two changes Rota
 * orders one way never compare as equal (or the other way) once pushed to İYS.
 */
import { hasIysDateFormat, parseIysDate } from '../iys/dates';

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The instant (ms, whole seconds) of a consentDate, or undefined when it is neither format or not a real date. */
export function parseConsentDate(text: string): number | undefined {
  if (hasIysDateFormat(text)) return parseIysDate(text);
  if (!ISO_WITH_ZONE.test(text)) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 02-30 into March; the calendar date written must be the one parsed (in its own offset).
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return undefined;
  return Math.floor(ms / 1000) * 1000;
}

export const CONSENT_DATE_FORMATS = 'İYS format "YYYY-MM-DD HH:mm:ss" (Turkey time) or ISO-8601 with an offset, e.g. 2026-05-04T09:30:00+03:00';
