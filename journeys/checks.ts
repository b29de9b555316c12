/**
 * The checks of one step, and of the journey-level settings, that need nothing but the
 * definition itself: durations in range, split percentages, the operands each condition
 * needs, send outcomes and their window, caps that agree. Pure.
 */
import {
  durationMs, MAX_WAIT_DAYS, MAX_WAIT_MS, VALUE_FROM, type Duration, type EventCondition, type JourneyDefinition, type JourneyStep,
} from '../domain/journeys';
import type { FieldIssue } from '../lib/invalidInput';
import type { PlacedStep } from './graph';

/** Profile attributes a definition names, each with where, looked up in the registry afterwards. */
export type AttributeRefs = { name: string; path: string }[];

/** What `entry.<attribute>` may refer to where a condition is written. */
export type EntryScope = 'event' | 'noEvent' | 'isEntry';

const SCOPE_PROBLEM: Record<Exclude<EntryScope, 'event'>, string> = {
  noEvent: 'entry.<attribute> refers to the entry event, and this journey is not entered by an event',
  isEntry: 'entry conditions are on the entry event itself: name its attribute, not entry.<attribute>',
};

export function durationIssues(d: Duration | undefined, path: string): FieldIssue[] {
  if (d === undefined) return [];
  const ms = durationMs(d);
  if (ms <= 0) return [{ path, message: 'must be longer than 0' }];
  if (ms > MAX_WAIT_MS) return [{ path, message: `must be at most ${MAX_WAIT_DAYS} days` }];
  return [];
}

/** Where a copied value comes from must exist where it is written; `profile.` names are collected in `refs`. */
export function valueFromIssues(valueFrom: string, path: string, scope: EntryScope, refs: AttributeRefs): FieldIssue[] {
  const [, source, name] = VALUE_FROM.exec(valueFrom)!;
  if (source === 'profile') refs.push({ name: name!, path });
  else if (scope !== 'event') return [{ path, message: SCOPE_PROBLEM[scope] }];
  return [];
}

export function conditionIssues(list: EventCondition[] | undefined, path: string, scope: EntryScope, refs: AttributeRefs): FieldIssue[] {
  const issues: FieldIssue[] = [];
  (list ?? []).forEach((c, i) => {
    const at = `${path}.${i}`;
    const given = (['value', 'values', 'valueFrom'] as const).filter((k) => c[k] !== undefined);
    const needs = c.op === 'exists' || c.op === 'notExists' ? [] : c.op === 'in' || c.op === 'nin' ? ['values'] : ['value or valueFrom'];
    if (needs.length === 0 && given.length > 0) issues.push({ path: `${at}.${given[0]}`, message: `${c.op} takes no ${given[0]}` });
    else if (needs[0] === 'values' && (c.values === undefined || given.length > 1)) issues.push({ path: `${at}.values`, message: `${c.op} takes values (a list), and only that` });
    else if (needs[0] === 'value or valueFrom' && (given.length !== 1 || c.values !== undefined)) issues.push({ path: `${at}.value`, message: `${c.op} takes exactly one of value and valueFrom` });
    else if (c.op === 'contains' && c.value !== undefined && typeof c.value !== 'string') issues.push({ path: `${at}.value`, message: 'contains takes a string' });
    if (c.valueFrom !== undefined) issues.push(...valueFromIssues(c.valueFrom, `${at}.valueFrom`, scope, refs));
  });
  return issues;
}

export function settingsIssues(d: Omit<JourneyDefinition, 'steps'>, at: string, refs: AttributeRefs): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (d.entry.kind === 'event') issues.push(...conditionIssues(d.entry.conditions, `${at}.entry.conditions`, 'isEntry', refs));
  issues.push(...conditionIssues(d.goal?.conditions, `${at}.goal.conditions`, entryScope(d), refs));
  if (d.caps) {
    const { maxConcurrent, maxTotal } = d.caps;
    if (maxConcurrent === undefined && maxTotal === undefined) issues.push({ path: `${at}.caps`, message: 'give maxConcurrent, maxTotal or both' });
    if (maxConcurrent !== undefined && maxTotal !== undefined && maxConcurrent > maxTotal) issues.push({ path: `${at}.caps.maxConcurrent`, message: `cannot exceed maxTotal (${maxTotal})` });
  }
  return issues;
}

export function entryScope(d: Pick<JourneyDefinition, 'entry'>): EntryScope {
  return d.entry.kind === 'event' ? 'event' : 'noEvent';
}

export function stepIssues({ step, path }: PlacedStep, scope: EntryScope, refs: AttributeRefs): FieldIssue[] {
  const s: JourneyStep = step;
  switch (s.kind) {
    case 'wait':
      return durationIssues(s.duration, `${path}.duration`);
    case 'waitUntil':
      return new Set(s.weekdays).size === (s.weekdays ?? []).length ? [] : [{ path: `${path}.weekdays`, message: 'a day may appear once' }];
    case 'waitForEvent':
      return [...durationIssues(s.timeout, `${path}.timeout`), ...conditionIssues(s.conditions, `${path}.conditions`, scope, refs)];
    case 'branch':
      return s.branches.flatMap((b, i) => (Object.keys(b.when).length === 0 ? [{ path: `${path}.branches.${i}.when`, message: 'give at least one of rule, inSegment, notInSegment and reachable' }] : []));
    case 'split': {
      const sum = s.paths.reduce((n, p) => n + p.percent, 0);
      return sum === 100 ? [] : [{ path: `${path}.paths`, message: `percentages must sum to 100 (these sum to ${sum})` }];
    }
    case 'send':
      return sendIssues(s, path);
    case 'updateProfile':
      return Object.entries(s.set).flatMap(([name, v]) => {
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) return valueFromIssues(v.valueFrom, `${path}.set.${name}.valueFrom`, scope, refs);
        return [];
      });
    case 'exit':
      return [];
  }
}

function sendIssues(s: Extract<JourneyStep, { kind: 'send' }>, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (new Set(s.channels).size !== s.channels.length) issues.push({ path: `${path}.channels`, message: 'a channel may appear once' });
  const waitsForOutcome = typeof s.next !== 'string' && (s.next.clicked !== undefined || s.next.delivered !== undefined);
  if (waitsForOutcome && s.outcomeWindow === undefined) issues.push({ path: `${path}.outcomeWindow`, message: 'is required when next branches on clicked or delivered: how long to wait for them' });
  if (!waitsForOutcome && s.outcomeWindow !== undefined) issues.push({ path: `${path}.outcomeWindow`, message: 'applies only when next branches on clicked or delivered' });
  if (s.fallbackAfter !== undefined && !(s.channels[0] === 'push' && s.channels.length > 1)) issues.push({ path: `${path}.fallbackAfter`, message: 'applies only when push is followed by another channel' });
  return [...issues, ...durationIssues(s.fallbackAfter, `${path}.fallbackAfter`), ...durationIssues(s.outcomeWindow, `${path}.outcomeWindow`)];
}
