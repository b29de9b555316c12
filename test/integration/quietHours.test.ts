/**
 * Quiet hours defer a commercial send durably: on Temporal's time-skipping test server,
 * with the real activities against FerretDB and the FCM simulator, a commercial message
 * accepted at 23:00 in the profile's zone waits on the workflow's timer until 09:00 and is
 * pushed then; a transactional one at 23:00 is pushed at once. The server's clock is
 * moved to 23:00 Istanbul first, and the gate reads the same clock (the time Temporal
 * scheduled the activity), so nothing depends on when the test runs.
 */
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createMessagingActivities } from '../../activities/messaging';
import { connectDb, type Db } from '../../data/db';
import { saveDeliverySettings } from '../../gate/settings';
import { wallTime } from '../../gate/localTime';
import { messageDocId } from '../../lib/ids';
import { upsertProfile } from '../../profiles/upsertProfile';
import { createPushAdapters } from '../../providers/pushAdapters';
import { createHttpSmsProvider } from '../../providers/sms';
import { startSmsSimulator, type SmsSimulator } from '../../simulators/smsSimulator';
import { activitiesFromConfig } from '../../worker';
import { messageWorkflowId, pushWithSmsFallback, QUIET_HOURS_PATCH } from '../../workflows/pushWithSmsFallback';
import { testDbUri } from '../support/testDb';
import { startPushSimulators, type PushSimulators } from '../../simulators/pushSimulators';
import { startTimeSkipping, timeSkippingConfig } from '../support/timeSkipping';
import { rotaWorkflows } from '../support/workflows';

let env: TestWorkflowEnvironment;
let db: Db;
let sims: PushSimulators;
let sms: SmsSimulator;
let activities: object;

const HOUR = 3600_000;
const TASK_QUEUE = 'quiet-hours';

/** The Temporal server's time, as the activity sees it: when this attempt was scheduled. */
const temporalClock = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs);

beforeAll(async () => {
  env = await startTimeSkipping();
  db = await connectDb(testDbUri('quiethours'));
  sims = await startPushSimulators();
  sms = await startSmsSimulator();
  const config = timeSkippingConfig(TASK_QUEUE, { ...sims.env, SMS_PROVIDER_URL: sms.url });
  const messaging = createMessagingActivities({ db, pushAdapters: createPushAdapters(config, { db }), sms: createHttpSmsProvider(sms.url), receiptSecret: config.RECEIPT_SECRET, smsSender: config.SMS_SENDER, clock: temporalClock });
  activities = { ...activitiesFromConfig(config, db), ...messaging };
  await saveDeliverySettings(db, 'demo', { timeZone: 'Europe/Istanbul', frequencyCaps: [{ max: 3, days: 7, channel: 'any' }], quietHours: { start: '22:00', end: '09:00', policy: 'defer' } });
  // Move the server's clock to the next 23:00 in Istanbul (20:00 UTC; Istanbul keeps UTC+3 all year).
  const now = await env.currentTimeMs();
  const next23 = Math.ceil((now - 20 * HOUR) / (24 * HOUR)) * 24 * HOUR + 20 * HOUR;
  await env.sleep(next23 - now);
});

afterAll(async () => {
  await env?.teardown();
  await db?.conn.dropDatabase();
  await db?.close();
  await sims?.close();
  await sms?.close();
});

async function message(externalId: string, category: 'commercial' | 'transactional') {
  const { profile } = await upsertProfile(db, 'demo', { externalId, devices: [{ token: `sim-silent-${externalId}`, platform: 'android', pushEnabled: true, timeZone: 'Europe/Istanbul' }] });
  const messageId = randomUUID();
  const now = new Date();
  await db.messages.create({
    _id: messageDocId('demo', messageId), messageId, appId: 'demo', profileId: profile._id, externalId, category,
    push: { title: 'Gece indirimi', body: 'Sabaha kadar %30' }, smsFallback: false, requestHash: 'x', fallbackTimeoutMs: 60_000, status: 'accepted', timeline: { accepted: now }, reasons: {},
  });
  return messageId;
}

/** Runs the message's workflow to its end; answers its result and history. */
async function run(messageId: string) {
  const workflowId = messageWorkflowId('demo', messageId);
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, ...rotaWorkflows(), activities });
  const result = await worker.runUntil(
    env.client.workflow.execute(pushWithSmsFallback, { workflowId, taskQueue: TASK_QUEUE, args: [{ appId: 'demo', messageId, fallbackTimeoutMs: 60_000, smsFallback: false }] }),
  );
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const time = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
  const sendPushes = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendPush').map(time);
  const timers = events.filter((e) => e.timerStartedEventAttributes).map((e) => Number(e.timerStartedEventAttributes!.startToFireTimeout!.seconds));
  // A patch marker carries the patch id in its payload.
  const markers = events
    .filter((e) => e.markerRecordedEventAttributes)
    .map((e) => Object.values(e.markerRecordedEventAttributes!.details ?? {}).flatMap((p) => (p.payloads ?? []).map((x) => Buffer.from(x.data ?? []).toString())).join(' '));
  return { result, history, sendPushes, timers, markers };
}

const istanbul = (ms: number) => wallTime(ms, 'Europe/Istanbul');

test('a commercial send at 23:00 profile time is deferred to 09:00 on a durable timer, then pushed once', async () => {
  const id = await message('night-owl', 'commercial');
  const { result, history, sendPushes, timers, markers } = await run(id);
  expect(result).toBe('not_delivered'); // the silent device never confirms; no SMS asked for

  // Asked at 23:00, told to wait until 09:00 (10 h, less the seconds the test took to get there), asked again at 09:00.
  expect(sendPushes).toHaveLength(2);
  expect(istanbul(sendPushes[0]!)).toMatchObject({ hour: 23, minute: 0 });
  expect(timers[0]).toBeGreaterThan(10 * 3600 - 120);
  expect(timers[0]).toBeLessThanOrEqual(10 * 3600);
  expect(istanbul(sendPushes[1]!)).toMatchObject({ hour: 9, minute: 0 });
  expect(sendPushes[1]! - sendPushes[0]!).toBeGreaterThan(9.9 * HOUR);
  expect(markers.join()).toContain(QUIET_HOURS_PATCH);

  expect(sims.fcm.callsFor(id)).toBe(1);
  const delivery = (await db.deliveries.findOne({ appId: 'demo', messageId: id }).lean())!;
  expect(delivery.state).toBe('sent');
  expect(delivery.decision.reason).toMatch(/frequency_cap_ok: 1 of at most 3 .*; quiet_hours_waited: held until .* Europe\/Istanbul/);
  const msg = (await db.messages.findOne({ _id: messageDocId('demo', id) }).lean())!;
  expect(msg.reasons.push).toBeUndefined(); // the wait was shown while it lasted, and cleared by the send

  // The deferral's history replays against the workflow code (the patch marker guards it).
  await Worker.runReplayHistory(rotaWorkflows(), history, messageWorkflowId('demo', id));
});

test('a transactional send at 23:00 is not deferred', async () => {
  // Back to 23:00 the next evening.
  const now = await env.currentTimeMs();
  const next23 = Math.ceil((now - 20 * HOUR) / (24 * HOUR)) * 24 * HOUR + 20 * HOUR;
  await env.sleep(next23 - now);

  const id = await message('late-order', 'transactional');
  const { sendPushes, markers } = await run(id);
  expect(sendPushes).toHaveLength(1);
  expect(istanbul(sendPushes[0]!).hour).toBe(23);
  expect(markers.join()).not.toContain(QUIET_HOURS_PATCH);
  expect(sims.fcm.callsFor(id)).toBe(1);
  expect((await db.deliveries.findOne({ appId: 'demo', messageId: id }).lean())!.decision.reason).toBe('push_enabled (transactional: consent-exempt)');
});
