/**
 * Customer data throughput and latency.
 *
 * Events: N events through `POST /v1/events` in batches of 500 (validation, profile
 * lookup, idempotent insert, counter upserts), against the raw floor: `insertMany` of the
 * same documents, in the same batches, into the same database.
 *
 * Segments: count latency on P profiles (written straight to the database: setup, not
 * measured) for rules of each kind, compiled and counted as `GET /v1/segments/{id}/count`
 * does, against the raw floor: a `countDocuments` of all the app's profiles.
 */
import { randomUUID } from 'node:crypto';
import type { Stack } from '../infra/stack';
import { counterId } from '../data/models/eventCounters';
import { deviceTags } from '../data/profileDevices';
import { segmentFilter } from '../segments/evaluateSegment';
import { pool, startBenchRota, type BenchRota } from './benchRota';

const DAY = 86_400_000;
const BATCH = 500;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function benchEvents(rota: BenchRota, n: number, concurrency: number): Promise<string[]> {
  const now = Date.now();
  const events = Array.from({ length: n }, (_, i) => ({
    // As a backend relays them: each batch holds the recent events of ten users, a fifth of them late (offline devices).
    eventId: `e${i}`, name: i % 3 === 0 ? 'purchase' : 'view', externalId: `u${Math.floor(i / 50) % 2000}`,
    occurredAt: new Date(now - (i % 5 === 0 ? (i % 30) * DAY : 0)).toISOString(), attributes: { amount: i % 500, currency: 'TRY', sku: `sku-${i % 97}` },
  }));
  const batches = Array.from({ length: Math.ceil(n / BATCH) }, (_, b) => events.slice(b * BATCH, (b + 1) * BATCH));
  // Profiles exist beforehand in both runs, so both measure event writes, not first-sight profile creation.
  await pool([...Array(2000).keys()], 10, async (i) => void (await rota.call('POST', '/v1/profiles', { externalId: `u${i}` })).text());

  const rotaMs = await time(() => pool(batches, concurrency, async (batch) => {
    const res = await rota.call('POST', '/v1/events', { events: batch });
    if (res.status !== 200) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
    await res.text();
  }));
  const raw = rota.db.conn.db!.collection('rawEvents');
  const docs = events.map((e) => ({ _id: `demo:${e.eventId}` as unknown as never, appId: 'demo', eventId: e.eventId, profileId: `demo:prf_${e.externalId}`, name: e.name, occurredAt: new Date(e.occurredAt), receivedAt: new Date(), day: Math.floor(Date.parse(e.occurredAt) / DAY), attributes: e.attributes, ingestId: 'raw' }));
  const rawBatches = Array.from({ length: batches.length }, (_, b) => docs.slice(b * BATCH, (b + 1) * BATCH));
  const floorMs = await time(() => pool(rawBatches, concurrency, async (batch) => void (await raw.insertMany(batch, { ordered: false }))));
  const rate = (ms: number) => ((n / ms) * 1000).toFixed(0);
  return [
    `events, n=${n} in batches of ${BATCH}, concurrency=${concurrency}`,
    `  Rota (POST /v1/events: validate, resolve profiles, insert, counters): ${rotaMs.toFixed(0)} ms, ${rate(rotaMs)} events/s`,
    `  raw floor (insertMany of the same documents):                       ${floorMs.toFixed(0)} ms, ${rate(floorMs)} events/s`,
    `  ratio Rota/floor (time): ${(rotaMs / floorMs).toFixed(1)}x`,
  ];
}

/** P profiles and their counters, written directly in bulk (setup for the latency runs). */
async function seedProfiles(rota: BenchRota, p: number): Promise<void> {
  const now = new Date();
  const today = Math.floor(now.getTime() / DAY);
  const platforms = ['ios', 'android', 'web'] as const;
  for (let start = 0; start < p; start += 5000) {
    const profiles = [];
    const counters = [];
    for (let i = start; i < Math.min(p, start + 5000); i++) {
      const _id = `demo:prf_${randomUUID().replaceAll('-', '')}`;
      const devices = i % 4 === 0 ? [] : [{ token: `t${i}`, platform: platforms[i % 3]!, pushEnabled: i % 5 !== 0, updatedAt: now }];
      profiles.push({
        _id, appId: 'demo', externalId: `p${i}`, devices, deviceTags: deviceTags(devices), createdAt: now, updatedAt: now,
        attributes: { plan: ['free', 'gold', 'platinum'][i % 3], score: i % 100, city: ['İstanbul', 'Ankara', 'İzmir', 'Muğla'][i % 4], signup: new Date(now.getTime() - (i % 365) * DAY) },
        ...(i % 2 === 0 ? { consents: { MESAJ: { status: 'ONAY', recipientType: 'BIREYSEL', consentDate: now } } } : {}),
      });
      if (i % 3 === 0) for (const d of [0, 3, 10]) counters.push({ _id: counterId(_id, today - d, 'purchase', 'seed'), appId: 'demo', profileId: _id, name: 'purchase', day: today - d, n: 1 + (i % 4) });
    }
    await rota.db.profiles.collection.insertMany(profiles as never[], { ordered: false });
    await rota.db.eventCounters.collection.insertMany(counters as never[], { ordered: false });
  }
  for (const [name, type] of [['plan', 'string'], ['score', 'number'], ['city', 'string'], ['signup', 'date']]) await rota.call('POST', '/v1/attributes', { name, type });
}

/** Prints a line per rule as it is measured: on FerretDB a behaviour count over 100 000 profiles takes minutes. */
async function benchSegments(rota: BenchRota, p: number): Promise<void> {
  await seedProfiles(rota, p);
  const rules: Record<string, unknown> = {
    attribute: { and: [{ attribute: 'plan', op: 'eq', value: 'gold' }, { attribute: 'score', op: 'gte', value: 50 }] },
    'relative date': { attribute: 'signup', op: 'withinLastDays', days: 30 },
    'device + consent': { and: [{ device: { pushEnabled: true, platform: 'ios' } }, { consent: { type: 'MESAJ' } }] },
    behaviour: { event: 'purchase', op: 'atLeast', count: 4, withinDays: 7 },
    'mixed with not': { or: [{ attribute: 'city', op: 'eq', value: 'İzmir' }, { not: { event: 'purchase', op: 'never', withinDays: 30 } }] },
  };
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const floorRuns: number[] = [];
  for (let i = 0; i < runs; i++) floorRuns.push(await time(() => rota.db.profiles.countDocuments({ appId: 'demo' })));
  const floor = median(floorRuns);
  console.log(`segment count latency, ${p} profiles (median of ${runs}); raw floor = countDocuments of all the app's profiles: ${floor.toFixed(0)} ms`);
  for (const [name, rule] of Object.entries(rules)) {
    let count = 0;
    const xs: number[] = [];
    // In-process, as GET /v1/segments/{id}/count does it, so a count of minutes meets no HTTP client timeout.
    for (let i = 0; i < runs; i++) {
      xs.push(await time(async () => {
        const { filter } = await segmentFilter(rota.db, 'demo', rule, 'rule');
        count = await rota.db.profiles.countDocuments(filter);
      }));
    }
    console.log(`  ${name.padEnd(17)} ${median(xs).toFixed(0).padStart(7)} ms  (${count} members)  ratio ${(median(xs) / floor).toFixed(1)}x`);
  }
}

/** Prints each part as it finishes (the segment part takes minutes on FerretDB); answers nothing more to print. */
export async function benchCustomerData(stack: Pick<Stack, 'mongoUri' | 'temporalAddress' | 'smtpUrl'>, opts: { events: number; profiles: number; concurrency: number }): Promise<string[]> {
  const events = await startBenchRota(stack, 'events', { worker: false });
  console.log((await benchEvents(events, opts.events, opts.concurrency).finally(() => events.stop())).join('\n'));
  const segments = await startBenchRota(stack, 'segments', { worker: false });
  await benchSegments(segments, opts.profiles).finally(() => segments.stop());
  return [];
}
