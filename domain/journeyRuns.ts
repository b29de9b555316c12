/**
 * Journey runs: what one profile's pass through a journey version is called, what reaches it
 * and how it ends. Pure and deterministic (the journey workflow imports it): ids, the A/B
 * split's bucket, event conditions, a send's outcome.
 *
 * One workflow per journey, profile and entry key: `journey:{appId}:{journeyId}:{profile}[:{key}]`.
 * A run's transitions are numbered (`seq`) within its entry (`entryNo`), so each one is
 * recorded and counted once however often its activity runs.
 */
import type { EventCondition, ConditionValue, SendOutcome } from './journeys';
import type { MessageStatus } from './messages';

/** The key of a run without an entry key (a journey without `keyAttribute`). */
export const NO_ENTRY_KEY = '-';

/** The profile id without its `{appId}:` (lib/ids.ts `localId`, here without Node's crypto for workflow code). */
export function profileLocalId(profileId: string): string {
  return profileId.slice(profileId.indexOf(':') + 1);
}

export function journeyRunKey(profileLocalId: string, entryKey?: string): string {
  return entryKey === undefined ? profileLocalId : `${profileLocalId}:${entryKey}`;
}

export function journeyWorkflowId(appId: string, journeyId: string, profileLocalId: string, entryKey?: string): string {
  return `journey:${appId}:${journeyId}:${journeyRunKey(profileLocalId, entryKey)}`;
}

/** An entry key must fit a workflow id and a stored field name. */
export const ENTRY_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** What reaches a run as a signal: the event's id and name, never its body (an activity reads that). */
export interface JourneyEventSignal {
  eventId: string;
  name: string;
  /** The event (or API enrolment) that asks this run to start. */
  entry?: boolean;
}

/** The signal name of an open of a push a run sent (`$` keeps it apart from the app's event names). */
export const OPENED_SIGNAL = '$opened';

export type JourneyControl = 'archived' | 'resumed';

export type RunStatus = 'active' | 'completed' | 'converted' | 'exited';

/** Why a run ended before its last step. */
export type ExitReason = 'archived' | 'left_segment' | 'exit_step' | 'profile_gone';

/**
 * A split's path for a profile: FNV-1a of journey, version, step and profile, mod 100, against
 * the cumulative percentages. The same profile meets the same path in this version every time.
 */
export function splitBucket(journeyId: string, version: number, stepId: string, profileId: string): number {
  let h = 0x811c9dc5;
  const s = `${journeyId}\u0000${version}\u0000${stepId}\u0000${profileId}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 100;
}

export function splitPath(percents: number[], bucket: number): number {
  let upTo = 0;
  for (let i = 0; i < percents.length; i++) {
    upTo += percents[i]!;
    if (bucket < upTo) return i;
  }
  return percents.length - 1;
}

type Scalar = ConditionValue | null | undefined;

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/**
 * Whether an event's attributes meet the conditions, each compared with its value, its
 * values, or the run's value it names (`entry.<attribute>`, `profile.<attribute>`, given in `from`).
 */
export function eventMatches(conditions: readonly EventCondition[] | undefined, attributes: Record<string, unknown>, from: (ref: string) => Scalar = () => undefined): boolean {
  return (conditions ?? []).every((c) => {
    const actual = attributes[c.attribute];
    const expected = c.valueFrom !== undefined ? from(c.valueFrom) : c.value;
    switch (c.op) {
      case 'exists':
        return actual !== undefined && actual !== null;
      case 'notExists':
        return actual === undefined || actual === null;
      case 'eq':
        return expected !== undefined && actual === expected;
      case 'ne':
        return actual !== expected;
      case 'in':
        return (c.values ?? []).includes(actual as ConditionValue);
      case 'nin':
        return !(c.values ?? []).includes(actual as ConditionValue);
      case 'contains':
        return typeof actual === 'string' && typeof expected === 'string' ? actual.includes(expected) : Array.isArray(actual) && actual.includes(expected);
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const d = compare(actual, expected);
        if (d === undefined) return false;
        return c.op === 'gt' ? d > 0 : c.op === 'gte' ? d >= 0 : c.op === 'lt' ? d < 0 : d <= 0;
      }
    }
  });
}

/** A send step's outcome from its message's final status; `clicked` comes from an opened receipt. */
export function sendOutcomeOf(status: MessageStatus, opened: boolean): SendOutcome | 'failed' {
  if (opened) return 'clicked';
  switch (status) {
    case 'delivered_by_push':
    case 'sms_sent_after_push_timeout':
    case 'sms_sent_push_unavailable':
    case 'email_sent_after_push_timeout':
    case 'email_sent_push_unavailable':
    case 'email_sent':
    case 'sms_sent':
      return 'delivered';
    case 'skipped':
      return 'gatedOut';
    default:
      return 'failed';
  }
}

/** A gate reason as a stats key: its code before any detail, without the characters a field name may not hold. */
export function reasonKey(reason: string | undefined): string {
  return (reason ?? 'unknown').split(':')[0]!.replace(/[.$\s]/g, '_').slice(0, 64) || 'unknown';
}
