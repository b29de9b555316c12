/**
 * Test helpers for İYS Sync mode. Each test file works in an app of its own: schedules
 * live in Temporal, which every test file of a run shares, so two files both syncing the
 * demo app would drive one schedule (`iys-sync:demo`) onto each other's task queues.
 */
import { randomUUID } from 'node:crypto';
import { ROLES } from '../../domain/auth';
import { formatIysDate } from '../../iys/dates';
import { DEFAULT_USER } from '../../simulators/iys/options';
import { DEMO_APP_ID, saveApiKey } from '../../tenants/apiKeys';
import { iysBrandId, iysBrands } from '../../tenants/iysBrands';
import { eventually, FINAL_STATUSES, IYS_TEST_BRANDS, type Harness } from './harness';

/** Sync mode; the app's own brand is added by `enterSyncMode`. */
export const SYNC_SETTINGS = { mode: 'sync', syncIntervalMinutes: 60 };

/** An İYS-format (Turkey time) date `ms` from now; negative is in the past. */
export const iysAt = (ms: number) => formatIysDate(Date.now() + ms);

export interface TestApp {
  appId: string;
  /** The İYS brand the platform administrator assigned to this app. */
  brand: { iysCode: number; brandCode: number };
  /** The API with a key of this app holding every role (or the headers given). */
  call: Harness['call'];
}

/**
 * A new app with a key holding every role and an İYS brand of its own, assigned through the
 * platform route. The first test app of a file gets the account's first brand, the one the
 * simulator's citizens act in by default: the harness gave it to the demo app, which a file
 * that makes test apps does not use for İYS, so it is released first (directly in this
 * file's database: Rota has no route that takes a brand back).
 */
export async function createTestApp(h: Harness, prefix: string): Promise<TestApp> {
  const appId = `${prefix}-${randomUUID().slice(0, 8)}`;
  await h.db.apps.create({ _id: appId, name: appId, settings: { attributeMode: 'permissive' } });
  const key = await saveApiKey(h.db, { appId, name: 'test key', roles: [...ROLES] });
  const iysCode = DEFAULT_USER.iysCode;
  await iysBrands(h.db).deleteOne({ _id: iysBrandId(iysCode, IYS_TEST_BRANDS[0]!), appId: DEMO_APP_ID });
  for (const brandCode of IYS_TEST_BRANDS) {
    const res = await h.call('POST', `/v1/apps/${appId}/iys-brands`, { iysCode, brandCode }, { authorization: `Bearer ${h.platformKey}` });
    if (res.status === 201) return { appId, brand: { iysCode, brandCode }, call: (method, path, body, headers = { authorization: `Bearer ${key}` }) => h.call(method, path, body, headers) };
    if (res.status !== 409) throw new Error(`assigning an İYS brand to ${appId}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  throw new Error(`every İYS brand of the test account is taken (${IYS_TEST_BRANDS.join(', ')})`);
}

/** PUT /v1/iys/settings with the app's own brand (unless `settings` names one). */
export async function enterSyncMode(app: TestApp, settings: Record<string, unknown> = SYNC_SETTINGS): Promise<void> {
  const res = await app.call('PUT', '/v1/iys/settings', { ...app.brand, ...settings });
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
