/**
 * Journey definitions checked at save (journeys/validate.ts) against an in-memory app: one
 * test per validation rule, each asserting the issue's path names the step as the API's 400
 * does (`body.steps.<id>.…`), and the abandoned-cart and welcome-series journeys that pass.
 */
import type { Db } from '../../data/db';
import type { AttributeDefinitionDoc } from '../../data/models/attributeDefinitions';
import type { JourneyCatalog } from '../../journeys/catalog';
import { validateJourney } from '../../journeys/validate';
import { localId } from '../../lib/ids';
import type { FieldIssue } from '../../lib/invalidInput';
import { validateRule } from '../../segments/validateRule';
import type { TemplateChannel } from '../../templates/channels';

const TEMPLATES: Record<string, { version: number; channels: TemplateChannel[] } | 'unpublished'> = {
  cart_reminder: { version: 3, channels: ['push', 'sms'] },
  cart_email: { version: 1, channels: ['email'] },
  welcome: { version: 2, channels: ['push', 'email'] },
  wip: 'unpublished',
};
const SEGMENTS = new Set(['vip', 'active_buyers']);
const EVENTS = new Set(['cart.updated', 'purchase', 'signed_up', 'app.opened']);
const ATTRIBUTES = new Map<string, AttributeDefinitionDoc>(
  ([['tier', 'string'], ['score', 'number'], ['onboarded', 'boolean'], ['lastCartId', 'string']] as const).map(([name, type]) => [
    name, { _id: `demo:${name}`, appId: 'demo', name, type, origin: 'api', createdAt: new Date() },
  ]),
);

// validateRule reads definitions through the registry: just that read, from the map above.
const ruleDb = {
  attributeDefinitions: { find: (f: { _id: { $in: string[] } }) => ({ lean: async () => f._id.$in.map((id) => ATTRIBUTES.get(localId(id))).filter(Boolean) }) },
} as unknown as Db;

const catalog: JourneyCatalog = {
  async template(id, version) {
    const t = TEMPLATES[id];
    if (!t) return { ok: false, message: `no template ${id}` };
    if (t === 'unpublished') return { ok: false, message: `template ${id} has no published version yet` };
    if (version !== undefined && version > t.version) return { ok: false, message: `template ${id} has no version ${version}` };
    return { ok: true, version: version ?? t.version, channels: t.channels };
  },
  segments: async (ids) => new Set(ids.filter((id) => SEGMENTS.has(id))),
  attributes: async (names) => new Map([...ATTRIBUTES].filter(([n]) => names.includes(n))),
  events: async (names) => new Set(names.filter((n) => EVENTS.has(n))),
  async checkRule(rule, path) {
    const checked = await validateRule(ruleDb, 'demo', rule, path);
    return 'issues' in checked ? checked.issues : [];
  },
};

type Def = Record<string, any>;

/** Entry on cart.updated; wait 2 hours for a purchase of the same cart; else push → SMS; a day later an e-mail. */
const abandonedCart = (): Def => ({
  name: 'Abandoned cart',
  entry: { kind: 'event', event: 'cart.updated', keyAttribute: 'cartId' },
  reEntry: { policy: 'always' },
  goal: { event: 'purchase', conditions: [{ attribute: 'cartId', op: 'eq', valueFrom: 'entry.cartId' }] },
  steps: [
    { id: 'wait_cart', kind: 'waitForEvent', event: 'purchase', conditions: [{ attribute: 'cartId', op: 'eq', valueFrom: 'entry.cartId' }], timeout: { hours: 2 }, next: { received: 'bought', timedOut: 'remind' } },
    { id: 'remind', kind: 'send', template: { id: 'cart_reminder' }, channels: ['push', 'sms'], fallbackAfter: { minutes: 30 }, next: 'wait_day' },
    { id: 'wait_day', kind: 'wait', duration: { days: 1 }, next: 'remind_email' },
    { id: 'remind_email', kind: 'send', template: { id: 'cart_email' }, channels: ['email'], next: 'done' },
    { id: 'bought', kind: 'exit' },
    { id: 'done', kind: 'exit' },
  ],
});

/** Entered through the API; the welcome push at the next 10:00 local, tips by e-mail on a weekday at 10:00 two days later. */
const welcomeSeries = (): Def => ({
  name: 'Welcome series',
  entry: { kind: 'api' },
  steps: [
    { id: 'at_ten', kind: 'waitUntil', time: '10:00', next: 'welcome' },
    { id: 'welcome', kind: 'send', template: { id: 'welcome' }, channels: ['push'], next: 'two_days' },
    { id: 'two_days', kind: 'wait', duration: { days: 2 }, next: 'weekday_ten' },
    { id: 'weekday_ten', kind: 'waitUntil', time: '10:00', weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], next: 'tips' },
    { id: 'tips', kind: 'send', template: { id: 'welcome' }, channels: ['email'], next: 'done' },
    { id: 'done', kind: 'exit' },
  ],
});

async function issuesOf(def: unknown): Promise<FieldIssue[]> {
  const result = await validateJourney(def, catalog, 'body');
  return result.ok ? [] : result.issues;
}

/** The issues of the definition `change` makes of `base()`. */
async function issuesAfter(base: () => Def, change: (d: Def) => void): Promise<FieldIssue[]> {
  const d = base();
  change(d);
  return issuesOf(d);
}

const step = (d: Def, id: string) => d.steps.find((s: Def) => s.id === id);
const paths = (issues: FieldIssue[]) => issues.map((i) => i.path);

test('the abandoned-cart journey passes, and its send steps are told the template versions publish would pin', async () => {
  const result = await validateJourney(abandonedCart(), catalog, 'body');
  expect(result.ok ? [] : result.issues).toEqual([]);
  if (!result.ok) return;
  expect(result.definition.reEntry).toEqual({ policy: 'always' });
  expect(step(result.definition, 'remind')).toMatchObject({ category: 'commercial', channels: ['push', 'sms'] });
  expect(Object.fromEntries(result.templateVersions)).toEqual({ remind: 3, remind_email: 1 });
});

test('the welcome series with waitUntil 10:00 passes, re-entry never by default', async () => {
  const result = await validateJourney(welcomeSeries(), catalog, 'body');
  expect(result.ok ? [] : result.issues).toEqual([]);
  if (result.ok) expect(result.definition.reEntry).toEqual({ policy: 'never' });
});

test('every step kind in one journey passes: branch (rule, segment, reachable), split, send outcomes, updateProfile, loops through a wait', async () => {
  const issues = await issuesOf({
    name: 'Everything',
    entry: { kind: 'event', event: 'signed_up', conditions: [{ attribute: 'plan', op: 'in', values: ['pro', 'team'] }] },
    reEntry: { policy: 'afterDays', days: 30 },
    exitSegment: 'active_buyers',
    caps: { maxConcurrent: 1000, maxTotal: 50_000 },
    sendRatePerSecond: 50,
    start: 'check',
    steps: [
      { id: 'check', kind: 'branch', branches: [
        { name: 'vip', when: { inSegment: 'vip', rule: { attribute: 'score', op: 'gte', value: 10 } }, next: 'ab' },
        { when: { reachable: { channel: 'sms' }, rule: { consent: { type: 'MESAJ' } } }, next: 'tag' },
      ], default: 'done' },
      { id: 'ab', kind: 'split', paths: [{ name: 'A', percent: 50, next: 'offer' }, { name: 'B', percent: 50, next: 'done' }] },
      { id: 'offer', kind: 'send', template: { id: 'welcome', version: 1 }, channels: ['push', 'email'], outcomeWindow: { hours: 6 }, next: { clicked: 'done', gatedOut: 'tag', default: 'nudge' } },
      { id: 'nudge', kind: 'waitForEvent', event: 'app.opened', timeout: { days: 3 }, next: { received: 'done', timedOut: 'check' } },
      { id: 'tag', kind: 'updateProfile', set: { tier: 'gold', score: 5, onboarded: null, lastCartId: { valueFrom: 'entry.cartId' } }, next: 'done' },
      { id: 'done', kind: 'exit' },
    ],
  });
  expect(issues).toEqual([]);
});

test('a shape error is named by the step id, not its position: unknown kind, unknown field, missing next', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    step(d, 'wait_day').kind = 'sleep';
    step(d, 'remind').colour = 'red';
    delete step(d, 'remind_email').next;
  });
  expect(paths(issues)).toEqual(expect.arrayContaining(['body.steps.wait_day.kind', 'body.steps.remind.colour', 'body.steps.remind_email.next']));
  expect(issues.find((i) => i.path === 'body.steps.wait_day.kind')!.message).toMatch(/wait, waitUntil, waitForEvent/);
});

test('rule: every next names a step (unknown next step ids)', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    step(d, 'remind').next = 'wait_week';
    step(d, 'wait_cart').next.received = 'thanks';
  });
  expect(issues).toEqual(expect.arrayContaining([
    { path: 'body.steps.remind.next', message: 'no step has the id wait_week' },
    { path: 'body.steps.wait_cart.next.received', message: 'no step has the id thanks' },
  ]));
});

test('rule: the start step exists', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => (d.start = 'begin'));
  expect(issues).toContainEqual({ path: 'body.start', message: 'no step has the id begin' });
});

test('rule: every step is reachable from the entry step', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => d.steps.push({ id: 'orphan', kind: 'send', template: { id: 'cart_email' }, channels: ['email'], next: 'done' }));
  expect(issues).toEqual([{ path: 'body.steps.orphan', message: 'unreachable: no path from the entry step (wait_cart) leads to orphan' }]);
});

test('rule: a loop must pass a wait, waitUntil or waitForEvent step (cycles without a wait)', async () => {
  const loop = (through: Def) => (d: Def) => {
    d.steps.splice(1, 0,
      { id: 'check', kind: 'branch', branches: [{ when: { rule: { attribute: 'onboarded', op: 'eq', value: true } }, next: 'remind' }], default: through.id },
      through);
    step(d, 'wait_cart').next.timedOut = 'check';
  };
  const bare = await issuesAfter(abandonedCart, loop({ id: 'mark', kind: 'updateProfile', set: { onboarded: true }, next: 'check' }));
  expect(bare).toEqual([{ path: 'body.steps.check', message: 'cycle without a wait: steps check, mark form a loop with no wait, waitUntil or waitForEvent step on it' }]);
  const self = await issuesAfter(abandonedCart, (d) => (step(d, 'remind').next = 'remind'));
  expect(paths(self)).toContain('body.steps.remind');
  // The same loop through a wait is fine.
  expect(await issuesAfter(abandonedCart, loop({ id: 'pause', kind: 'wait', duration: { hours: 1 }, next: 'check' }))).toEqual([]);
});

test('rule: every step has a path to an exit (missing exit path)', async () => {
  const noWayOut = await issuesAfter(welcomeSeries, (d) => (step(d, 'tips').next = 'two_days'));
  // done is now out of reach; every other step loops for ever.
  expect(paths(noWayOut)).toEqual(['body.steps.done', 'body.steps.at_ten', 'body.steps.welcome', 'body.steps.two_days', 'body.steps.weekday_ten', 'body.steps.tips']);
  expect(noWayOut.find((i) => i.path === 'body.steps.welcome')!.message).toMatch(/^no exit path: no path from welcome reaches an exit step/);
  const noExit = await issuesAfter(welcomeSeries, (d) => {
    d.steps.pop();
    step(d, 'tips').next = 'two_days';
  });
  expect(noExit).toEqual([{ path: 'body.steps', message: 'no exit step: every path must end at a step of kind exit' }]);
});

test('rule: step ids are unique (duplicate step ids)', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => d.steps.push({ id: 'remind', kind: 'exit' }));
  expect(issues).toEqual([{ path: 'body.steps.remind.id', message: 'duplicate step id: the steps at positions 1, 6 (from 0) all have the id remind' }]);
});

test('rule: templates exist and are published (unknown templates)', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    step(d, 'remind').template = { id: 'sepet' };
    step(d, 'remind_email').template = { id: 'wip' };
  });
  expect(issues).toEqual([
    { path: 'body.steps.remind.template', message: 'no template sepet' },
    { path: 'body.steps.remind_email.template', message: 'template wip has no published version yet' },
  ]);
  const version = await issuesAfter(abandonedCart, (d) => (step(d, 'remind').template = { id: 'cart_reminder', version: 9 }));
  expect(version).toEqual([{ path: 'body.steps.remind.template', message: 'template cart_reminder has no version 9' }]);
});

test('rule: the template has content for every channel the send asks (a template lacking the channel)', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => (step(d, 'remind').channels = ['push', 'email', 'sms']));
  expect(issues).toEqual([{ path: 'body.steps.remind.channels.1', message: 'template cart_reminder (version 3) has no email content' }]);
});

test('rule: profile attributes are registered (unknown attributes), in updates, branch rules and copied values', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    d.steps.splice(1, 0,
      { id: 'check', kind: 'branch', branches: [{ when: { rule: { and: [{ attribute: 'tier', op: 'eq', value: 'gold' }, { attribute: 'shoeSize', op: 'gt', value: 40 }] } }, next: 'tag' }], default: 'remind' },
      { id: 'tag', kind: 'updateProfile', set: { favouriteColour: 'red', tier: { valueFrom: 'profile.nickname' } }, next: 'remind' });
    step(d, 'wait_cart').next.timedOut = 'check';
  });
  expect(issues).toEqual(expect.arrayContaining([
    { path: 'body.steps.tag.set.favouriteColour', message: 'unknown attribute favouriteColour (define it with POST /v1/attributes)' },
    { path: 'body.steps.tag.set.tier.valueFrom', message: 'unknown attribute nickname (define it with POST /v1/attributes)' },
    { path: 'body.steps.check.branches.0.when.rule.and.1.attribute', message: 'unknown attribute shoeSize (define it with POST /v1/attributes)' },
  ]));
  expect(issues).toHaveLength(3);
});

test('rule: a value written to an attribute fits its type', async () => {
  const issues = await issuesAfter(welcomeSeries, (d) => {
    d.steps.splice(1, 0, { id: 'tag', kind: 'updateProfile', set: { score: 'high', onboarded: true }, next: 'welcome' });
    step(d, 'at_ten').next = 'tag';
  });
  expect(issues).toEqual([{ path: 'body.steps.tag.set.score', message: 'must be a number (score is a number attribute)' }]);
});

test('rule: branch rules pass the segment rule checks, each node named under the step', async () => {
  const issues = await issuesAfter(welcomeSeries, (d) => {
    d.steps.splice(1, 0, { id: 'check', kind: 'branch', branches: [{ when: { rule: { or: [{ attribute: 'score', op: 'contains', value: 1 }, { event: 'purchase', op: 'atLeast' }] } }, next: 'welcome' }, { when: {}, next: 'done' }], default: 'welcome' });
    step(d, 'at_ten').next = 'check';
  });
  expect(paths(issues)).toEqual(['body.steps.check.branches.1.when', 'body.steps.check.branches.0.when.rule.or.1.count']);
});

test('rule: segments exist (unknown segments), at entry, exit and in branches', async () => {
  const issues = await issuesAfter(welcomeSeries, (d) => {
    d.entry = { kind: 'segment', segmentId: 'newcomers' };
    d.exitSegment = 'subscribers';
    d.steps.splice(1, 0, { id: 'check', kind: 'branch', branches: [{ when: { inSegment: 'vip' }, next: 'welcome' }, { when: { notInSegment: 'churned' }, next: 'done' }], default: 'welcome' });
    step(d, 'at_ten').next = 'check';
  });
  expect(issues).toEqual([
    { path: 'body.entry.segmentId', message: 'unknown segment newcomers' },
    { path: 'body.exitSegment', message: 'unknown segment subscribers' },
    { path: 'body.steps.check.branches.1.when.notInSegment', message: 'unknown segment churned' },
  ]);
});

test('rule: events are known to the app (unknown events), at entry, in waitForEvent and as the goal', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    d.entry.event = 'cart.changed';
    d.goal.event = 'order.paid';
    step(d, 'wait_cart').event = 'purchased';
  });
  const hint = 'the app has not sent it (declare it with POST /v1/event-types)';
  expect(issues).toEqual([
    { path: 'body.entry.event', message: `unknown event cart.changed: ${hint}` },
    { path: 'body.goal.event', message: `unknown event order.paid: ${hint}` },
    { path: 'body.steps.wait_cart.event', message: `unknown event purchased: ${hint}` },
  ]);
});

test('rule: waits, timeouts and windows are longer than 0 and at most 90 days (durations out of range)', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    step(d, 'wait_cart').timeout = { days: 90, seconds: 1 };
    step(d, 'wait_day').duration = { hours: 0 };
    step(d, 'remind').fallbackAfter = { days: 91 };
  });
  expect(issues).toEqual([
    { path: 'body.steps.wait_cart.timeout', message: 'must be at most 90 days' },
    { path: 'body.steps.remind.fallbackAfter', message: 'must be at most 90 days' },
    { path: 'body.steps.wait_day.duration', message: 'must be longer than 0' },
  ]);
  expect(await issuesAfter(abandonedCart, (d) => (step(d, 'wait_cart').timeout = { days: 90 }))).toEqual([]);
});

test('rule: split percentages sum to 100', async () => {
  const issues = await issuesAfter(welcomeSeries, (d) => {
    d.steps.splice(1, 0, { id: 'ab', kind: 'split', paths: [{ percent: 50, next: 'welcome' }, { percent: 30, next: 'two_days' }, { percent: 30, next: 'done' }] });
    step(d, 'at_ten').next = 'ab';
  });
  expect(issues).toEqual([{ path: 'body.steps.ab.paths', message: 'percentages must sum to 100 (these sum to 110)' }]);
});

test('rule: entry.<attribute> is only where an entry event exists', async () => {
  const bySegment = await issuesAfter(abandonedCart, (d) => (d.entry = { kind: 'segment', segmentId: 'vip' }));
  expect(bySegment).toEqual([
    { path: 'body.goal.conditions.0.valueFrom', message: 'entry.<attribute> refers to the entry event, and this journey is not entered by an event' },
    { path: 'body.steps.wait_cart.conditions.0.valueFrom', message: 'entry.<attribute> refers to the entry event, and this journey is not entered by an event' },
  ]);
  const inEntry = await issuesAfter(abandonedCart, (d) => (d.entry.conditions = [{ attribute: 'cartId', op: 'eq', valueFrom: 'entry.cartId' }]));
  expect(paths(inEntry)).toEqual(['body.entry.conditions.0.valueFrom']);
});

test('rule: each event condition takes the operands of its op', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    step(d, 'wait_cart').conditions = [
      { attribute: 'cartId', op: 'exists', value: 'x' },
      { attribute: 'total', op: 'in', value: 3 },
      { attribute: 'cartId', op: 'eq', value: 'c1', valueFrom: 'entry.cartId' },
      { attribute: 'note', op: 'contains', value: 7 },
    ];
  });
  expect(paths(issues)).toEqual(['body.steps.wait_cart.conditions.0.value', 'body.steps.wait_cart.conditions.1.values', 'body.steps.wait_cart.conditions.2.value', 'body.steps.wait_cart.conditions.3.value']);
});

test('rule: a send branching on clicked or delivered says how long it waits for them; fallbackAfter only after push', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    step(d, 'remind').next = { delivered: 'wait_day', default: 'remind_email' };
    step(d, 'remind_email').fallbackAfter = { minutes: 5 };
    step(d, 'remind_email').outcomeWindow = { hours: 1 };
  });
  expect(issues).toEqual([
    { path: 'body.steps.remind.outcomeWindow', message: 'is required when next branches on clicked or delivered: how long to wait for them' },
    { path: 'body.steps.remind_email.outcomeWindow', message: 'applies only when next branches on clicked or delivered' },
    { path: 'body.steps.remind_email.fallbackAfter', message: 'applies only when push is followed by another channel' },
  ]);
  const noDefault = await issuesAfter(abandonedCart, (d) => (step(d, 'remind').next = { gatedOut: 'done' }));
  expect(paths(noDefault)).toEqual(['body.steps.remind.next.default']);
});

test('rule: caps agree (maxConcurrent at most maxTotal, at least one given)', async () => {
  expect(await issuesAfter(abandonedCart, (d) => (d.caps = { maxConcurrent: 10, maxTotal: 5 }))).toEqual([{ path: 'body.caps.maxConcurrent', message: 'cannot exceed maxTotal (5)' }]);
  expect(paths(await issuesAfter(abandonedCart, (d) => (d.caps = {})))).toEqual(['body.caps']);
});

test('journey-level settings: entry kind, re-entry policy, send rate are named by field', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    d.entry = { kind: 'webhook' };
    d.reEntry = { policy: 'afterDays' };
    d.sendRatePerSecond = 0;
  });
  expect(paths(issues)).toEqual(expect.arrayContaining(['body.entry.kind', 'body.reEntry.days', 'body.sendRatePerSecond']));
});

test('all issues come at once: settings, ranges, graph and references of different steps in one answer (a dangling next is not also told as a missing exit path)', async () => {
  const issues = await issuesAfter(abandonedCart, (d) => {
    delete d.name;
    step(d, 'wait_cart').timeout = { days: 120 };
    step(d, 'remind').template = { id: 'nope' };
    step(d, 'remind_email').next = 'nowhere';
    d.steps.push({ id: 'orphan', kind: 'exit' });
  });
  // done is out of reach too, now that the only next naming it names nowhere.
  expect(paths(issues).sort()).toEqual(['body.name', 'body.steps.done', 'body.steps.orphan', 'body.steps.remind.template', 'body.steps.remind_email.next', 'body.steps.wait_cart.timeout']);
});
