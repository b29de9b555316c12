/**
 * A campaign on a local-time schedule, on Temporal's time-skipping server with the real
 * activities (the database, the FCM simulator over HTTP): each recipient's page is sent at
 * 10:00 in that recipient's own zone, read from the workflow's history in Temporal's time.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { newCampaignDoc } from '../../campaigns/store';
import { connectDb, type Db } from '../../data/db';
import { nextLocalTime, wallTime } from '../../gate/localTime';
import { startPushSimulators, type PushSimulators } from '../../simulators/pushSimulators';
import { startSmsSimulator, type SmsSimulator } from '../../simulators/smsSimulator';
import { createTemplate, publishTemplate } from '../../templates/store';
import { activitiesFromConfig } from '../../worker';
import { campaignRun, campaignWorkflowId } from '../../workflows/campaignRun';
import { testDbUri } from '../support/testDb';
import { startTimeSkipping, timeSkippingConfig } from '../support/timeSkipping';
import { rotaWorkflows } from '../support/workflows';

let env: TestWorkflowEnvironment;
let db: Db;
let sims: PushSimulators;
let sms: SmsSimulator;
const TASK_QUEUE = 'campaign-local-time';
const ZONES = ['Europe/Istanbul', 'Europe/London', 'America/New_York'];

beforeAll(async () => {
  env = await startTimeSkipping();
  db = await connectDb(testDbUri('campaignlocal'));
  sims = await startPushSimulators();
  sms = await startSmsSimulator();
  await createTemplate(db, 'demo', { id: 'sabah', name: 'Sabah', missingVariable: 'skip', channels: { push: { title: 'Günaydın', body: 'Kahven bizden ☕' } } });
  await publishTemplate(db, 'demo', 'sabah');
  const at = new Date();
  await db.profiles.insertMany(
    ZONES.flatMap((timeZone, z) =>
      [0, 1, 2].map((i) => ({
        _id: `demo:prf_lt${z}${i}`, appId: 'demo', externalId: `lt-${z}-${i}`, msisdn: `+9053200000${z}${i}`, attributes: {},
        devices: [{ token: `sim-silent-lt-${z}-${i}`, platform: 'android', pushEnabled: true, timeZone, updatedAt: at }], createdAt: at, updatedAt: at,
      })),
    ),
  );
});

afterAll(async () => {
  await env?.teardown();
  await db?.conn.dropDatabase();
  await db?.close();
  await sims?.close();
  await sms?.close();
});

test('a local-time schedule sends each recipient at 10:00 in their own zone', async () => {
  const config = timeSkippingConfig(TASK_QUEUE, { ...sims.env, SMS_PROVIDER_URL: sms.url });
  const doc = newCampaignDoc('demo', {
    id: 'lt', name: 'Sabah kahvesi', audience: { rule: { channel: 'msisdn' } }, channelPlan: 'push', template: { id: 'sabah' }, category: 'transactional',
    schedule: { kind: 'localTime', localTime: '10:00' },
  });
  await db.campaigns.create({ ...doc, state: 'running' });
  const startedAt = await env.currentTimeMs();

  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, ...rotaWorkflows(), activities: activitiesFromConfig(config, db) });
  const workflowId = campaignWorkflowId('demo', 'lt');
  const result = await worker.runUntil(env.client.workflow.execute(campaignRun, { workflowId, taskQueue: TASK_QUEUE, args: [{ appId: 'demo', campaignId: 'lt', state: 'running' }] }));
  expect(result).toBe('completed');

  // Each page holds one zone's recipients; its send was scheduled at 10:00 there, the first 10:00 after the start.
  const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const sends = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendCampaignPage')
    .map((e) => {
      const input = JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!).toString()) as { page: number };
      return { page: input.page, at: Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6) };
    });
  expect(sends).toHaveLength(3);
  const pages = await db.campaignRecipients.find({ appId: 'demo', campaignId: 'lt' }).lean();
  expect(pages.map((p) => p.zone).sort()).toEqual([...ZONES].sort());
  for (const s of sends) {
    const page = pages.find((p) => p.page === s.page)!;
    expect(page.profileIds).toHaveLength(3);
    const due = nextLocalTime(startedAt, 600, page.zone!);
    expect(s.at).toBeGreaterThanOrEqual(due);
    expect(s.at - due).toBeLessThan(60_000);
    expect(wallTime(s.at, page.zone!)).toMatchObject({ hour: 10, minute: 0 });
  }
  // In the order the zones reach 10:00, and every recipient pushed once.
  expect(sends.map((s) => s.at)).toEqual([...sends.map((s) => s.at)].sort((a, b) => a - b));
  expect(sims.fcm.pushes.filter((p) => p.token.startsWith('sim-silent-lt-'))).toHaveLength(9);
  const view = await db.campaigns.findOne({ _id: doc._id }).lean();
  expect(view).toMatchObject({ state: 'completed', audienceSize: 9, pageCount: 3 });
});
