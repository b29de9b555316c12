/**
 * Journeys: what a definition is (a graph of steps, each naming its next), the states a
 * journey moves through and the actions allowed from each. Types and pure helpers only:
 * the API, the activities and (later) the journey workflow all read this module.
 *
 *   draft ──publish──▶ active ◀──resume── paused
 *     │                  │  └────pause─────▶ │
 *     └──────────────────┴──archive──────────┴──▶ archived
 *
 * A journey keeps one editable draft; `publish` freezes it as version n+1, never changed
 * after. A profile that entered a version stays on it; new entries take the latest.
 */
import type { Channel, MessageCategory } from './messages';

export const JOURNEY_STATES = ['draft', 'active', 'paused', 'archived'] as const;
export type JourneyState = (typeof JOURNEY_STATES)[number];

export const JOURNEY_ACTIONS = ['edit', 'publish', 'pause', 'resume', 'archive'] as const;
export type JourneyAction = (typeof JOURNEY_ACTIONS)[number];

/** The states each action may be asked in; anything else is a 409 naming the current state. */
export const ALLOWED_FROM: Record<JourneyAction, readonly JourneyState[]> = {
  edit: ['draft', 'active', 'paused'],
  publish: ['draft', 'active', 'paused'],
  pause: ['active'],
  resume: ['paused'],
  archive: ['draft', 'active', 'paused'],
};

export function mayDo(action: JourneyAction, state: JourneyState): boolean {
  return ALLOWED_FROM[action].includes(state);
}

/** Where an allowed action leaves the journey: publishing a draft makes it active; a paused one stays paused (its new version takes entries on resume). */
export function stateAfter(action: JourneyAction, state: JourneyState): JourneyState {
  switch (action) {
    case 'edit':
      return state;
    case 'publish':
      return state === 'draft' ? 'active' : state;
    case 'pause':
      return 'paused';
    case 'resume':
      return 'active';
    case 'archive':
      return 'archived';
  }
}

/** A length of time; the parts add up. */
export interface Duration {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
}

/** The longest wait, wait-for-event timeout or outcome window a step may hold a profile. */
export const MAX_WAIT_DAYS = 90;
export const MAX_WAIT_MS = MAX_WAIT_DAYS * 86_400_000;

export function durationMs(d: Duration): number {
  return ((((d.days ?? 0) * 24 + (d.hours ?? 0)) * 60 + (d.minutes ?? 0)) * 60 + (d.seconds ?? 0)) * 1000;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Conditions on an event's attributes (entry, goal, wait-for-event). */
export const EVENT_CONDITION_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'contains', 'exists', 'notExists'] as const;
export type EventConditionOp = (typeof EVENT_CONDITION_OPS)[number];
export type ConditionValue = string | number | boolean;

/**
 * A value taken from the run instead of written in the definition: `entry.<attribute>` is the
 * entry event's attribute (e.g. the same cartId), `profile.<attribute>` the profile's now.
 */
export const VALUE_FROM = /^(entry|profile)\.([A-Za-z][A-Za-z0-9_]{0,63})$/;

export interface EventCondition {
  attribute: string;
  op: EventConditionOp;
  value?: ConditionValue;
  values?: ConditionValue[];
  valueFrom?: string;
}

export const STEP_KINDS = ['wait', 'waitUntil', 'waitForEvent', 'branch', 'split', 'send', 'updateProfile', 'exit'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Steps that hold a profile on a durable timer; every loop must pass one, or a profile would spin through it. */
export const WAITING_KINDS: readonly StepKind[] = ['wait', 'waitUntil', 'waitForEvent'];

/**
 * What a send may lead to, most specific first: clicked (opened), delivered (a device receipt,
 * or the SMS/e-mail handed over), gatedOut (consent, caps or no address kept it back). Anything
 * else (failed, no receipt within the window) takes `default`.
 */
export const SEND_OUTCOMES = ['clicked', 'delivered', 'gatedOut'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

interface StepBase {
  id: string;
  /** A label for stats and inspection. */
  name?: string;
}

export interface WaitStep extends StepBase {
  kind: 'wait';
  duration: Duration;
  next: string;
}

/** Until the next time the profile's local clock (its device's zone, else the app's) shows `time`, on one of `weekdays` when given. */
export interface WaitUntilStep extends StepBase {
  kind: 'waitUntil';
  time: string;
  weekdays?: Weekday[];
  next: string;
}

export interface WaitForEventStep extends StepBase {
  kind: 'waitForEvent';
  event: string;
  conditions?: EventCondition[];
  timeout: Duration;
  next: { received: string; timedOut: string };
}

/** Every part given must hold, evaluated for this profile when it reaches the branch. */
export interface BranchCondition {
  /** A segment rule (segments/rules.ts): attributes, behaviour, devices, consents, channels. */
  rule?: unknown;
  inSegment?: string;
  notInSegment?: string;
  /** A message on this channel could reach the profile now: an address (push: an installed device with push on) and the consent the category needs. */
  reachable?: { channel: Channel; category: MessageCategory };
}

export interface BranchStep extends StepBase {
  kind: 'branch';
  /** Tried in order; the first that holds is taken. */
  branches: { name?: string; when: BranchCondition; next: string }[];
  default: string;
}

/** Random by percentages, the same path for a profile every time it meets this version's split. */
export interface SplitStep extends StepBase {
  kind: 'split';
  paths: { name?: string; percent: number; next: string }[];
}

export type SendNext = string | ({ [O in SendOutcome]?: string } & { default: string });

export interface SendStep extends StepBase {
  kind: 'send';
  /** Without a version: the latest published one, pinned when the journey is published. */
  template: { id: string; version?: number };
  /** Tried in order: the next when one is gated out, fails, or (push) gets no receipt within `fallbackAfter`. */
  channels: Channel[];
  category: MessageCategory;
  fallbackAfter?: Duration;
  /** How long the step waits for a clicked or delivered outcome before taking `default`; needed when those are branched on. */
  outcomeWindow?: Duration;
  next: SendNext;
}

export type ProfileValue = string | number | boolean | string[] | null | { valueFrom: string };

export interface UpdateProfileStep extends StepBase {
  kind: 'updateProfile';
  /** Attribute → value (null removes it). */
  set: Record<string, ProfileValue>;
  next: string;
}

export interface ExitStep extends StepBase {
  kind: 'exit';
}

export type JourneyStep = WaitStep | WaitUntilStep | WaitForEventStep | BranchStep | SplitStep | SendStep | UpdateProfileStep | ExitStep;

export type JourneyEntry =
  /** `keyAttribute`: one run per value of this entry-event attribute (e.g. cartId), so a second cart enters while the first runs. */
  | { kind: 'event'; event: string; conditions?: EventCondition[]; keyAttribute?: string }
  | { kind: 'segment'; segmentId: string }
  | { kind: 'api' };

export type ReEntry = { policy: 'never' } | { policy: 'afterDays'; days: number } | { policy: 'always' };

export interface JourneyDefinition {
  name: string;
  description?: string;
  entry: JourneyEntry;
  reEntry: ReEntry;
  /** An event that takes the profile out at once, wherever it is, counted as converted. */
  goal?: { event: string; conditions?: EventCondition[] };
  /** A segment the profile must stay in; leaving it exits the journey. */
  exitSegment?: string;
  caps?: { maxConcurrent?: number; maxTotal?: number };
  sendRatePerSecond?: number;
  /** The step a profile enters at; default the first. */
  start?: string;
  steps: JourneyStep[];
}

export function startStepId(d: Pick<JourneyDefinition, 'start' | 'steps'>): string | undefined {
  return d.start ?? d.steps[0]?.id;
}

/** Every step a step leads to, with the field that names it (for error paths: `next.received`, `branches.0.next`). */
export function nextSteps(step: JourneyStep): { field: string; to: string }[] {
  switch (step.kind) {
    case 'exit':
      return [];
    case 'wait':
    case 'waitUntil':
    case 'updateProfile':
      return [{ field: 'next', to: step.next }];
    case 'waitForEvent':
      return [{ field: 'next.received', to: step.next.received }, { field: 'next.timedOut', to: step.next.timedOut }];
    case 'branch':
      return [...step.branches.map((b, i) => ({ field: `branches.${i}.next`, to: b.next })), { field: 'default', to: step.default }];
    case 'split':
      return step.paths.map((p, i) => ({ field: `paths.${i}.next`, to: p.next }));
    case 'send':
      if (typeof step.next === 'string') return [{ field: 'next', to: step.next }];
      return Object.entries(step.next).map(([outcome, to]) => ({ field: `next.${outcome}`, to: to! }));
  }
}
