/**
 * Journeys (issue 12): entry events posted one by one to `POST /v1/events` at a fixed rate,
 * into a one-step push journey (ingest → signal-with-start → the run → the message workflow
 * as its child → FCM simulator), measuring for each profile the time from the event's 200 to
 * the push reaching the simulator: p50 and p99. The floor, in the same run, is a plain loop at
 * the same rate posting the same pushes through the same FCM adapter, timed from its own
 * start of each send.
 *
 * Then M profiles enter a journey that waits (wait-for-event, 30 days) and the API + worker
 * process's memory is read before and after: what one waiting run costs a worker (Temporal
 * keeps their state; the worker's sticky cache holds at most its size of them).
 *
 * BENCH_JOURNEY_EVENTS (default 1000) at BENCH_JOURNEY_RATE a second (default 50), and
 * BENCH_JOURNEY_WAITING (default 2000) size it.
 */
import { createPushAdapters } from '../providers/pushAdapters';
import type { Stack } from '../infra/stack';
import type { Db } from '../data/db';
import { pushMessageFor } from '../activities/pushMessage';
import { startBenchRota, pool } from './benchRota';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

/** Profiles findable by externalId (with their profileKeys), each with one Android device that confirms delivery at once. */
async function seed(db: Db, prefix: string, n: number): Promise<string[]> {
  const at = new Date();
  const ext = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  for (let start = 0; start < n; start += 1000) {
    const chunk = ext.slice(start, start + 1000);
    await db.profiles.insertMany(chunk.map((externalId) => ({
      _id: `demo:prf_${externalId}`, appId: 'demo', externalId, attributes: {}, createdAt: at, updatedAt: at,
      devices: [{ token: `sim-delivers-0ms-${externalId}`, platform: 'android', pushEnabled: true, updatedAt: at }],
    })));
    await db.profileKeys.insertMany(chunk.map((externalId) => ({ _id: `demo:x:${externalId}`, appId: 'demo', profileId: `demo:prf_${externalId}` })));
  }
  return ext;
}

/** Calls `fn` for each item at `rate` a second (a start every 1/rate s, whatever the previous took). */
async function atRate<T>(items: T[], rate: number, fn: (item: T) => Promise<void>): Promise<void> {
  const t0 = performance.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < items.length; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    running.push(fn(items[i]!));
  }
  await Promise.all(running);
}

export async function benchJourneys(stack: Stack, events: number, rate: number, waiting: number): Promise<string[]> {
  const rota = await startBenchRota(stack, 'journeys', { worker: true });
  const lines = [`journeys: ${events} entry events at ${rate}/s into a one-step push journey; ${waiting} waiting runs`];
  try {
    const ok = async (res: Promise<Response>, what: string) => {
      const r = await res;
      if (r.status >= 300) throw new Error(`${what}: ${r.status} ${await r.text()}`);
    };
    await ok(rota.call('POST', '/v1/templates', { id: 'hi', name: 'Hi', channels: { push: { title: 'Merhaba', body: 'Hoş geldin' } } }), 'template');
    await ok(rota.call('POST', '/v1/templates/hi/publish'), 'publish template');
    for (const name of ['bench.signup', 'bench.wait', 'bench.never']) await ok(rota.call('POST', '/v1/event-types', { name }), `event ${name}`);
    for (const j of [
      { id: 'welcome', name: 'welcome', entry: { kind: 'event', event: 'bench.signup' }, reEntry: { policy: 'never' }, steps: [{ id: 'hi', kind: 'send', template: { id: 'hi' }, channels: ['push'], category: 'transactional', next: 'end' }, { id: 'end', kind: 'exit' }] },
      { id: 'waiting', name: 'waiting', entry: { kind: 'event', event: 'bench.wait' }, reEntry: { policy: 'never' }, steps: [{ id: 'w', kind: 'waitForEvent', event: 'bench.never', timeout: { days: 30 }, next: { received: 'end', timedOut: 'end' } }, { id: 'end', kind: 'exit' }] },
    ]) {
      await ok(rota.call('POST', '/v1/journeys', j), `journey ${j.id}`);
      await ok(rota.call('POST', `/v1/journeys/${j.id}/publish`), `publish ${j.id}`);
    }

    // Rota: event accepted → push received.
    const people = await seed(rota.db, 'jb', events);
    const accepted = new Map<string, number>();
    await atRate(people, rate, async (externalId) => {
      await ok(rota.call('POST', '/v1/events', { externalId, name: 'bench.signup' }), 'event');
      accepted.set(`sim-delivers-0ms-${externalId}`, Date.now());
    });
    const received = () => new Map(rota.push.fcm.pushes.filter((p) => p.token.startsWith('sim-delivers-0ms-jb-')).map((p) => [p.token, Date.parse(p.receivedAt)]));
    for (let i = 0; received().size < events; i++) {
      if (i > 1200) throw new Error(`only ${received().size} of ${events} pushes arrived`);
      await sleep(250);
    }
    const rotaLatency = [...received()].map(([token, at]) => at - accepted.get(token)!);

    // The floor: the same pushes through the same adapter at the same rate, timed from each send's start.
    const adapters = createPushAdapters({ FCM_URL: rota.push.env.FCM_URL, PUSH_CREDENTIALS_FILE: rota.push.env.PUSH_CREDENTIALS_FILE });
    const adapter = (await adapters.forApp('demo', 'android'))!;
    const floorLatency: number[] = [];
    await atRate(people, rate, async (externalId) => {
      const t = Date.now();
      const device = { token: `sim-silent-floor-${externalId}`, platform: 'android' as const, pushEnabled: true, updatedAt: new Date() };
      await adapter.send(pushMessageFor(device, { push: { title: 'Merhaba', body: 'Hoş geldin' } }, { rota_app_id: 'demo' }, `floor-${externalId}`));
      const got = [...rota.push.fcm.pushes].reverse().find((p) => p.token === device.token);
      floorLatency.push(Date.parse(got!.receivedAt) - t);
    });
    await adapters.close();
    lines.push(
      `  event → push: Rota p50 ${ms(pct(rotaLatency, 0.5))}, p99 ${ms(pct(rotaLatency, 0.99))}; floor (the push alone) p50 ${ms(pct(floorLatency, 0.5))}, p99 ${ms(pct(floorLatency, 0.99))}`,
      `  ratio of medians floor/Rota: ${(pct(floorLatency, 0.5) / pct(rotaLatency, 0.5)).toFixed(3)} (what Rota adds: ingest, the router's signal-with-start, enter + record + prepare activities, the child message workflow, the gate)`,
    );

    // Waiting runs: memory of the API + worker process before and after.
    const waiters = await seed(rota.db, 'jw', waiting);
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage();
    const batches = Array.from({ length: Math.ceil(waiting / 500) }, (_, i) => waiters.slice(i * 500, i * 500 + 500));
    const t0 = Date.now();
    await pool(batches, 2, async (b) => ok(rota.call('POST', '/v1/events', { events: b.map((externalId) => ({ externalId, name: 'bench.wait' })) }), 'wait events'));
    for (let i = 0; ; i++) {
      const stats = (await (await rota.call('GET', '/v1/journeys/waiting/stats')).json()) as { steps: { w: { waiting: number } } };
      if (stats.steps.w.waiting >= waiting) break;
      if (i > 2400) throw new Error(`only ${stats.steps.w.waiting} of ${waiting} runs waiting`);
      await sleep(250);
    }
    const enterMs = Date.now() - t0;
    (globalThis as { gc?: () => void }).gc?.();
    const after = process.memoryUsage();
    lines.push(
      `  ${waiting} waiting runs entered in ${(enterMs / 1000).toFixed(1)} s (${(waiting / (enterMs / 1000)).toFixed(0)}/s); API + worker RSS ${mb(before.rss)} → ${mb(after.rss)} MB, heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB: ` +
        `${((after.rss - before.rss) / waiting / 1024).toFixed(1)} KB RSS per waiting run (Temporal holds their state; the worker's sticky cache keeps the recent ones)`,
    );
  } finally {
    await rota.stop();
  }
  return lines;
}
