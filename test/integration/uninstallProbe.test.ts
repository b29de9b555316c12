/**
 * The scheduled uninstall probe on the real stack: the settings route (off by default, 400s,
 * roles), the Temporal Schedule it makes and deletes, and runs that send stale devices a
 * silent push through the FCM and APNs simulators over HTTP. A dead token is marked
 * uninstalled; a push merely never acknowledged (`sim-silent-…`) marks nothing; a device
 * seen recently gets no push at all. The app is this file's own: schedules live in the
 * Temporal server every test file of the run shares.
 */
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { ROLES, type Role } from '../../domain/auth';
import { resolveTemporalCli } from '../../infra/tools';
import { probeRunWorkflowId, probeScheduleId } from '../../domain/uninstallProbe';
import { startApnsSimulator, type ApnsSimulator } from '../../simulators/apnsSimulator';
import { startFcmSimulator, type FcmSimulator } from '../../simulators/fcmSimulator';
import { generateSimPushCredentials, simApnsKey, simFcmAccount, writeSimPushCredentialsFile } from '../../simulators/pushCredentials';
import { saveApiKey } from '../../tenants/apiKeys';
import { eventually, startHarness, type Harness } from '../support/harness';
import { rotaWorkflows } from '../support/workflows';

const PATH = '/v1/settings/uninstall-probe';
const DAY = 24 * 3600 * 1000;

let h: Harness;
let fcm: FcmSimulator;
let apns: ApnsSimulator;
let dir: string;

beforeAll(async () => {
  const creds = generateSimPushCredentials();
  fcm = await startFcmSimulator({ accounts: [simFcmAccount(creds)] });
  apns = await startApnsSimulator({ keys: [simApnsKey(creds)] });
  dir = mkdtempSync(path.join(tmpdir(), 'rota-probe-'));
  const file = path.join(dir, 'push-credentials.json');
  writeSimPushCredentialsFile(file, creds, fcm.tokenUrl);
  h = await startHarness('uninstallProbe', { env: { FCM_URL: fcm.url, APNS_URL: apns.url, PUSH_CREDENTIALS_FILE: file } });
});
afterAll(async () => {
  await h?.close();
  await Promise.all([fcm?.close(), apns?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Call = (method: string, p: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** A new app of this file's own, with a key for the roles given (all by default). */
async function newApp(roles: Role[] = [...ROLES]): Promise<{ appId: string; call: Call; as: (r: Role[]) => Promise<Call> }> {
  const appId = `probe-${randomUUID().slice(0, 8)}`;
  await h.db.apps.create({ _id: appId, name: appId, settings: { attributeMode: 'permissive' } });
  const as = async (r: Role[]): Promise<Call> => {
    const key = await saveApiKey(h.db, { appId, name: `test key ${r.join(',')}`, roles: r });
    return (method, p, body) => h.call(method, p, body, { authorization: `Bearer ${key}` });
  };
  return { appId, call: await as(roles), as };
}

async function scheduleOf(appId: string) {
  try {
    return await h.temporal.schedule.getHandle(probeScheduleId(appId)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** A profile whose devices were last seen `ageDays` ago (registered through the API, then aged in the database). */
async function profileWith(app: { appId: string; call: Call }, externalId: string, devices: { token: string; platform: string; ageDays: number }[]) {
  const res = await app.call('POST', '/v1/profiles', { externalId, devices: devices.map(({ token, platform }) => ({ token, platform })) });
  expect(res.status).toBe(201);
  const profileId = (await h.db.profileKeys.findOne({ _id: `${app.appId}:x:${externalId}` }).lean())!.profileId;
  const stored = (await h.db.profiles.findOne({ _id: profileId }).lean())!.devices!;
  const aged = stored.map((d) => ({ ...d, updatedAt: new Date(Date.now() - devices.find((x) => x.token === d.token)!.ageDays * DAY) }));
  await h.db.profiles.collection.updateOne({ _id: profileId } as never, { $set: { devices: aged } } as never);
}

async function runIds(call: Call): Promise<Set<string>> {
  return new Set(((await call('GET', `${PATH}/runs?limit=100`)).body.runs as { runId: string }[]).map((r) => r.runId));
}

async function newFinishedRun(call: Call, before: Set<string>): Promise<any> {
  return eventually(async () => ((await call('GET', `${PATH}/runs?limit=100`)).body.runs as { runId: string; status: string }[]).find((r) => !before.has(r.runId) && r.status !== 'running'), 90_000);
}

const deviceOf = async (call: Call, externalId: string, token: string) => ((await call('GET', `/v1/profiles/${externalId}`)).body.devices as { token: string; uninstalledAt?: string }[]).find((d) => d.token === token);

test('off by default: no schedule, and run now is a 409', async () => {
  const app = await newApp();
  const res = await app.call('GET', PATH);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ enabled: false, staleDays: 30, intervalHours: 24, scheduled: false });
  expect(await scheduleOf(app.appId)).toBeUndefined();
  const run = await app.call('POST', `${PATH}/run`);
  expect(run.status).toBe(409);
  expect(run.body.error.code).toBe('probe_disabled');
});

test('bad settings are a 400 naming the field and change nothing', async () => {
  const app = await newApp();
  for (const [body, field] of [
    [{ enabled: 'yes' }, 'body.enabled'],
    [{ enabled: true, staleDays: -1 }, 'body.staleDays'],
    [{ enabled: true, staleDays: 1.5 }, 'body.staleDays'],
    [{ enabled: true, intervalHours: 0 }, 'body.intervalHours'],
    [{ enabled: true, everyMinutes: 5 }, 'body'],
  ] as const) {
    const res = await app.call('PUT', PATH, body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
  }
  expect((await app.call('GET', PATH)).body.enabled).toBe(false);
  expect(await scheduleOf(app.appId)).toBeUndefined();
});

test('roles: admin writes, operator reads and runs, others neither', async () => {
  const app = await newApp();
  const operator = await app.as(['operator']);
  const ingest = await app.as(['ingest']);
  expect((await operator('PUT', PATH, { enabled: true })).status).toBe(403);
  expect((await ingest('PUT', PATH, { enabled: true })).status).toBe(403);
  expect((await operator('GET', PATH)).status).toBe(200);
  expect((await operator('GET', `${PATH}/runs`)).status).toBe(200);
  expect((await ingest('GET', PATH)).status).toBe(403);
  expect((await ingest('GET', `${PATH}/runs`)).status).toBe(403);
  expect((await ingest('POST', `${PATH}/run`)).status).toBe(403);
  expect(await scheduleOf(app.appId)).toBeUndefined();
  // The operator's run now reaches the rule on the settings, not the role check.
  expect((await operator('POST', `${PATH}/run`)).status).toBe(409);
});

test('enabling makes the schedule; run now marks a dead token, not a silent device, and never pushes to a fresh one; disabling deletes it', async () => {
  const app = await newApp();
  const admin = await app.as(['admin']);
  const operator = await app.as(['operator']);
  const tag = app.appId;
  const tokens = {
    deadAndroid: `sim-unregistered-a-${tag}`, deadIos: `sim-unregistered-i-${tag}`, silent: `sim-silent-${tag}`,
    fresh: `sim-unregistered-fresh-${tag}`, aliveIos: `sim-silent-i-${tag}`,
  };
  await profileWith(app, 'ayse', [{ token: tokens.deadAndroid, platform: 'android', ageDays: 40 }, { token: tokens.fresh, platform: 'android', ageDays: 1 }]);
  await profileWith(app, 'mehmet', [{ token: tokens.deadIos, platform: 'ios', ageDays: 12 }]);
  await profileWith(app, 'zeynep', [{ token: tokens.silent, platform: 'android', ageDays: 90 }, { token: tokens.aliveIos, platform: 'ios', ageDays: 11 }]);

  const put = await admin('PUT', PATH, { enabled: true, staleDays: 10, intervalHours: 12 });
  expect(put.status).toBe(200);
  expect(put.body).toMatchObject({ enabled: true, staleDays: 10, intervalHours: 12, scheduled: true });
  const schedule = (await scheduleOf(app.appId))!;
  expect(schedule).toBeDefined();
  expect(schedule.spec.intervals).toEqual([expect.objectContaining({ every: 12 * 3600 * 1000 })]);
  expect(schedule.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  expect(schedule.state.paused).toBe(false);
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'uninstallProbeRun', workflowId: probeRunWorkflowId(app.appId), taskQueue: h.config.TEMPORAL_TASK_QUEUE });

  const before = await runIds(operator);
  const run = await operator('POST', `${PATH}/run`);
  expect(run.status).toBe(202);
  const done = await newFinishedRun(operator, before);
  expect(done).toMatchObject({ status: 'completed', counts: { probed: 4, uninstalled: 2, noAnswer: 2, errors: 0 } });

  // Dead tokens: marked, the APNs one at the provider's timestamp.
  expect((await deviceOf(app.call, 'ayse', tokens.deadAndroid))!.uninstalledAt).toEqual(expect.any(String));
  const iosMark = (await deviceOf(app.call, 'mehmet', tokens.deadIos))!.uninstalledAt!;
  expect(new Date(iosMark).getTime()).toBeLessThanOrEqual(Date.now());
  // Accepted, never acknowledged: nothing marked.
  expect((await deviceOf(app.call, 'zeynep', tokens.silent))!.uninstalledAt).toBeUndefined();
  expect((await deviceOf(app.call, 'zeynep', tokens.aliveIos))!.uninstalledAt).toBeUndefined();
  // Seen a day ago: not probed (its token would have answered dead).
  expect((await deviceOf(app.call, 'ayse', tokens.fresh))!.uninstalledAt).toBeUndefined();
  expect(fcm.pushes.filter((p) => p.token === tokens.fresh)).toEqual([]);
  // What the simulators received were silent pushes.
  const silentFcm = fcm.pushes.find((p) => p.token === tokens.silent)!;
  expect(silentFcm.notification).toBeUndefined();
  expect(silentFcm.data).toMatchObject({ rota_probe: '1' });
  const silentApns = apns.pushes.find((p) => p.token === tokens.aliveIos)!;
  expect(silentApns.pushType).toBe('background');
  expect(silentApns.payload).toMatchObject({ aps: { 'content-available': 1 } });

  const view = (await operator('GET', PATH)).body;
  expect(view.lastRun).toMatchObject({ runId: done.runId, status: 'completed' });

  // A second run: the dead devices are uninstalled now and not probed again.
  const before2 = await runIds(operator);
  expect((await operator('POST', `${PATH}/run`)).status).toBe(202);
  expect(await newFinishedRun(operator, before2)).toMatchObject({ status: 'completed', counts: { probed: 2, uninstalled: 0, noAnswer: 2, errors: 0 } });

  const off = await admin('PUT', PATH, { enabled: false });
  expect(off.status).toBe(200);
  expect(off.body).toMatchObject({ enabled: false, scheduled: false });
  expect(await scheduleOf(app.appId)).toBeUndefined();
  expect((await operator('POST', `${PATH}/run`)).status).toBe(409);
});

test('a run pages through the profiles and continues as new, counting every stale device once', async () => {
  const app = await newApp();
  for (let i = 0; i < 5; i++) await profileWith(app, `p${i}`, [{ token: `sim-silent-page-${i}-${app.appId}`, platform: i % 2 ? 'ios' : 'android', ageDays: 60 }]);
  await profileWith(app, 'fresh', [{ token: `sim-silent-page-fresh-${app.appId}`, platform: 'android', ageDays: 0 }]);
  expect((await app.call('PUT', PATH, { enabled: true, staleDays: 30 })).status).toBe(200);

  const handle = await h.temporal.workflow.start('uninstallProbeRun', {
    taskQueue: h.config.TEMPORAL_TASK_QUEUE, workflowId: `${probeRunWorkflowId(app.appId)}:paging`, args: [{ appId: app.appId, pageSize: 2, pagesPerExecution: 1 }],
  });
  await handle.result();
  expect((await h.temporal.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
  const [run] = (await app.call('GET', `${PATH}/runs`)).body.runs;
  expect(run).toMatchObject({ runId: handle.firstExecutionRunId, status: 'completed', pages: 3, counts: { probed: 5, uninstalled: 0, noAnswer: 5, errors: 0 } });
  expect(fcm.pushes.filter((p) => p.token === `sim-silent-page-fresh-${app.appId}`)).toEqual([]);

  // Both executions' histories replay against the current workflow code; RECORD_HISTORIES=1 saves them as fixtures.
  const executions = { continued_as_new: handle.firstExecutionRunId, completed: (await handle.describe()).runId };
  for (const [outcome, runId] of Object.entries(executions)) {
    const history = await h.temporal.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    await Worker.runReplayHistory(rotaWorkflows(), history, `${handle.workflowId}:${outcome}`);
    if (process.env.RECORD_HISTORIES) {
      const cli = (await resolveTemporalCli())!.path;
      const json = execFileSync(cli, ['workflow', 'show', '--address', process.env.TEMPORAL_ADDRESS!, '-w', handle.workflowId, '-r', runId, '--output', 'json'], { encoding: 'utf8' });
      writeFileSync(path.join(__dirname, '../histories', `uninstallProbeRun-${outcome}.json`), json);
    }
  }
});

test('a 503 is asked again; one that persists is an error that marks nothing, until a later run gets the answer', async () => {
  const app = await newApp();
  const token = `sim-unregistered-outage-${app.appId}`;
  await profileWith(app, 'ece', [{ token, platform: 'android', ageDays: 45 }]);
  expect((await app.call('PUT', PATH, { enabled: true })).status).toBe(200);
  const runNow = async () => {
    const before = await runIds(app.call);
    expect((await app.call('POST', `${PATH}/run`)).status).toBe(202);
    return newFinishedRun(app.call, before);
  };

  fcm.fail({ status: 503, count: 3 });
  expect(await runNow()).toMatchObject({ status: 'completed', counts: { probed: 1, uninstalled: 0, noAnswer: 0, errors: 1 } });
  expect((await deviceOf(app.call, 'ece', token))!.uninstalledAt).toBeUndefined();

  fcm.fail({ status: 503, count: 1 });
  expect(await runNow()).toMatchObject({ status: 'completed', counts: { probed: 1, uninstalled: 1, noAnswer: 0, errors: 0 } });
  expect((await deviceOf(app.call, 'ece', token))!.uninstalledAt).toEqual(expect.any(String));
  expect((await app.call('PUT', PATH, { enabled: false })).status).toBe(200);
});

test('/openapi.json documents the probe routes', async () => {
  const paths = (await h.call('GET', '/openapi.json')).body.paths;
  expect(Object.keys(paths[PATH]).sort()).toEqual(['get', 'put']);
  expect(Object.keys(paths[PATH].put.requestBody.content['application/json'].schema.properties).sort()).toEqual(['enabled', 'intervalHours', 'staleDays']);
  expect(paths[PATH].put.responses['400']).toBeDefined();
  expect(paths[`${PATH}/run`].post.responses['409']).toBeDefined();
  expect(JSON.stringify(paths[`${PATH}/runs`].get.responses['200'])).toContain('noAnswer');
});

test('the runs list is a 400 for a bad limit', async () => {
  const app = await newApp();
  const res = await app.call('GET', `${PATH}/runs?limit=0`);
  expect(res.status).toBe(400);
  expect(res.body.error.details[0].path).toBe('query.limit');
});
