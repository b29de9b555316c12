/**
 * Test helpers for İYS Sync mode. Each test file works in an app of its own: schedules
 * live in Temporal, which every test file of a run shares, so two files both syncing the
 * demo app would drive one schedule (`iys-sync:demo`) onto each other's task queues.
 */
import { randomUUID } from 'node:crypto';
import { ROLES } from '../../domain/auth';
import { formatIysDate } from '../../iys/dates';
import { saveApiKey } from '../../tenants/apiKeys';
import { eventually, FINAL_STATUSES, type Harness } from './harness';

export const SYNC_SETTINGS = { mode: 'sync', iysCode: 700001, brandCode: 700001, syncIntervalMinutes: 60 };

/** An İYS-format (Turkey time) date `ms` from now; negative is in the past. */
export const iysAt = (ms: number) => formatIysDate(Date.now() + ms);

export interface TestApp {
  appId: string;
  /** The API with a key of this app holding every role (or the headers given). */
  call: Harness['call'];
}

export async function createTestApp(h: Harness, prefix: string): Promise<TestApp> {
  const appId = `${prefix}-${randomUUID().slice(0, 8)}`;
  await h.db.apps.create({ _id: appId, name: appId, settings: { attributeMode: 'permissive' } });
  const key = await saveApiKey(h.db, { appId, name: 'test key', roles: [...ROLES] });
  return { appId, call: (method, path, body, headers = { authorization: `Bearer ${key}` }) => h.call(method, path, body, headers) };
}

export async function enterSyncMode(app: TestApp, settings: Record<string, unknown> = SYNC_SETTINGS): Promise<void> {
  const res = await app.call('PUT', '/v1/iys/settings', settings);
  if (res.status !== 200) throw new Error(`PUT /v1/iys/settings: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Makes what citizens did so far visible in the changes feed: with no lag configured a
 * movement still shows only once its whole second has passed, so the simulator's clock
 * moves on a little rather than the test sleeping.
 */
export const publishMovements = (h: Harness) => h.iys!.advanceClock(1_500);

export async function runIds(app: TestApp): Promise<Set<string>> {
  const res = await app.call('GET', '/v1/iys/sync/runs?limit=100');
  return new Set((res.body.runs as { runId: string }[]).map((r) => r.runId));
}

/** A run that was not among `before`, once it has finished. */
export async function awaitNewRun(app: TestApp, before: Set<string>, timeoutMs = 90_000): Promise<any> {
  return eventually(async () => {
    const res = await app.call('GET', '/v1/iys/sync/runs?limit=100');
    return (res.body.runs as { runId: string; status: string }[]).find((r) => !before.has(r.runId) && r.status !== 'running');
  }, timeoutMs);
}

/** POST /v1/iys/sync/run and the run it started, finished. */
export async function runSyncNow(app: TestApp, timeoutMs?: number): Promise<any> {
  const before = await runIds(app);
  const res = await app.call('POST', '/v1/iys/sync/run');
  if (res.status !== 202) throw new Error(`POST /v1/iys/sync/run: ${res.status} ${JSON.stringify(res.body)}`);
  return awaitNewRun(app, before, timeoutMs);
}

/** A message of this app, once it has reached a final status. */
export async function finalMessageOf(app: TestApp, id: string): Promise<any> {
  return eventually(async () => {
    const res = await app.call('GET', `/v1/messages/${id}`);
    return FINAL_STATUSES.includes(res.body?.status) ? res.body : undefined;
  });
}
