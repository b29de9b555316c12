/**
 * Property: for random profiles, events (some late, some sent twice) and random rules,
 * count = rows exported = the brute-force evaluation (test/support/segmentOracle.ts).
 * The seed is printed; ROTA_PROPERTY_SEED=<seed> replays a run.
 */
import { createECDH } from 'node:crypto';
import { matches, type ModelProfile } from '../support/segmentOracle';
import { ATTRS, CONSENT_TYPES, DAY, EVENTS, PLATFORMS, prng, ruleGenerators, wire } from '../support/randomRules';
import { startHarness, type Harness } from '../support/harness';

const webKeys = createECDH('prime256v1');
webKeys.generateKeys();
const WEB_KEYS = { p256dh: webKeys.getPublicKey().toString('base64url'), auth: Buffer.alloc(16, 7).toString('base64url') };

const SEED = Number(process.env.ROTA_PROPERTY_SEED ?? Date.now() % 1_000_000);
const PROFILES = 80;
const RULES = 150;
const r = prng(SEED);

let h: Harness;
const model: ModelProfile[] = [];
let genNow: number;

// Dates count back from when the profiles were generated: the seconds between generating and evaluating never flip a relative-date answer.
const { randomValue, randomRule } = ruleGenerators(r, () => genNow, {
  leafKinds: ['attribute', 'attribute', 'attribute', 'event', 'event', 'device', 'consent', 'channel'],
  leafChance: 0.45, minDepth: 0, branches: ['and', 'or', 'not'], children: [1, 3],
});

beforeAll(async () => {
  console.log(`segment property test: ROTA_PROPERTY_SEED=${SEED}`);
  h = await startHarness('segprop', { worker: false, env: { EVENT_MAX_AGE_DAYS: '60' } });
  genNow = Date.now();
  await h.call('PUT', '/v1/attributes/mode', { mode: 'strict' });
  for (const [name, type] of Object.entries(ATTRS)) expect((await h.call('POST', '/v1/attributes', { name, type })).status).toBe(201);

  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < PROFILES; i++) {
    const externalId = `kişi-${i}`;
    const attributes = Object.fromEntries(Object.entries(ATTRS).filter(() => r.chance(0.6)).map(([n, t]) => [n, randomValue(t)]));
    const devices = Array.from({ length: r.int(0, 2) }, (_, d) => {
      const platform = r.pick(PLATFORMS);
      // A web device is a browser's push subscription: its endpoint is the token, with the keys to encrypt to.
      return platform === 'web'
        ? { token: `https://push.example/tok-${i}-${d}`, platform, pushEnabled: r.chance(0.6), webPush: WEB_KEYS }
        : { token: `tok-${i}-${d}`, platform, pushEnabled: r.chance(0.6) };
    });
    const body = {
      externalId, attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, wire(v)])), devices,
      ...(r.chance(0.5) ? { email: `k${i}@example.com` } : {}), ...(r.chance(0.5) ? { msisdn: `0532${String(1000000 + i)}` } : {}),
    };
    const res = await h.call('POST', '/v1/profiles', body);
    expect(res.status).toBe(201);
    const consents = Object.fromEntries(CONSENT_TYPES.filter(() => r.chance(0.5)).map((t) => [t, r.pick(['ONAY', 'RET'] as const)]));
    if (Object.keys(consents).length > 0) {
      // The consent store (İYS issue) keeps this summary; here it is written as that store would.
      const summary = Object.fromEntries(Object.entries(consents).map(([t, status]) => [t, { status, recipientType: 'BIREYSEL', consentDate: new Date(genNow) }]));
      await h.db.profiles.updateOne({ _id: `demo:${res.body.id}` }, { $set: { consents: summary } });
    }
    const profile: ModelProfile = { id: res.body.id, attributes, devices, consents, events: {}, ...('email' in body ? { email: body.email } : {}), ...('msisdn' in body ? { msisdn: body.msisdn } : {}) };
    for (let e = 0; e < r.int(0, 7); e++) {
      const name = r.pick(EVENTS);
      const daysAgo = r.chance(0.5) ? 0 : r.int(1, 50); // half of them late, as from offline devices
      (profile.events[name] ??= []).push(Math.floor((genNow - daysAgo * DAY) / DAY));
      events.push({ eventId: `${i}-${e}`, name, externalId, occurredAt: new Date(genNow - daysAgo * DAY).toISOString() });
    }
    model.push(profile);
  }
  // Sent in shuffled batches, a fifth of them twice: duplicates are counted, never stored twice.
  const resent = events.filter(() => r.chance(0.2));
  const all = [...events, ...resent].sort(() => r.int(-1, 1));
  for (let i = 0; i < all.length; i += 100) expect((await h.call('POST', '/v1/events', { events: all.slice(i, i + 100) })).status).toBe(200);
  expect(await h.db.events.countDocuments({ appId: 'demo' })).toBe(events.length);
});
afterAll(async () => h?.close());

test(`count = exported rows = brute force, for ${RULES} random rules`, async () => {
  let nonTrivial = 0;
  for (let i = 0; i < RULES; i++) {
    const rule = randomRule();
    const context = `seed ${SEED}, rule ${i}: ${JSON.stringify(rule)}`;
    const saved = await h.call('POST', '/v1/segments', { id: `p${i}`, name: `random ${i}`, rule });
    expect({ context, status: saved.status, body: saved.status === 201 ? undefined : saved.body }).toEqual({ context, status: 201, body: undefined });

    const count = await h.call('GET', `/v1/segments/p${i}/count`);
    const expected = model.filter((p) => matches(p, rule, Date.parse(count.body.evaluatedAt))).map((p) => p.id).sort();
    expect({ context, count: count.body.count }).toEqual({ context, count: expected.length });

    const exported = await fetch(`${h.api.url}/v1/segments/p${i}/export`, { headers: { authorization: `Bearer ${h.apiKey}` } });
    const rows = (await exported.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string).sort();
    expect({ context, rows }).toEqual({ context, rows: expected });
    if (expected.length > 0 && expected.length < PROFILES) nonTrivial++;
  }
  // The generator must produce rules that split the population, or the property says little.
  expect(nonTrivial).toBeGreaterThan(RULES / 3);
});
