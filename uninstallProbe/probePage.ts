/**
 * One page of a probe run: the next profiles (by `_id`) holding an installed device not seen
 * since `staleBefore`, and a silent push to each such device through its platform's
 * adapter. A provider's "token is dead" marks the device uninstalled (at the provider's time
 * when it gives one); an accepted push marks nothing, whether or not the device ever
 * acknowledges it (a phone in flight mode is not uninstalled); a 429 or 5xx is asked again a
 * few times, and any failure left is counted and marks nothing, so the next run asks again.
 *
 * The query pages by `_id` with a small limit and a time budget: FerretDB answers only `_id`
 * from an index and evaluates the rest of the filter over the collection, so one page is
 * one bounded scan, never an unbounded list of ids.
 */
import type { Db } from '../data/db';
import type { Device } from '../data/models/profiles';
import { markTokenUninstalled } from '../data/profileDevices';
import { noProbeCounts, PROBE_PUSH_DATA, type ProbeCounts, type ProbePageInput, type ProbePageResult } from '../domain/uninstallProbe';
import { isRetryable, type PushChannelAdapter, type PushMessage, type PushSendOutcome } from '../providers/channels';
import type { PushAdapters } from '../providers/pushAdapters';

/** Pushes in flight at once within a page. */
const PROBE_CONCURRENCY = 8;
const PAGE_QUERY_MAX_TIME_MS = 30_000;
/** A probe not delivered within a day is pointless: the next run asks again. */
const PROBE_TTL_SECONDS = 24 * 3600;
/** A rate-limited or unavailable answer is asked again this many times, after Retry-After (at most MAX_WAIT_MS) or a backoff. */
const RETRIES = 2;
const MAX_WAIT_MS = 10_000;

export function isStale(d: Pick<Device, 'updatedAt' | 'uninstalledAt'>, staleBefore: Date): boolean {
  return !d.uninstalledAt && d.updatedAt < staleBefore;
}

async function forEachBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/** One probe, asked again after a 429 or a 5xx a few times (the provider's Retry-After, bounded) before it counts as an error. */
async function sendProbe(adapter: PushChannelAdapter, message: PushMessage, beat?: () => void): Promise<PushSendOutcome> {
  for (let attempt = 0; ; attempt++) {
    const outcome = await adapter.send(message);
    if (outcome.ok || !isRetryable(outcome) || attempt >= RETRIES) return outcome;
    await new Promise((resolve) => setTimeout(resolve, Math.min(outcome.retryAfterMs ?? 500 * 2 ** attempt, MAX_WAIT_MS)));
    beat?.();
  }
}

export async function probePage(deps: { db: Db; push: PushAdapters; beat?: () => void }, input: ProbePageInput): Promise<ProbePageResult> {
  const staleBefore = new Date(input.staleBefore);
  const profiles = await deps.db.profiles
    .find({ appId: input.appId, ...(input.after ? { _id: { $gt: input.after } } : {}), deviceTags: 'any', 'devices.updatedAt': { $lt: staleBefore } }, { devices: 1 })
    .sort({ _id: 1 })
    .limit(input.pageSize)
    .maxTimeMS(PAGE_QUERY_MAX_TIME_MS)
    .lean();
  const counts: ProbeCounts = noProbeCounts();
  const devices = profiles.flatMap((p) => (p.devices ?? []).filter((d) => isStale(d, staleBefore)));
  // One token may sit on two profiles for a moment (a registration moving it): one push is enough.
  const tokens = [...new Map(devices.map((d) => [d.token, d])).values()];

  await forEachBounded(tokens, PROBE_CONCURRENCY, async (device) => {
    deps.beat?.();
    const adapter = await deps.push.forApp(input.appId, device.platform);
    counts.probed++;
    if (!adapter) {
      counts.errors++;
      return;
    }
    const outcome = await sendProbe(adapter, { token: device.token, data: { ...PROBE_PUSH_DATA }, silent: true, ttlSeconds: PROBE_TTL_SECONDS, idempotencyKey: `probe:${input.runId}:${device.token}` }, deps.beat);
    if (outcome.ok) counts.noAnswer++;
    else if (outcome.kind === 'unregistered') {
      await markTokenUninstalled(deps.db, input.appId, device.token, outcome.unregisteredAt ?? new Date());
      counts.uninstalled++;
    } else counts.errors++;
  });

  const last = profiles.at(-1)?._id;
  return { counts, ...(profiles.length === input.pageSize && last ? { next: last } : {}) };
}
