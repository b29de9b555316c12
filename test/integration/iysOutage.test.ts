/**
 * İYS down for 6 hours: the outbox keeps retrying (with backoff, on Temporal's timers) and,
 * once İYS answers again, every change arrives, each recipient's in order. Runs on
 * Temporal's time-skipping test server, so the 6 hours are workflow time and the retries'
 * timers are what is skipped; the activities, FerretDB and the İYS simulator are real.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { applyConsentChanges } from '../../consents/applyChanges';
import { connectDb, type Db } from '../../data/db';
import { loadConfig } from '../../config';
import { upsertProfile } from '../../profiles/upsertProfile';
import { DEFAULT_USER } from '../../simulators/iys/options';
import { startIysSimulator, type IysSimulator } from '../../simulators/iys';
import { iysOutbox, wakeOutboxSignal } from '../../workflows/iysOutbox';
import { outboxWorkflowId } from '../../iys/outbox/refs';
import { activitiesFromConfig } from '../../worker';
import { testDbUri } from '../support/testDb';
import { startTimeSkipping } from '../support/timeSkipping';
import { recordIysViolations } from '../support/iysViolations';
import { rotaWorkflows } from '../support/workflows';

let env: TestWorkflowEnvironment;
let db: Db;
let iys: IysSimulator;

beforeAll(async () => {
  env = await startTimeSkipping();
  db = await connectDb(testDbUri('iysoutage'));
  iys = await startIysSimulator({ batchDelayMs: 200, changesLagMs: 0 });
});

afterAll(async () => {
  await env?.teardown();
  await db?.conn.dropDatabase();
  await db?.close();
  if (iys) {
    recordIysViolations('iysoutage', iys.violations());
    await iys.close();
  }
});

const HOUR = 3600_000;

test('after 6 hours of İYS answering 503, every change arrives, in order per recipient', async () => {
  const config = loadConfig({
    MONGODB_URI: 'mongodb://unused/x', TEMPORAL_ADDRESS: 'unused:1', SMTP_URL: 'smtp://unused:25', SMS_PROVIDER_URL: 'http://127.0.0.1:9',
    RECEIPT_SECRET: 'time-skipping-secret-0123', TEMPORAL_TASK_QUEUE: 'iysoutage',
    IYS_URL: iys.url, IYS_USERNAME: DEFAULT_USER.username, IYS_PASSWORD: DEFAULT_USER.password, IYS_BATCH_FIRST_POLL_SECONDS: '0.2',
  });
  await db.apps.create({ _id: 'outage', name: 'Outage', settings: { attributeMode: 'permissive', iys: { mode: 'integrator', iysCode: 700001, brandCode: 700001, syncIntervalMinutes: 60 } } });
  const numbers = ['+905350000001', '+905350000002', '+905350000003'];
  for (const [i, msisdn] of numbers.entries()) await upsertProfile(db, 'outage', { externalId: `kesinti-${i}`, msisdn });

  iys.injectFault({ mode: 'error', status: 503, count: 1_000_000 });
  const changeIds: string[] = [];
  for (const [status, hoursAgo] of [['ONAY', 3], ['RET', 2], ['ONAY', 1]] as const) {
    const outcomes = await applyConsentChanges(
      db, 'outage',
      numbers.map((_, i) => ({ index: i, externalId: `kesinti-${i}`, type: 'MESAJ', status, source: 'HS_WEB', recipientType: 'BIREYSEL', consentAt: Math.floor((Date.now() - hoursAgo * HOUR) / 1000) * 1000 })),
      { origin: 'api', actor: { job: 'test' }, now: Date.now(), pathOf: () => (f) => f },
    );
    for (const o of outcomes) changeIds.push((o as { change: { _id: string } }).change._id);
  }

  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'iysoutage', ...rotaWorkflows(), activities: activitiesFromConfig(config, db) });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.signalWithStart(iysOutbox, {
      workflowId: outboxWorkflowId('outage'), taskQueue: 'iysoutage', args: [{ appId: 'outage' }], signal: wakeOutboxSignal, signalArgs: [{ changeIds }],
    });
    await env.sleep('6 hours');
    const during = await handle.describe();
    const attempt = during.raw.pendingActivities?.[0]?.attempt ?? 0;
    // Backoff from 2 s doubling to a 10-minute ceiling: about 40 tries in 6 hours, none of them answered.
    expect(attempt).toBeGreaterThan(20);
    expect(iys.movements()).toHaveLength(0);

    iys.clearFaults();
    const totals = await handle.result();
    expect(totals).toMatchObject({ delivered: 9, rejected: 0 });
  });

  for (const msisdn of numbers) {
    expect(iys.movements().filter((m) => m.recipient === msisdn).map((m) => m.status)).toEqual(['ONAY', 'RET', 'ONAY']);
  }
  expect(await db.iysOutcomes.countDocuments({ appId: 'outage', state: 'delivered' })).toBe(9);
}, 300_000);
