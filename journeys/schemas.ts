/**
 * Shapes of a journey definition and of the journey API. These check each part's form; what
 * needs the whole graph or the app's templates, segments and attributes is journeys/validate.ts.
 */
import { z } from 'zod';
import { ATTRIBUTE_NAME } from '../domain/attributes';
import {
  EVENT_CONDITION_OPS, JOURNEY_STATES, MAX_WAIT_DAYS, SEND_OUTCOMES, STEP_KINDS, VALUE_FROM, WEEKDAYS, type JourneyDefinition,
} from '../domain/journeys';
import { CHANNELS, MESSAGE_CATEGORIES } from '../domain/messages';
import { eventNameSchema } from '../events/schemas';
import { CLOCK_PATTERN } from '../gate/localTime';
import { ruleDoc } from '../segments/rules';
import { segmentIdSchema } from '../segments/segmentSchemas';
import { templateIdSchema } from '../templates/schemas';

export const MAX_STEPS = 200;
export const MAX_PATHS = 10;
export const MAX_CONDITIONS = 20;

export const journeyIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, _ and -, at most 64');
export const stepIdSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a letter, then letters, digits, _ and -, at most 64');
const attributeName = z.string().regex(ATTRIBUTE_NAME, 'letters, digits and _, starting with a letter (at most 64)');
const label = z.string().min(1).max(200);

const part = z.number().int().min(0).max(1_000_000);
export const durationSchema = z
  .strictObject({ days: part.optional(), hours: part.optional(), minutes: part.optional(), seconds: part.optional() })
  .describe(`a length of time, its parts added up, e.g. {"hours": 2}; more than 0 and at most ${MAX_WAIT_DAYS} days`);

const scalar = z.union([z.string().max(1000), z.number(), z.boolean()]);
const valueFrom = z.string().regex(VALUE_FROM, 'entry.<attribute> (the entry event\'s) or profile.<attribute>').describe('take the value from the run: entry.<attribute> is the entry event\'s (e.g. entry.cartId), profile.<attribute> the profile\'s');

export const eventConditionSchema = z
  .strictObject({
    attribute: attributeName.describe("an attribute of the event"),
    op: z.enum(EVENT_CONDITION_OPS),
    value: scalar.optional().describe('eq, ne, gt, gte, lt, lte, contains'),
    values: z.array(scalar).min(1).max(100).optional().describe('in, nin'),
    valueFrom: valueFrom.optional().describe('instead of value: e.g. {"attribute":"cartId","op":"eq","valueFrom":"entry.cartId"}'),
  })
  .describe('a condition on an attribute of the event');
const conditions = z.array(eventConditionSchema).min(1).max(MAX_CONDITIONS).describe('all must hold');

const next = stepIdSchema.describe('the id of the step that follows');
const stepBase = { id: stepIdSchema, name: label.optional().describe('a label for stats') };

const waitStep = z.strictObject({ ...stepBase, kind: z.literal('wait'), duration: durationSchema, next });
const waitUntilStep = z.strictObject({
  ...stepBase,
  kind: z.literal('waitUntil'),
  time: z.string().regex(CLOCK_PATTERN, 'must be a 24-hour HH:MM time, e.g. 10:00').describe("a time of day in the profile's zone (its device's, else the app's)"),
  weekdays: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional().describe('only on these days; default any day'),
  next,
});
const waitForEventStep = z.strictObject({
  ...stepBase,
  kind: z.literal('waitForEvent'),
  event: eventNameSchema,
  conditions: conditions.optional(),
  timeout: durationSchema.describe('how long to wait for the event before taking next.timedOut'),
  next: z.strictObject({ received: next, timedOut: next }),
});

const branchCondition = (rule: z.ZodType) => z
  .strictObject({
    rule: rule.optional().describe('a segment rule (as POST /v1/segments/preview takes it), evaluated for this profile now'),
    inSegment: segmentIdSchema.optional().describe('a member of this saved segment now'),
    notInSegment: segmentIdSchema.optional().describe('not a member of this saved segment now'),
    reachable: z
      .strictObject({ channel: z.enum(CHANNELS), category: z.enum(MESSAGE_CATEGORIES).default('commercial') })
      .optional()
      .describe('a message on this channel could reach the profile now: an address (push: an installed device with push on) and the consent the category needs'),
  })
  .describe('every part given must hold');
const branchStep = (rule: z.ZodType) => z.strictObject({
  ...stepBase,
  kind: z.literal('branch'),
  branches: z.array(z.strictObject({ name: label.optional(), when: branchCondition(rule), next })).min(1).max(MAX_PATHS).describe('tried in order; the first that holds is taken'),
  default: next.describe('when no branch holds'),
});
const splitStep = z.strictObject({
  ...stepBase,
  kind: z.literal('split'),
  paths: z.array(z.strictObject({ name: label.optional(), percent: z.number().int().min(1).max(100), next })).min(2).max(MAX_PATHS).describe('percentages summing to 100; a profile always takes the same path of a version'),
});
const sendStep = z.strictObject({
  ...stepBase,
  kind: z.literal('send'),
  template: z.strictObject({ id: templateIdSchema, version: z.number().int().min(1).optional().describe('default: the latest published, pinned when the journey is published') }),
  channels: z.array(z.enum(CHANNELS)).min(1).max(CHANNELS.length).describe('tried in order, e.g. ["push","sms"]: the next when one is gated out, fails or (push) gets no receipt in time'),
  category: z.enum(MESSAGE_CATEGORIES).default('commercial'),
  fallbackAfter: durationSchema.optional().describe('push followed by another channel: how long to wait for the device receipt (default: the deployment\'s)'),
  outcomeWindow: durationSchema.optional().describe('how long to wait for a clicked or delivered outcome before taking default; needed when next branches on them'),
  next: z
    .union([next, z.strictObject({ clicked: next.optional(), delivered: next.optional(), gatedOut: next.optional(), default: next })])
    .describe(`one next step, or one per outcome (${SEND_OUTCOMES.join(', ')}, most specific first) and default for the rest`),
});
const profileValue = z.union([scalar, z.array(z.string().max(1000)).max(100), z.null(), z.strictObject({ valueFrom })]);
const updateProfileStep = z.strictObject({
  ...stepBase,
  kind: z.literal('updateProfile'),
  set: z.record(z.string(), profileValue).refine((s) => Object.keys(s).length >= 1 && Object.keys(s).length <= 50, '1 to 50 attributes').describe('registered attribute → value (null removes it, {"valueFrom": …} copies one)'),
  next,
});
const exitStep = z.strictObject({ ...stepBase, kind: z.literal('exit') });

/** A step, its branch rules taken as `rule` says: unchecked when parsing (validateRule names the failing node), the rule language when documenting. */
const stepWith = <R extends z.ZodType>(rule: R) =>
  z.discriminatedUnion('kind', [waitStep, waitUntilStep, waitForEventStep, branchStep(rule), splitStep, sendStep, updateProfileStep, exitStep], {
    error: (issue) => (issue.code === 'invalid_union' ? `kind must be one of ${STEP_KINDS.join(', ')}` : undefined),
  });
export const stepSchema = stepWith(z.unknown());
const stepDoc = stepWith(ruleDoc);

export const entrySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('event'),
    event: eventNameSchema,
    conditions: conditions.optional(),
    keyAttribute: attributeName.optional().describe('one run per value of this entry-event attribute (e.g. cartId)'),
  }),
  z.strictObject({ kind: z.literal('segment'), segmentId: segmentIdSchema.describe('profiles enter when they join this saved segment') }),
  z.strictObject({ kind: z.literal('api') }).describe('enrolled through the API'),
], { error: (issue) => (issue.code === 'invalid_union' ? 'kind must be event, segment or api' : undefined) });

export const reEntrySchema = z.discriminatedUnion('policy', [
  z.strictObject({ policy: z.literal('never') }),
  z.strictObject({ policy: z.literal('afterDays'), days: z.number().int().min(1).max(365) }),
  z.strictObject({ policy: z.literal('always') }),
], { error: (issue) => (issue.code === 'invalid_union' ? 'policy must be never, afterDays or always' : undefined) });

/** The journey-level settings; `steps` as a list whose items journeys/validate.ts checks one by one, so each issue names its step. */
export const journeySettings = {
  name: label,
  description: z.string().max(2000).optional(),
  entry: entrySchema,
  reEntry: reEntrySchema.default({ policy: 'never' }).describe('whether a profile that was in the journey may enter again'),
  goal: z.strictObject({ event: eventNameSchema, conditions: conditions.optional() }).optional().describe('an event that takes the profile out at once, wherever it is, counted as converted'),
  exitSegment: segmentIdSchema.optional().describe('a saved segment the profile must stay in; leaving it exits the journey'),
  caps: z.strictObject({ maxConcurrent: z.number().int().min(1).optional(), maxTotal: z.number().int().min(1).optional() }).optional().describe('entries at once, and in all'),
  sendRatePerSecond: z.number().int().min(1).max(10_000).optional().describe("this journey's sends per second, at most"),
  start: stepIdSchema.optional().describe('the step a profile enters at; default the first'),
};
export const journeyShapeSchema = z.strictObject({ ...journeySettings, steps: z.array(z.unknown()).min(1).max(MAX_STEPS) });

/** The whole definition, as validate.ts answers it. */
export const journeyDefinitionSchema = z.strictObject({ ...journeySettings, steps: z.array(stepSchema).min(1).max(MAX_STEPS) });
/** The same, as documented. */
export const journeyDefinitionDoc = z.strictObject({ ...journeySettings, steps: z.array(stepDoc).min(1).max(MAX_STEPS) });

// The schema and the domain types must not drift apart.
type Parsed = z.infer<typeof journeyDefinitionSchema>;
const _sameShape: (p: Parsed) => JourneyDefinition = (p) => p;
void _sameShape;

export const journeyCreateDoc = journeyDefinitionDoc.extend({ id: journeyIdSchema.optional().describe('default: made up') });
export const journeyUpdateDoc = z
  .strictObject(Object.fromEntries(Object.entries(journeyDefinitionDoc.shape).map(([k, s]) => [k, (s as z.ZodType).nullable().optional()])))
  .describe('the fields given replace the draft\'s (steps as a whole); null removes an optional one');

export const journeyVersionSummarySchema = z.object({ version: z.number().int(), publishedAt: z.iso.datetime(), revision: z.number().int() });

export const journeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(JOURNEY_STATES),
  draft: journeyDefinitionDoc.describe('the editable definition'),
  revision: z.number().int().describe('counts the edits of the draft'),
  latestVersion: z.number().int().describe('0 until the first publish'),
  unpublishedChanges: z.boolean().describe('the draft differs from the latest version'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  stateChangedAt: z.iso.datetime(),
  versions: z.array(journeyVersionSummarySchema).optional().describe('newest first (one journey only)'),
});

export const journeyVersionViewSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  revision: z.number().int(),
  publishedAt: z.iso.datetime(),
  definition: journeyDefinitionDoc.describe('frozen: send steps carry the template version pinned at publish'),
});

export const journeyListQuerySchema = z.strictObject({
  state: z.enum(JOURNEY_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
