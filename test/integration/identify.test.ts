/** Anonymous profiles and POST /v1/identify: promotion, merge, idempotence and racing merges. */
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('identify', { worker: false });
});
afterAll(async () => h?.close());

const events = (who: Record<string, string>, prefix: string, n: number, name = 'view') =>
  h.call('POST', '/v1/events', { events: Array.from({ length: n }, (_, i) => ({ eventId: `${prefix}-${i}`, name, ...who })) });

async function countersOf(profileId: string) {
  const totals: Record<string, number> = {};
  for (const r of await h.db.eventCounters.find({ appId: 'demo', profileId }).lean()) totals[r.name] = (totals[r.name] ?? 0) + r.n;
  return totals;
}

test('an anonymous person who signs up keeps the same profile: it takes the externalId', async () => {
  const anon = await h.call('POST', '/v1/profiles', { anonymousId: 'anon-promote', attributes: { lang: 'tr' } });
  expect(anon.status).toBe(201);
  await events({ anonymousId: 'anon-promote' }, 'promote', 3);
  const res = await h.call('POST', '/v1/identify', { anonymousId: 'anon-promote', externalId: 'promoted' });
  expect(res.status).toBe(200);
  expect(res.body.merged).toBe(false);
  expect(res.body.profile).toMatchObject({ id: anon.body.id, externalId: 'promoted', anonymousIds: ['anon-promote'], attributes: { lang: 'tr' } });
  expect((await h.call('GET', '/v1/profiles/promoted')).body.id).toBe(anon.body.id);
});

test('a known person seen on a new device gets the anonymousId, and later events follow it', async () => {
  await h.call('POST', '/v1/profiles', { externalId: 'known-first' });
  const res = await h.call('POST', '/v1/identify', { anonymousId: 'anon-new-device', externalId: 'known-first' });
  expect(res.body).toMatchObject({ merged: false, profile: { externalId: 'known-first', anonymousIds: ['anon-new-device'] } });
  await events({ anonymousId: 'anon-new-device' }, 'follow', 2);
  expect(await countersOf(`demo:${res.body.profile.id}`)).toEqual({ view: 2 });
});

test('merging moves attributes (known values win), channels, devices, events and counters, and deletes the anonymous profile', async () => {
  const anon = await h.call('POST', '/v1/profiles', {
    anonymousId: 'anon-merge', email: 'Anon@Example.com', attributes: { lang: 'en', city: 'İzmir' },
    devices: [{ token: 'tok-merge', platform: 'android', timeZone: 'Europe/Istanbul' }],
  });
  await events({ anonymousId: 'anon-merge' }, 'm-anon', 3);
  await events({ anonymousId: 'anon-merge' }, 'm-anon-buy', 1, 'purchase');
  const known = await h.call('POST', '/v1/profiles', { externalId: 'merge-target', msisdn: '05321112233', attributes: { lang: 'tr' } });
  await events({ externalId: 'merge-target' }, 'm-known', 2);

  const res = await h.call('POST', '/v1/identify', { anonymousId: 'anon-merge', externalId: 'merge-target' });
  expect(res.status).toBe(200);
  expect(res.body.merged).toBe(true);
  expect(res.body.profile).toMatchObject({
    id: known.body.id, externalId: 'merge-target', anonymousIds: ['anon-merge'], email: 'anon@example.com', msisdn: '+905321112233',
    attributes: { lang: 'tr', city: 'İzmir' }, devices: [{ token: 'tok-merge', platform: 'android' }],
  });
  const knownId = `demo:${known.body.id}`;
  expect(await h.db.profiles.findOne({ _id: `demo:${anon.body.id}` }).lean()).toBeNull();
  expect(await h.db.events.countDocuments({ appId: 'demo', profileId: knownId })).toBe(6);
  expect(await countersOf(knownId)).toEqual({ view: 5, purchase: 1 });
  expect(await countersOf(`demo:${anon.body.id}`)).toEqual({});

  // Idempotent: the same call again changes nothing.
  const again = await h.call('POST', '/v1/identify', { anonymousId: 'anon-merge', externalId: 'merge-target' });
  expect(again.body.merged).toBe(false);
  expect(await countersOf(knownId)).toEqual({ view: 5, purchase: 1 });
});

test('a merge that races itself leaves one profile with everything, counted once', async () => {
  await h.call('POST', '/v1/profiles', { anonymousId: 'anon-race', attributes: { source: 'ad' }, devices: [{ token: 'tok-race', platform: 'ios' }] });
  await events({ anonymousId: 'anon-race' }, 'race-anon', 4);
  await h.call('POST', '/v1/profiles', { externalId: 'race-target' });
  await events({ externalId: 'race-target' }, 'race-known', 1);

  const results = await Promise.all(Array.from({ length: 6 }, () => h.call('POST', '/v1/identify', { anonymousId: 'anon-race', externalId: 'race-target' })));
  expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  const ids = new Set(results.map((r) => r.body.profile.id));
  expect(ids.size).toBe(1);
  const profileId = `demo:${[...ids][0]}`;
  const profiles = await h.db.profiles.find({ appId: 'demo', $or: [{ externalId: 'race-target' }, { anonymousIds: 'anon-race' }] }).lean();
  expect(profiles.map((p) => p._id)).toEqual([profileId]);
  expect(profiles[0]).toMatchObject({ attributes: { source: 'ad' }, devices: [{ token: 'tok-race' }] });
  expect(await h.db.events.countDocuments({ appId: 'demo', profileId })).toBe(5);
  expect(await countersOf(profileId)).toEqual({ view: 5 });
});

test('an anonymousId that belongs to another person is a 409 and changes nothing', async () => {
  await h.call('POST', '/v1/identify', { anonymousId: 'anon-taken', externalId: 'first-owner' });
  await h.call('POST', '/v1/profiles', { externalId: 'second-owner' });
  const res = await h.call('POST', '/v1/identify', { anonymousId: 'anon-taken', externalId: 'second-owner' });
  expect(res.status).toBe(409);
  expect(res.body.error.details[0].path).toBe('body.anonymousId');
  expect((await h.call('GET', '/v1/profiles/first-owner')).body.anonymousIds).toEqual(['anon-taken']);
  expect((await h.call('GET', '/v1/profiles/second-owner')).body.anonymousIds).toBeUndefined();
  expect((await h.call('POST', '/v1/identify', { anonymousId: 'anon-taken' })).status).toBe(400);
});

test('after a merge, re-sending pre-sign-in events with their old anonymousId is answered as duplicates and changes no count', async () => {
  // Before sign-in: a batch of the anonymous person alone, and one that also holds an event of the known person.
  const anonOnly = Array.from({ length: 3 }, (_, i) => ({ eventId: `resend-anon-${i}`, name: 'purchase', anonymousId: 'anon-resend' }));
  const mixed = [{ eventId: 'resend-anon-3', name: 'purchase', anonymousId: 'anon-resend' }, { eventId: 'resend-known-0', name: 'purchase', externalId: 'resend-known' }];
  expect((await h.call('POST', '/v1/events', { events: anonOnly })).body).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
  expect((await h.call('POST', '/v1/events', { events: mixed })).body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
  await h.call('POST', '/v1/profiles', { externalId: 'resend-known', email: 'resend@example.com' });
  const merged = await h.call('POST', '/v1/identify', { anonymousId: 'anon-resend', externalId: 'resend-known' });
  expect(merged.body.merged).toBe(true);
  const profileId = `demo:${merged.body.profile.id}`;

  const segments = async () => {
    const counts = [];
    for (const count of [5, 6]) counts.push((await h.call('POST', '/v1/segments/preview', { rule: { and: [{ event: 'purchase', op: 'atLeast', count }, { channel: 'email' }] }, sample: 0 })).body.count);
    const exactlyFive = await h.call('POST', '/v1/segments/preview', { rule: { event: 'purchase', op: 'exactly', count: 5 }, sample: 100 });
    return { atLeastFiveAndSix: counts, exactlyFive: exactlyFive.body.sample.map((p: { id: string }) => p.id) };
  };
  const before = { counters: await countersOf(profileId), segments: await segments() };
  expect(before).toEqual({ counters: { purchase: 5 }, segments: { atLeastFiveAndSix: [1, 0], exactlyFive: [merged.body.profile.id] } });

  for (const events of [anonOnly.slice(0, 1), anonOnly, mixed]) {
    const again = await h.call('POST', '/v1/events', { events });
    expect(again.body).toEqual({ accepted: 0, duplicates: events.length, rejected: [] });
    expect({ counters: await countersOf(profileId), segments: await segments() }).toEqual(before);
  }
  expect(await h.db.events.countDocuments({ appId: 'demo', profileId })).toBe(5);
});
