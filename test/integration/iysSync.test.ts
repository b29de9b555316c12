/**
 * İYS Sync mode on the real stack (Temporal schedule and workflow, FerretDB, the İYS
 * simulator over HTTP): a citizen's change on İYS reaches Rota in one run and the send
 * gate obeys it; older movements and unknown recipients are counted, not applied; the
 * schedule is driven through the API.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveTemporalCli } from '../../infra/tools';
import { saveApiKey } from '../../tenants/apiKeys';
import { eventually, startHarness, type Harness } from '../support/harness';
import { awaitNewRun, createTestApp, enterSyncMode, finalMessageOf, iysAt, publishMovements, runIds, runSyncNow, SYNC_SETTINGS, type TestApp } from '../support/iysSync';
import { rotaWorkflows } from '../support/workflows';

let h: Harness;
let app: TestApp;
beforeAll(async () => {
  h = await startHarness('iyssync', { iys: { changesLagMs: 0, batchDelayMs: 200 } });
  app = await createTestApp(h, 'sync');
  await enterSyncMode(app);
});
afterAll(async () => h?.close());

const HOUR = 3600_000;
const putConsent = (externalId: string, type: string, body: Record<string, unknown>) => app.call('PUT', `/v1/profiles/${externalId}/consents/${type}`, body);
const consentsOf = async (externalId: string) => (await app.call('GET', `/v1/profiles/${externalId}/consents`)).body.consents;

async function profile(externalId: string, msisdn: string, extra: Record<string, unknown> = {}) {
  const res = await app.call('POST', '/v1/profiles', { externalId, msisdn, ...extra });
  expect(res.status).toBe(201);
}

test("a citizen's RET on İYS reaches Rota in one run, and the next commercial SMS is blocked for it", async () => {
  await profile('citizen', '+905321230001', { email: 'Citizen@Example.com', devices: [{ token: 'sim-silent-citizen', platform: 'android' }] });
  expect((await putConsent('citizen', 'MESAJ', { status: 'ONAY', source: 'HS_WEB', consentDate: iysAt(-2 * HOUR) })).status).toBe(200);
  h.iys!.citizen({ recipient: '+905321230001', type: 'MESAJ', status: 'RET', source: 'IYS_MOBIL', consentDate: iysAt(-HOUR) });
  // E-mail movements find the profile by its lower-cased address.
  h.iys!.citizen({ recipient: 'CITIZEN@example.com', type: 'EPOSTA', status: 'ONAY', source: 'IYS_WEB_YENI', consentDate: iysAt(-HOUR), citizenName: 'Ayşe Yılmaz' });
  publishMovements(h);

  const run = await runSyncNow(app);
  expect(run).toMatchObject({ status: 'completed', pages: 1, counts: { pulled: 2, applied: 2, unchanged: 0, ignored: 0, unmatched: 0, errors: 0 } });

  const consents = await consentsOf('citizen');
  expect(consents.MESAJ).toMatchObject({ status: 'RET', source: 'IYS_MOBIL', origin: 'iys_sync', iys: { state: 'not_needed' } });
  expect(consents.EPOSTA).toMatchObject({ status: 'ONAY', recipient: 'citizen@example.com', origin: 'iys_sync' });
  const audit = await h.db.consentAudit.find({ appId: app.appId, externalId: 'citizen', origin: 'iys_sync' }).lean();
  expect(audit.map((a) => [a.type, a.after.status, a.actor.job])).toEqual(
    expect.arrayContaining([['MESAJ', 'RET', `iys-sync:${run.runId}`], ['EPOSTA', 'ONAY', `iys-sync:${run.runId}`]]),
  );

  const sent = await app.call('POST', '/v1/messages', { to: { externalId: 'citizen' }, category: 'commercial', push: { title: 'Kampanya', body: '%20 indirim' }, fallbackAfterSeconds: 1 });
  expect(sent.status).toBe(202);
  const msg = await finalMessageOf(app, sent.body.id as string);
  expect(msg.status).toBe('not_delivered');
  expect(msg.skipped.sms).toMatch(/^consent_ret/);
  expect(h.sms.callsFor(msg.id)).toBe(0);

  // The feed is drained: a second run pulls nothing and changes nothing.
  const again = await runSyncNow(app);
  expect(again.counts).toMatchObject({ pulled: 0, applied: 0 });
  expect(again.cursor).toBe(run.cursor);
});

test('an older İYS movement never overwrites a newer local consent; an unknown recipient is counted as unmatched', async () => {
  await profile('newer', '+905321230002');
  expect((await putConsent('newer', 'MESAJ', { status: 'ONAY', source: 'HS_WEB', consentDate: iysAt(-HOUR) })).status).toBe(200);
  h.iys!.citizen({ recipient: '+905321230002', type: 'MESAJ', status: 'RET', source: 'IYS_WEB', consentDate: iysAt(-3 * HOUR) });
  h.iys!.citizen({ recipient: '+905329999999', type: 'MESAJ', status: 'RET', source: 'IYS_KISAMESAJ', consentDate: iysAt(-HOUR) });
  publishMovements(h);

  const run = await runSyncNow(app);
  expect(run.counts).toEqual({ pulled: 2, applied: 0, unchanged: 0, ignored: 1, unmatched: 1, errors: 0 });
  expect((await consentsOf('newer')).MESAJ).toMatchObject({ status: 'ONAY', source: 'HS_WEB', origin: 'api' });
  expect(await h.db.consentChanges.countDocuments({ appId: app.appId, origin: 'iys_sync', recipient: '+905321230002' })).toBe(0);
});

test('a first RET, a RET on a RET and a line closure with an unchanged date are İYS state to mirror, not refused as for a provider', async () => {
  await profile('mirror', '+905321230003');
  h.iys!.citizen({ recipient: '+905321230003', type: 'ARAMA', status: 'RET', source: 'IYS_CM', consentDate: iysAt(-5 * 24 * HOUR) });
  // The line closure keeps the ONAY's date: one date for both, not two reads of the clock that a second boundary can split.
  const consentDate = iysAt(-2 * HOUR);
  h.iys!.citizen({ recipient: '+905321230003', type: 'MESAJ', status: 'ONAY', source: 'IYS_WEB', consentDate });
  publishMovements(h);
  h.iys!.citizen({ recipient: '+905321230003', type: 'MESAJ', status: 'RET', source: 'IYS_AHS_HAT_KAPATMA', consentDate });
  publishMovements(h);

  const run = await runSyncNow(app);
  expect(run.counts).toMatchObject({ pulled: 3, applied: 3, errors: 0 });
  const consents = await consentsOf('mirror');
  // A 5-day-old first RET: both the three-business-day rule and the first-RET rule are a provider's, not İYS's.
  expect(consents.ARAMA).toMatchObject({ status: 'RET', source: 'IYS_CM' });
  expect(consents.MESAJ).toMatchObject({ status: 'RET', source: 'IYS_AHS_HAT_KAPATMA' });

  h.iys!.citizen({ recipient: '+905321230003', type: 'MESAJ', status: 'RET', source: 'IYS_KISAMESAJ', consentDate: iysAt(-HOUR) });
  publishMovements(h);
  expect((await runSyncNow(app)).counts).toMatchObject({ pulled: 1, applied: 1 });
  expect((await consentsOf('mirror')).MESAJ).toMatchObject({ status: 'RET', source: 'IYS_KISAMESAJ' });
});

test('a TACIR line closure without a consentDate is dated by its creation on İYS', async () => {
  await profile('closure', '+905321230004');
  const record = h.iys!.citizen({ recipient: '+905321230004', recipientType: 'TACIR', type: 'ARAMA', status: 'RET', source: 'IYS_AHS_HAT_KAPATMA' });
  expect(record.consentDate).toBe('');
  publishMovements(h);
  expect((await runSyncNow(app)).counts).toMatchObject({ pulled: 1, applied: 1, errors: 0 });
  expect((await consentsOf('closure')).ARAMA).toMatchObject({ status: 'RET', recipientType: 'TACIR', source: 'IYS_AHS_HAT_KAPATMA', consentDate: record.creationDate });
});

test('a run for an app that left sync mode pulls nothing and says why', async () => {
  const other = await createTestApp(h, 'off');
  // Never in sync mode: another mode has no schedule to pause, and that is no error.
  await enterSyncMode(other, { ...SYNC_SETTINGS, mode: 'integrator' });
  expect((await other.call('GET', '/v1/iys/sync')).body).toMatchObject({ mode: 'integrator', scheduled: false, paused: true });
  const before = await runIds(other);
  await h.temporal.workflow.execute('iysSyncRun', { workflowId: `iys-sync-run:off-${Date.now()}`, taskQueue: h.config.TEMPORAL_TASK_QUEUE, args: [{ appId: other.appId }] });
  expect(await awaitNewRun(other, before)).toMatchObject({ status: 'skipped', reason: 'not_in_sync_mode', counts: { pulled: 0 } });
});

test('İYS failing for a while (5xx) delays a run, which then applies everything; a refusal (4xx) ends the run as failed with the reason, and the next run resumes', async () => {
  await profile('outage', '+905321230005');
  h.iys!.citizen({ recipient: '+905321230005', type: 'MESAJ', status: 'ONAY', source: 'IYS_WEB_YENI', consentDate: iysAt(-HOUR) });
  publishMovements(h);
  // More failures than the client's own three tries: the activity fails and Temporal tries it again.
  h.iys!.injectFault({ mode: 'error', status: 503, count: 4 });
  expect((await runSyncNow(app)).counts).toMatchObject({ pulled: 1, applied: 1 });

  h.iys!.citizen({ recipient: '+905321230005', type: 'MESAJ', status: 'RET', source: 'IYS_MOBIL', consentDate: iysAt(-HOUR / 2) });
  publishMovements(h);
  h.iys!.injectFault({ mode: 'error', status: 400, code: 'H097', count: 1 });
  const failed = await runSyncNow(app);
  expect(failed).toMatchObject({ status: 'failed', counts: { pulled: 0 } });
  expect(failed.reason).toMatch(/H097/);
  expect((await consentsOf('outage')).MESAJ.status).toBe('ONAY');
  expect((await runSyncNow(app)).counts).toMatchObject({ pulled: 1, applied: 1 });
  expect((await consentsOf('outage')).MESAJ.status).toBe('RET');
});

const pagedWorkflowId = `iys-sync-run:paged-${Date.now()}`;

test('a run pages through the feed until it is drained, each page applied before the cursor moves past it', async () => {
  for (let i = 0; i < 5; i++) {
    await profile(`paged-${i}`, `+90532123100${i}`);
    h.iys!.citizen({ recipient: `+90532123100${i}`, type: 'MESAJ', status: 'ONAY', source: 'IYS_WEB_YENI', consentDate: iysAt(-HOUR) });
  }
  publishMovements(h);
  const before = await runIds(app);
  // Started directly with pages of 2 (the schedule pulls İYS's maximum, 1000).
  await h.temporal.workflow.execute('iysSyncRun', { workflowId: pagedWorkflowId, taskQueue: h.config.TEMPORAL_TASK_QUEUE, args: [{ appId: app.appId, pageSize: 2 }] });
  const run = await awaitNewRun(app, before);
  expect(run).toMatchObject({ status: 'completed', pages: 3, counts: { pulled: 5, applied: 5, errors: 0 } });
  for (let i = 0; i < 5; i++) expect((await consentsOf(`paged-${i}`)).MESAJ).toMatchObject({ status: 'ONAY', origin: 'iys_sync' });
  expect((await h.db.iysSyncState.findOne({ _id: `${app.appId}:iys-sync` }).lean())?.cursor).toBe(run.cursor);
});

test("the paged run's history replays against the current workflow code (RECORD_HISTORIES=1 saves it as a fixture)", async () => {
  const history = await h.temporal.workflow.getHandle(pagedWorkflowId).fetchHistory();
  await Worker.runReplayHistory(rotaWorkflows(), history, pagedWorkflowId);
  if (process.env.RECORD_HISTORIES) {
    const cli = (await resolveTemporalCli())!.path;
    const json = execFileSync(cli, ['workflow', 'show', '--address', process.env.TEMPORAL_ADDRESS!, '-w', pagedWorkflowId, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(path.join(__dirname, '../histories', 'iysSyncRun-completed.json'), json);
  }
});

describe('the schedule through the API', () => {
  /** The schedule's own pause note as Temporal has it (it applies pauses a moment later), or false. */
  const schedulePaused = async () => {
    const d = await h.temporal.schedule.getHandle(`iys-sync:${app.appId}`).describe();
    return d.state.paused ? (d.state.note ?? 'paused') : false;
  };

  test('state, pause, run now while paused, resume, history pages', async () => {
    const state = await app.call('GET', '/v1/iys/sync');
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ mode: 'sync', scheduled: true, paused: false, intervalMinutes: 60, lastRun: { status: 'completed' } });
    expect(Date.parse(state.body.nextRunAt)).toBeGreaterThan(Date.now());
    expect(state.body.cursor).toBe(state.body.lastRun.cursor);

    expect((await app.call('POST', '/v1/iys/sync/pause', { note: 'audit week' })).body).toEqual({ paused: true, note: 'audit week' });
    const paused = (await app.call('GET', '/v1/iys/sync')).body;
    expect(paused).toMatchObject({ paused: true, note: 'audit week' });
    expect(paused.nextRunAt).toBeUndefined();
    // Run now still runs while the schedule is paused.
    expect((await runSyncNow(app)).status).toBe('completed');

    expect((await app.call('POST', '/v1/iys/sync/resume')).body).toEqual({ paused: false });
    expect((await app.call('GET', '/v1/iys/sync')).body.paused).toBe(false);

    const all = (await app.call('GET', '/v1/iys/sync/runs')).body.runs as { runId: string; startedAt: string }[];
    expect(all.length).toBeGreaterThanOrEqual(6);
    const starts = all.map((r) => Date.parse(r.startedAt));
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    const first = await app.call('GET', '/v1/iys/sync/runs?limit=2');
    expect(first.body.runs.map((r: { runId: string }) => r.runId)).toEqual(all.slice(0, 2).map((r) => r.runId));
    const second = await app.call('GET', `/v1/iys/sync/runs?limit=2&before=${encodeURIComponent(first.body.nextBefore)}`);
    expect(second.body.runs.map((r: { runId: string }) => r.runId)).toEqual(all.slice(2, 4).map((r) => r.runId));
  });

  test.each([
    ['GET', '/v1/iys/sync/runs?limit=0', undefined, 'query.limit'],
    ['GET', '/v1/iys/sync/runs?before=yesterday', undefined, 'query.before'],
    ['POST', '/v1/iys/sync/pause', { note: 5 }, 'body.note'],
  ])('%s %s with bad input is a 400 naming the field', async (method, path, body, field) => {
    const res = await app.call(method, path, body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
  });

  test('a key without the compliance role is refused', async () => {
    const ingestOnly = await saveApiKey(h.db, { appId: app.appId, name: 'backend', roles: ['ingest'] });
    const res = await app.call('POST', '/v1/iys/sync/run', undefined, { authorization: `Bearer ${ingestOnly}` });
    expect(res.status).toBe(403);
  });

  test('leaving sync mode pauses the schedule and run now is a 409; coming back resumes it', async () => {
    expect((await app.call('PUT', '/v1/iys/settings', { mode: 'off' })).status).toBe(200);
    expect((await app.call('GET', '/v1/iys/sync')).body).toMatchObject({ mode: 'off', paused: true });
    for (const path of ['/v1/iys/sync/run', '/v1/iys/sync/pause', '/v1/iys/sync/resume']) {
      const res = await app.call('POST', path);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('not_in_sync_mode');
    }
    await enterSyncMode(app);
    expect((await app.call('GET', '/v1/iys/sync')).body).toMatchObject({ mode: 'sync', paused: false });
    await eventually(async () => !(await schedulePaused()));
  });

  test("an operator's pause outlasts a trip out of sync mode and back; only resume lifts it", async () => {
    expect((await app.call('POST', '/v1/iys/sync/pause', { note: 'migration' })).status).toBe(200);
    expect((await app.call('PUT', '/v1/iys/settings', { mode: 'off' })).status).toBe(200);
    await enterSyncMode(app);
    expect((await app.call('GET', '/v1/iys/sync')).body).toMatchObject({ mode: 'sync', paused: true, note: 'migration' });
    await eventually(async () => (await schedulePaused()) === 'migration');
    expect((await app.call('POST', '/v1/iys/sync/resume')).status).toBe(200);
    expect((await app.call('GET', '/v1/iys/sync')).body).toMatchObject({ paused: false });
    await eventually(async () => !(await schedulePaused()));
  });

  test('a new interval reaches the schedule itself', async () => {
    expect((await app.call('PUT', '/v1/iys/settings', { ...SYNC_SETTINGS, ...app.brand, syncIntervalMinutes: 15 })).status).toBe(200);
    const schedule = await h.temporal.schedule.getHandle(`iys-sync:${app.appId}`).describe();
    expect(schedule.spec.intervals?.map((i) => i.every)).toEqual([15 * 60_000]);
    expect(schedule.action).toMatchObject({ workflowType: 'iysSyncRun', taskQueue: h.config.TEMPORAL_TASK_QUEUE });
    expect(schedule.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect((await app.call('GET', '/v1/iys/sync')).body).toMatchObject({ intervalMinutes: 15, paused: false });
  });
});
