/**
 * streamSegmentMembers (segments/streamMembers.ts) against the existing evaluation: for a few
 * thousand profiles with attributes, devices, consents, channels and event counters, and for
 * attribute-only, event-only and mixed and/or/not rules (hand-written and random), the streamed
 * members are exactly compileRule's filter's (its count and its `_id`-ordered rows, as the
 * export reads them) and the brute-force oracle's (test/support/segmentOracle.ts), at the same
 * `now`. Also: resuming with `after` gives exactly the rest, pages hold `pageSize` ids (the
 * last one fewer), and no query the stream sends carries a list longer than a page.
 * The seed is printed; ROTA_PROPERTY_SEED=<seed> replays a run.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../data/db';
import { deviceTags } from '../../data/profileDevices';
import { counterId, type EventCounterDoc } from '../../data/models/eventCounters';
import { InvalidInputError } from '../../lib/invalidInput';
import { compileRule } from '../../segments/compileRule';
import { countMembers } from '../../segments/evaluateSegment';
import { queryBudget } from '../../segments/queryBudget';
import { compareIds, streamSegmentMembers } from '../../segments/streamMembers';
import { validateRule } from '../../segments/validateRule';
import { matches, type ModelProfile } from '../support/segmentOracle';
import { ATTRS, CONSENT_TYPES, DAY, EVENTS, PLATFORMS, prng, ruleGenerators } from '../support/randomRules';
import { startHarness, type Harness } from '../support/harness';

const SEED = Number(process.env.ROTA_PROPERTY_SEED ?? Date.now() % 1_000_000);
const PROFILES = 1000;
const RANDOM_RULES = 8;
const PAGE = 61;
const r = prng(SEED);

let h: Harness;
let db: Db;
const model: ModelProfile[] = [];
/** Every live demo profile's id, in the database's order. */
let liveIds: string[] = [];
// Fixed for the whole file: the same `now` for the stream, compileRule and the oracle.
const now = new Date();
const { randomValue, randomRule } = ruleGenerators(r, () => now.getTime(), {
  leafKinds: ['attribute', 'attribute', 'attribute', 'event', 'event', 'event', 'device', 'consent', 'channel'],
  leafChance: 0.4, minDepth: 1, branches: ['and', 'or', 'or', 'not'], children: [2, 3],
});

const purchase = (op: string, count?: number, withinDays?: number) => ({ event: 'purchase', op, ...(count === undefined ? {} : { count }), ...(withinDays ? { withinDays } : {}) });
const view = (op: string, count?: number, withinDays?: number) => ({ event: 'view', op, ...(count === undefined ? {} : { count }), ...(withinDays ? { withinDays } : {}) });
const gold = { attribute: 'plan', op: 'eq', value: 'gold' };
const highScore = { attribute: 'score', op: 'gte', value: 6 };
const ios = { device: { platform: 'ios' } };

const RULES: [string, unknown][] = [
  ['attribute only', gold],
  ['attributes, devices, consents and channels only', { or: [{ and: [highScore, { not: { attribute: 'tags', op: 'contains', value: 'vip' } }] }, { and: [ios, { consent: { type: 'MESAJ' } }, { channel: 'msisdn' }] }] }],
  ['one event: at least 2 in 20 days', purchase('atLeast', 2, 20)],
  ['one event: at most 1, all time (profiles without counters match)', view('atMost', 1)],
  ['one event: never in 10 days', purchase('never', undefined, 10)],
  ['one event: exactly 0 in 30 days', view('exactly', 0, 30)],
  ['one event: exactly 2', purchase('exactly', 2)],
  ['one event: at least 0 (everyone)', purchase('atLeast', 0, 5)],
  ['events only: and/or of both events and windows', { or: [{ and: [purchase('atLeast', 1, 7), view('never', undefined, 7)] }, purchase('atLeast', 3)] }],
  ['and of attribute and event', { and: [gold, purchase('atLeast', 1, 30)] }],
  ['or of attribute and event', { or: [gold, purchase('atLeast', 3, 30)] }],
  ['not of an or of attribute and event', { not: { or: [highScore, view('atLeast', 2)] } }],
  ['not of an and of attribute and event', { not: { and: [gold, purchase('atMost', 1, 40)] } }],
  ['and holding an or and a not, mixed', { and: [{ channel: 'email' }, { or: [ios, purchase('exactly', 1, 15)] }, { not: { and: [view('atLeast', 1), { attribute: 'vip', op: 'eq', value: true }] } }] }],
  ['double not around a mixed and', { not: { not: { and: [highScore, view('atMost', 2, 45), { not: purchase('never') }] } } }],
  ['or whose attribute side matches no one', { or: [{ attribute: 'plan', op: 'eq', value: 'nobody' }, purchase('atLeast', 4)] }],
];

beforeAll(async () => {
  console.log(`segment stream test: ROTA_PROPERTY_SEED=${SEED}`);
  h = await startHarness('segstream', { worker: false });
  db = h.db;
  for (const [name, type] of Object.entries(ATTRS)) expect((await h.call('POST', '/v1/attributes', { name, type })).status).toBe(201);

  const profiles: Record<string, unknown>[] = [];
  const counters: EventCounterDoc[] = [];
  const today = Math.floor(now.getTime() / DAY);
  for (let i = 0; i < PROFILES; i++) {
    // Random ids, so that `_id` order is not the insertion order.
    const id = `demo:prf_${randomBytes(8).toString('hex')}`;
    const attributes = Object.fromEntries(Object.entries(ATTRS).filter(() => r.chance(0.6)).map(([n, t]) => [n, randomValue(t)]));
    const devices = Array.from({ length: r.int(0, 2) }, () => ({ platform: r.pick(PLATFORMS), pushEnabled: r.chance(0.6) }));
    const consents = Object.fromEntries(CONSENT_TYPES.filter(() => r.chance(0.5)).map((t) => [t, r.pick(['ONAY', 'RET'] as const)]));
    const email = r.chance(0.5) ? `k${i}@example.com` : undefined;
    const msisdn = r.chance(0.5) ? `+90532${String(1000000 + i)}` : undefined;
    const events: Record<string, number[]> = {};
    // Each (day, event) is counted by one to three ingest requests: a profile's total is the sum of its counters.
    for (let e = 0, n = r.int(0, 4); e < n; e++) {
      const name = r.pick(EVENTS);
      const day = today - (r.chance(0.4) ? 0 : r.int(1, 50));
      for (let s = 0, sources = r.int(1, 3); s < sources; s++) {
        const count = r.int(1, 2);
        for (let k = 0; k < count; k++) (events[name] ??= []).push(day);
        const source = `ing-${i}-${e}-${s}`;
        counters.push({ _id: counterId(id, day, name, source), appId: 'demo', profileId: id, name, day, n: count });
      }
    }
    // A few profiles are half-way through a merge or an erasure: never members, whatever their data.
    const state = r.chance(0.02) ? { mergedInto: 'demo:prf_elsewhere' } : r.chance(0.02) ? { erasing: true } : {};
    profiles.push({
      _id: id, appId: 'demo', externalId: `kişi-${i}`, attributes, ...state,
      ...(devices.length > 0 ? { devices: devices.map((d, k) => ({ ...d, token: `tok-${i}-${k}`, updatedAt: now })), deviceTags: deviceTags(devices) } : {}),
      ...(Object.keys(consents).length > 0 ? { consents: Object.fromEntries(Object.entries(consents).map(([t, status]) => [t, { status, recipientType: 'BIREYSEL', consentDate: now }])) } : {}),
      ...(email ? { email } : {}), ...(msisdn ? { msisdn } : {}),
    });
    if (Object.keys(state).length === 0) model.push({ id, attributes, devices, consents, events, ...(email ? { email } : {}), ...(msisdn ? { msisdn } : {}) });
  }
  // Counters of profiles that are gone (merged away) sort between the live ones; another app's sort among them too.
  for (let i = 0; i < 200; i++) {
    const gone = `demo:prf_${randomBytes(8).toString('hex')}`;
    counters.push({ _id: counterId(gone, today, 'purchase', `gone-${i}`), appId: 'demo', profileId: gone, name: 'purchase', day: today, n: 3 });
    const theirs = `other:prf_${randomBytes(8).toString('hex')}`;
    profiles.push({ _id: theirs, appId: 'other', attributes: { plan: 'gold' } });
    counters.push({ _id: counterId(theirs, today, 'purchase', `o-${i}`), appId: 'other', profileId: theirs, name: 'purchase', day: today, n: 5 });
  }
  for (let i = 0; i < profiles.length; i += 1000) await db.profiles.insertMany(profiles.slice(i, i + 1000));
  for (let i = 0; i < counters.length; i += 2000) await db.eventCounters.insertMany(counters.slice(i, i + 2000), { lean: true });
  liveIds = (await db.profiles.find({ appId: 'demo', mergedInto: { $exists: false }, erasing: { $exists: false } }, { _id: 1 }).sort({ _id: 1 }).lean<{ _id: string }[]>()).map((p) => p._id);
  expect(liveIds).toHaveLength(model.length);
}, 300_000);
afterAll(async () => h?.close());

/** What the existing evaluation answers for `rule` at `now`: compileRule's filter, counted and read in `_id` order (as the export reads it). */
async function existing(rule: unknown): Promise<string[]> {
  const checked = await validateRule(db, 'demo', rule, 'rule');
  if ('issues' in checked) throw new Error(JSON.stringify(checked.issues));
  const budget = queryBudget(120_000);
  const filter = await compileRule(db, 'demo', checked.rule, now, budget);
  const ids = (await db.profiles.find(filter, { _id: 1 }).sort({ _id: 1 }).lean<{ _id: string }[]>()).map((p) => p._id);
  expect(await countMembers(db, filter, budget)).toBe(ids.length);
  return ids;
}

async function pagesOf(rule: unknown, opts: Parameters<typeof streamSegmentMembers>[3] = {}): Promise<string[][]> {
  const pages: string[][] = [];
  for await (const page of streamSegmentMembers(db, 'demo', rule, { now, pageSize: PAGE, ...opts })) pages.push(page);
  return pages;
}

function expectPaged(pages: string[][], pageSize: number): void {
  for (const [i, page] of pages.entries()) {
    expect(page.length).toBeGreaterThan(0);
    if (i < pages.length - 1) expect(page).toHaveLength(pageSize);
    else expect(page.length).toBeLessThanOrEqual(pageSize);
  }
}

/** The longest array in any query filter or pipeline the stream sends: its commands carry no member list. */
async function longestListSent<T>(run: () => Promise<T>): Promise<{ result: T; longest: number }> {
  let longest = 0;
  const measure = (v: unknown): void => {
    if (Array.isArray(v)) {
      longest = Math.max(longest, v.length);
      v.forEach(measure);
    } else if (v && typeof v === 'object' && !(v instanceof Date)) Object.values(v).forEach(measure);
  };
  // Spies that call through: every filter and pipeline is looked at after the run.
  const spies = [db.profiles, db.eventCounters].flatMap((m) => [jest.spyOn(m, 'find'), jest.spyOn(m, 'aggregate')]);
  try {
    const result = await run();
    for (const spy of spies) for (const args of spy.mock.calls) measure(args[0]);
    return { result, longest };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const oracle = (rule: unknown) => model.filter((p) => matches(p, rule as Record<string, unknown>, now.getTime())).map((p) => p.id).sort(compareIds);

test.each(RULES)('%s: the stream gives exactly the existing evaluation', async (_name, rule) => {
  const expected = await existing(rule);
  expect(expected).toEqual(oracle(rule));
  const { result: pages, longest } = await longestListSent(() => pagesOf(rule));
  expectPaged(pages, PAGE);
  expect(pages.flat()).toEqual(expected);
  // The rules' own `in` lists are a few values; a member list would be hundreds of ids.
  expect(longest).toBeLessThanOrEqual(10);
});

test(`${RANDOM_RULES} random mixed rules: the stream gives exactly the existing evaluation`, async () => {
  let split = 0;
  for (let i = 0; i < RANDOM_RULES; i++) {
    const rule = randomRule();
    const context = `seed ${SEED}, rule ${i}: ${JSON.stringify(rule)}`;
    const expected = await existing(rule);
    expect({ context, oracle: oracle(rule).length }).toEqual({ context, oracle: expected.length });
    const pages = await pagesOf(rule);
    expectPaged(pages, PAGE);
    const got = pages.flat();
    expect({ context, length: got.length, same: got.join() === expected.join() }).toEqual({ context, length: expected.length, same: true });
    if (expected.length > 0 && expected.length < model.length) split++;
  }
  expect(split).toBeGreaterThan(RANDOM_RULES / 3);
}, 600_000);

test('resuming after an id gives exactly the members after it, member or not', async () => {
  const rule = { or: [{ and: [gold, view('atMost', 1, 30)] }, { not: { or: [highScore, purchase('atLeast', 1)] } }] };
  const all = (await pagesOf(rule)).flat();
  expect(all).toEqual(await existing(rule));
  expect(all.length).toBeGreaterThan(3 * PAGE);
  // After the last id of a page (a snapshot resumed where its last written page ended), in the middle of one, after a non-member,
  // before every id of the app, after its last member, after every id of the app.
  const nonMember = liveIds.find((id) => !all.includes(id) && compareIds(id, all[Math.floor(all.length / 2)]!) > 0)!;
  for (const after of [all[PAGE - 1]!, all[2 * PAGE + 17]!, nonMember, 'd', all.at(-1)!, 'e']) {
    const pages = await pagesOf(rule, { after });
    expectPaged(pages, PAGE);
    expect({ after, rest: pages.flat() }).toEqual({ after, rest: all.filter((id) => compareIds(id, after) > 0) });
  }
});

test('pages never exceed the page size, whatever it is', async () => {
  const rule = { or: [gold, purchase('atLeast', 1, 30)] };
  const expected = await existing(rule);
  for (const pageSize of [1, 7, expected.length, expected.length + 1]) {
    const pages = await pagesOf(rule, { pageSize });
    expectPaged(pages, pageSize);
    expect(pages.flat()).toEqual(expected);
  }
  expect(await pagesOf({ and: [{ attribute: 'plan', op: 'eq', value: 'nobody' }, purchase('atLeast', 1)] })).toEqual([]);
});

test('a consumer that stops early closes the stream; an invalid rule is a 400-shaped error', async () => {
  const stream = streamSegmentMembers(db, 'demo', { or: [gold, view('atLeast', 1)] }, { now, pageSize: 10 });
  expect((await stream.next()).value).toHaveLength(10);
  expect(await stream.return(undefined)).toEqual({ done: true, value: undefined });
  await expect(pagesOf({ attribute: 'nosuch', op: 'exists' }, { path: 'audience' })).rejects.toThrow(InvalidInputError);
  await expect(pagesOf({ attribute: 'nosuch', op: 'exists' }, { path: 'audience' })).rejects.toThrow(/audience\.attribute: unknown attribute nosuch/);
});

test('ids are ordered as the database orders strings', () => {
  const ids = ['a', 'ab', 'b', '\uffff', '\u{1f600}', 'Z', 'é'];
  const byBytes = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  expect([...ids].sort(compareIds)).toEqual(byBytes);
});
