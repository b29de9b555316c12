/**
 * A 6-hour fallback completes in seconds on Temporal's time-skipping test server, with the
 * real activities against FerretDB and the simulators: the workflow's durable timer, not
 * a shortened setting, is what is skipped.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { connectDb, type Db } from '../../data/db';
import { upsertProfile } from '../../profiles/upsertProfile';
import { startPushSimulators, type PushSimulators } from '../../simulators/pushSimulators';
import { startSmsSimulator, type SmsSimulator } from '../../simulators/smsSimulator';
import { pushWithSmsFallback, messageWorkflowId } from '../../workflows/pushWithSmsFallback';
import { activitiesFromConfig } from '../../worker';
import { messageDocId } from '../../lib/ids';
import { testDbUri } from '../support/testDb';
import { startTimeSkipping, timeSkippingConfig } from '../support/timeSkipping';
import { rotaWorkflows } from '../support/workflows';

let env: TestWorkflowEnvironment;
let db: Db;
let sims: PushSimulators;
let sms: SmsSimulator;

beforeAll(async () => {
  env = await startTimeSkipping();
  db = await connectDb(testDbUri('timeskip'));
  sims = await startPushSimulators();
  sms = await startSmsSimulator();
});

afterAll(async () => {
  await env?.teardown();
  await db?.conn.dropDatabase();
  await db?.close();
  await sims?.close();
  await sms?.close();
});

test('a 6-hour push fallback fires the SMS after 6 hours of workflow time', async () => {
  const config = timeSkippingConfig('timeskip', { ...sims.env, SMS_PROVIDER_URL: sms.url });
  const { profile } = await upsertProfile(db, 'demo', { externalId: 'sleeper', msisdn: '+905301234567', devices: [{ token: 'sim-silent-sleeper', platform: 'ios', pushEnabled: true }] });
  const messageId = randomUUID();
  const now = new Date();
  await db.messages.create({
    _id: messageDocId('demo', messageId), messageId, appId: 'demo', profileId: profile._id, externalId: 'sleeper', category: 'transactional',
    push: { title: 'Kampanya', body: 'Yarın bitiyor' }, smsFallback: true, requestHash: 'x', fallbackTimeoutMs: 6 * 3600_000, status: 'accepted', timeline: { accepted: now }, reasons: {},
  });

  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'timeskip', ...rotaWorkflows(), activities: activitiesFromConfig(config, db) });
  const workflowId = messageWorkflowId('demo', messageId);
  const result = await worker.runUntil(
    env.client.workflow.execute(pushWithSmsFallback, {
      workflowId,
      taskQueue: 'timeskip',
      args: [{ appId: 'demo', messageId, fallbackTimeoutMs: 6 * 3600_000, smsFallback: true }],
    }),
  );

  expect(result).toBe('sms_sent_after_push_timeout');
  expect(sms.messages.filter((m) => m.reference.includes(messageId))).toHaveLength(1);
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const timer = history.events?.find((e) => e.timerStartedEventAttributes)?.timerStartedEventAttributes;
  expect(Number(timer?.startToFireTimeout?.seconds)).toBe(6 * 3600);
  const msg = await db.messages.findOne({ _id: messageDocId('demo', messageId) }).lean();
  const waited = msg!.timeline.push_timed_out!.getTime() - msg!.timeline.push_sent!.getTime();
  expect(waited).toBeGreaterThanOrEqual(6 * 3600_000 - 1000);
});
