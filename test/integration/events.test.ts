/** Event ingestion: batches, idempotent eventIds, late events, per-item rejections, and the behavioural counters. */
import { utcDay } from '../../events/counters';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('events', { worker: false, env: { EVENT_MAX_AGE_DAYS: '30', EVENT_MAX_SKEW_SECONDS: '60' } });
});
afterAll(async () => h?.close());

const daysAgo = (d: number, hours = 0) => new Date(Date.now() - d * 86_400_000 - hours * 3_600_000);

async function profileIdOf(externalId: string): Promise<string> {
  return (await h.db.profileKeys.findOne({ _id: `demo:x:${externalId}` }).lean())!.profileId;
}

/** The profile's count of `name` on the day of `at`: the sum of its counters there. */
async function counter(externalId: string, name: string, at: Date): Promise<number> {
  const rows = await h.db.eventCounters.find({ appId: 'demo', profileId: await profileIdOf(externalId), name, day: utcDay(at) }).lean();
  return rows.reduce((sum, c) => sum + c.n, 0);
}

test('one event is stored with its time and counted; the profile is created on first sight', async () => {
  const res = await h.call('POST', '/v1/events', { eventId: 'e-single', name: 'app.open', externalId: 'ev-one', attributes: { screen: 'home', n: 2 } });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  const stored = await h.db.events.findOne({ _id: 'demo:e-single' }).lean();
  expect(stored).toMatchObject({ name: 'app.open', attributes: { screen: 'home', n: 2 } });
  expect((await h.call('GET', '/v1/profiles/ev-one')).status).toBe(200);
  expect(await counter('ev-one', 'app.open', new Date())).toBe(1);
});

test('a batch stores the valid events, reports each invalid one by index, and a re-sent batch stores nothing twice', async () => {
  const late = daysAgo(10);
  const events = [
    { eventId: 'b-1', name: 'purchase', externalId: 'ev-batch', attributes: { amount: 120.5, currency: 'TRY' } },
    { eventId: 'b-2', name: 'purchase', externalId: 'ev-batch', occurredAt: late.toISOString() },
    { eventId: 'b-3', name: '9bad name', externalId: 'ev-batch' },
    { eventId: 'b-4', name: 'purchase', externalId: 'ev-batch', occurredAt: new Date(Date.now() + 3_600_000).toISOString() },
    { eventId: 'b-5', name: 'purchase', externalId: 'ev-batch', occurredAt: daysAgo(31).toISOString() },
    { eventId: 'b-6', name: 'purchase', externalId: 'ev-batch', attributes: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`a${i}`, i])) },
    { eventId: 'b-7', name: 'purchase', externalId: 'ev-batch', attributes: { nested: { no: 1 } } },
    { eventId: 'b-8', name: 'purchase' },
    { eventId: 'b-1', name: 'purchase', externalId: 'ev-batch' },
  ];
  const res = await h.call('POST', '/v1/events', { events });
  expect(res.status).toBe(200);
  expect(res.body.accepted).toBe(2);
  expect(res.body.duplicates).toBe(1);
  const rejected = Object.fromEntries(res.body.rejected.map((r: { index: number; errors: { path: string }[] }) => [r.index, r.errors.map((e) => e.path)]));
  expect(rejected).toEqual({
    2: ['body.events.2.name'],
    3: ['body.events.3.occurredAt'],
    4: ['body.events.4.occurredAt'],
    5: ['body.events.5.attributes'],
    6: ['body.events.6.attributes.nested'],
    7: ['body.events.7.externalId'],
  });
  // Offline events are stored at their real time and counted on their own day.
  expect((await h.db.events.findOne({ _id: 'demo:b-2' }).lean())!.occurredAt).toEqual(late);
  expect(await counter('ev-batch', 'purchase', late)).toBe(1);
  expect(await counter('ev-batch', 'purchase', new Date())).toBe(1);

  const again = await h.call('POST', '/v1/events', { events: events.slice(0, 2) });
  expect(again.body).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
  expect(await h.db.events.countDocuments({ appId: 'demo', name: 'purchase' })).toBe(2);
  expect(await counter('ev-batch', 'purchase', new Date())).toBe(1);
});

test('more than 1000 events is a 413 and stores nothing', async () => {
  const before = await h.db.events.countDocuments({ appId: 'demo' });
  const events = Array.from({ length: 1001 }, (_, i) => ({ eventId: `big-${i}`, name: 'x', externalId: 'ev-big' }));
  const res = await h.call('POST', '/v1/events', { events });
  expect(res.status).toBe(413);
  expect(res.body.error.details[0].path).toBe('body.events');
  expect(await h.db.events.countDocuments({ appId: 'demo' })).toBe(before);
});

test('a single invalid event, an empty batch or malformed JSON is a 400 naming the field and writes nothing', async () => {
  const before = [await h.db.events.countDocuments({ appId: 'demo' }), await h.db.profiles.countDocuments({ appId: 'demo' })];
  const single = await h.call('POST', '/v1/events', { name: 'x', externalId: 'ev-nobody', occurredAt: 'yesterday' });
  expect(single.status).toBe(400);
  expect(single.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.occurredAt']);
  const allBad = await h.call('POST', '/v1/events', { events: [{ name: 'x' }, { name: 'x', externalId: 'ev-nobody', attributes: { v: null } }] });
  expect(allBad.status).toBe(400);
  expect(allBad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.events.0.externalId', 'body.events.1.attributes.v']);
  const empty = await h.call('POST', '/v1/events', { events: [] });
  expect(empty.status).toBe(400);
  expect(empty.body.error).toEqual({ code: 'invalid_request', message: 'body.events: must hold at least 1 event', details: [{ path: 'body.events', message: 'must hold at least 1 event' }] });
  const notAList = await h.call('POST', '/v1/events', { events: { name: 'x', externalId: 'ev-nobody' } });
  expect(notAList.status).toBe(400);
  expect(notAList.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.events']);
  const malformed = await h.call('POST', '/v1/events', '{"name": "x", ');
  expect(malformed.status).toBe(400);
  expect(malformed.body.error.code).toBe('malformed_json');
  expect([await h.db.events.countDocuments({ appId: 'demo' }), await h.db.profiles.countDocuments({ appId: 'demo' })]).toEqual(before);
});

test('events stored by a process that died before counting them are counted exactly once when the batch is re-sent', async () => {
  await h.call('POST', '/v1/events', { eventId: 'c-0', name: 'view', externalId: 'ev-crash' });
  const profileId = await profileIdOf('ev-crash');
  const now = new Date();
  // The state a request that died between storing its events and writing its counters leaves behind.
  await h.db.events.insertMany(['c-1', 'c-2'].map((id) => ({ _id: `demo:${id}`, appId: 'demo', eventId: id, profileId, name: 'view', occurredAt: now, receivedAt: now, day: utcDay(now), attributes: {}, ingestId: 'died' })));
  expect(await counter('ev-crash', 'view', now)).toBe(1);
  const res = await h.call('POST', '/v1/events', { events: ['c-1', 'c-2', 'c-3'].map((eventId) => ({ eventId, name: 'view', externalId: 'ev-crash' })) });
  expect(res.body).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
  expect(await counter('ev-crash', 'view', now)).toBe(4);
  // And once more: nothing changes.
  await h.call('POST', '/v1/events', { events: ['c-1', 'c-2', 'c-3'].map((eventId) => ({ eventId, name: 'view', externalId: 'ev-crash' })) });
  expect(await counter('ev-crash', 'view', now)).toBe(4);
});

test('events for an anonymous id land on an anonymous profile', async () => {
  const res = await h.call('POST', '/v1/events', { eventId: 'anon-1', name: 'app.open', anonymousId: 'device-123' });
  expect(res.body.accepted).toBe(1);
  const key = await h.db.profileKeys.findOne({ _id: 'demo:a:device-123' }).lean();
  const profile = await h.db.profiles.findOne({ _id: key!.profileId }).lean();
  expect(profile).toMatchObject({ anonymousIds: ['device-123'] });
  expect(profile!.externalId).toBeUndefined();
});

test('event attributes named like built-in object members are a 400 naming each, and nothing is stored', async () => {
  const before = await h.db.events.countDocuments({ appId: 'demo' });
  // Raw JSON: an object literal would not carry __proto__ as an own key.
  const res = await h.call('POST', '/v1/events', '{"eventId":"proto-1","name":"x","externalId":"ev-proto","attributes":{"__proto__":{"polluted":true},"constructor":"c","toString":"t","ok":1}}');
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.attributes.__proto__', 'body.attributes.constructor', 'body.attributes.toString']);
  expect(res.body.error.details.find((d: { path: string }) => d.path === 'body.attributes.constructor').message).toMatch(/constructor/);
  expect(await h.db.events.countDocuments({ appId: 'demo' })).toBe(before);
});
