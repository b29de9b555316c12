/** Test helpers for İYS Sync mode: put the demo app in sync mode, run the sync now and wait for that run to finish. */
import { formatIysDate } from '../../iys/dates';
import { eventually, type Harness } from './harness';

export const SYNC_SETTINGS = { mode: 'sync', iysCode: 700001, brandCode: 700001, syncIntervalMinutes: 60 };

/** An İYS-format (Turkey time) date `ms` from now; negative is in the past. */
export const iysAt = (ms: number) => formatIysDate(Date.now() + ms);

export async function enterSyncMode(h: Harness): Promise<void> {
  const res = await h.call('PUT', '/v1/iys/settings', SYNC_SETTINGS);
  if (res.status !== 200) throw new Error(`PUT /v1/iys/settings: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Makes what citizens did so far visible in the changes feed: with no lag configured a
 * movement still shows only once its whole second has passed, so the simulator's clock
 * moves on a little rather than the test sleeping.
 */
export const publishMovements = (h: Harness) => h.iys!.advanceClock(1_500);

async function runIds(h: Harness): Promise<Set<string>> {
  const res = await h.call('GET', '/v1/iys/sync/runs?limit=100');
  return new Set((res.body.runs as { runId: string }[]).map((r) => r.runId));
}

/** A run that was not there before `start`, once it has finished. */
export async function awaitNewRun(h: Harness, before: Set<string>, timeoutMs = 90_000): Promise<any> {
  return eventually(async () => {
    const res = await h.call('GET', '/v1/iys/sync/runs?limit=100');
    return (res.body.runs as { runId: string; status: string }[]).find((r) => !before.has(r.runId) && r.status !== 'running');
  }, timeoutMs);
}

/** POST /v1/iys/sync/run and the run it started, finished. */
export async function runSyncNow(h: Harness, timeoutMs?: number): Promise<any> {
  const before = await runIds(h);
  const res = await h.call('POST', '/v1/iys/sync/run');
  if (res.status !== 202) throw new Error(`POST /v1/iys/sync/run: ${res.status} ${JSON.stringify(res.body)}`);
  return awaitNewRun(h, before, timeoutMs);
}

export { runIds };
