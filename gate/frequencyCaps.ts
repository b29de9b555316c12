/**
 * Frequency caps, the pure part: rules such as "at most 3 commercial messages per profile
 * per 7 days", across channels or on one, counted in calendar days of the profile's time
 * zone (today and the days before it: 7 days = today + the 6 local dates before), and the
 * decision for each claim of a profile's cap ledger (gate/capLedger.ts keeps the ledger in
 * MongoDB and explains why deciding this way is race-free).
 *
 * A ledger is the profile's commercial sends in the order they were claimed, each entry
 * carrying the rules that applied to it. Whether an entry is admitted is a function of the
 * entries before it alone, decided as if they had come one at a time: an entry is admitted
 * when, for each of its rules, fewer than `max` other messages in that rule's scope were
 * admitted on the rule's days up to the entry's day, or its own message already holds a slot
 * of that rule (the SMS fallback of a push that was admitted under a cross-channel rule).
 */
import { CHANNELS, type Channel } from '../domain/messages';

export const CAP_SCOPES = ['any', ...CHANNELS] as const;
/** `any`: every channel counts toward the rule; a channel: only sends on that channel. */
export type CapScope = (typeof CAP_SCOPES)[number];

export interface CapRule {
  max: number;
  days: number;
  channel: CapScope;
}

export const MAX_CAP_DAYS = 90;

/** One claim in a ledger: a message's send on one channel. */
export interface CapEntry {
  /** The claim's key, one per message and channel (a field-name-safe digest of both). */
  k: string;
  /** The message id. */
  m: string;
  c: Channel;
  /** Local day number (gate/localTime.ts `localDayNumber`) in the profile's zone when it was claimed. */
  d: number;
  /** The rules that applied to it, `encodeRules`. */
  r: string;
  /** 1: sent with `overrideCaps`; admitted whatever the count, and counted. */
  f?: 1;
}

export interface CapCount {
  rule: CapRule;
  /** Messages in the rule's window with this one (admitted) or without it (refused). */
  used: number;
}

export interface CapVerdict {
  admitted: boolean;
  overridden?: boolean;
  /** The rule that refused it. */
  refusedBy?: CapCount;
  /** Each rule it was counted under. */
  counts: CapCount[];
}

export function rulesFor(channel: Channel, rules: readonly CapRule[]): CapRule[] {
  return rules.filter((r) => r.channel === 'any' || r.channel === channel);
}

/** `any:3:7,push:1:1`: compact, and compared as a plain value when a claim is repeated. */
export function encodeRules(rules: readonly CapRule[]): string {
  return rules.map((r) => `${r.channel}:${r.max}:${r.days}`).join(',');
}

export function decodeRules(encoded: string): CapRule[] {
  if (!encoded) return [];
  return encoded.split(',').map((part) => {
    const [channel, max, days] = part.split(':');
    return { channel: channel as CapScope, max: Number(max), days: Number(days) };
  });
}

export function describeRule(rule: CapRule): string {
  const per = rule.days === 1 ? 'per day' : `per ${rule.days} days`;
  const scope = rule.channel === 'any' ? 'across channels' : `by ${rule.channel}`;
  return `at most ${rule.max} commercial message${rule.max === 1 ? '' : 's'} ${per} ${scope}`;
}

interface Admitted {
  m: string;
  c: Channel;
  d: number;
}

/**
 * The verdict on every claim of a ledger, by claim key (the first entry of a key decides;
 * a repeated claim is the same claim). `frozen` holds verdicts written down when old
 * entries were dropped from the ledger (1 admitted, 0 refused): they stand as written.
 */
export function evaluateLedger(entries: readonly CapEntry[], frozen: Readonly<Record<string, number>> = {}): Map<string, CapVerdict> {
  const verdicts = new Map<string, CapVerdict>();
  const admitted: Admitted[] = [];
  for (const e of entries) {
    if (verdicts.has(e.k)) continue;
    let verdict: CapVerdict;
    const written = frozen[e.k];
    if (written !== undefined) verdict = { admitted: written === 1, counts: [] };
    else if (e.f === 1) verdict = { admitted: true, overridden: true, counts: [] };
    else verdict = decide(e, admitted);
    verdicts.set(e.k, verdict);
    if (verdict.admitted) admitted.push({ m: e.m, c: e.c, d: e.d });
  }
  return verdicts;
}

function decide(e: CapEntry, admitted: readonly Admitted[]): CapVerdict {
  const counts: CapCount[] = [];
  for (const rule of decodeRules(e.r)) {
    const inScope = (a: Admitted) => rule.channel === 'any' || a.c === rule.channel;
    const from = e.d - rule.days + 1;
    const others = new Set<string>();
    let holdsSlot = false;
    for (const a of admitted) {
      if (!inScope(a)) continue;
      if (a.m === e.m) holdsSlot = true;
      else if (a.d >= from) others.add(a.m);
    }
    if (!holdsSlot && others.size >= rule.max) return { admitted: false, refusedBy: { rule, used: others.size }, counts };
    counts.push({ rule, used: others.size + 1 });
  }
  return { admitted: true, counts };
}

/** The gate's reason text for a verdict. */
export function capReason(v: CapVerdict): string {
  if (v.overridden) return 'frequency_cap_overridden: sent with overrideCaps by an operator (counted toward later caps)';
  if (!v.admitted) {
    const refused = v.refusedBy;
    return refused ? `frequency_cap: ${describeRule(refused.rule)}; ${refused.used} already sent in the window` : 'frequency_cap: over the cap';
  }
  if (v.counts.length === 0) return 'frequency_cap_ok: no cap applies';
  return `frequency_cap_ok: ${v.counts.map((c) => `${c.used} of ${describeRule(c.rule)}`).join(', ')}`;
}

/**
 * The first local day a ledger must keep: every window of every rule (the entries' own and
 * the app's current ones) reaching back from `today`, plus room for a message's later
 * channel (a fallback SMS up to 7 days after its push, a quiet-hours deferral) to find the
 * slot its message already holds. Rules added later find sends at least a month back.
 */
export function firstDayToKeep(today: number, entries: readonly CapEntry[], rules: readonly CapRule[]): number {
  let longest = 31;
  for (const r of rules) longest = Math.max(longest, r.days);
  for (const e of entries) for (const r of decodeRules(e.r)) longest = Math.max(longest, r.days);
  return today - longest - 9;
}
