/**
 * Journeys over hours and days, on Temporal's time-skipping server with the real activities
 * (the database, the push and SMS simulators and the SMTP sink over the network). Events go
 * in through ingest and the journey router, as from `POST /v1/events`.
 *
 * The abandoned cart: entry on `cart.updated`, wait 2 hours for the same cart's `purchase`,
 * else push with SMS fallback, then a day, else e-mail; the purchase is the goal. A buyer gets
 * nothing, a non-buyer the push, the SMS (no receipt) and the e-mail, and a buyer during the
 * day's wait the push and the SMS only. A welcome series waits until 10:00 in each profile's zone.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { connectDb, type Db } from '../../data/db';
import { ingestEvents } from '../../events/ingestEvents';
import { journeyWorkflowId } from '../../domain/journeyRuns';
import { localId } from '../../lib/ids';
import { wallTime } from '../../gate/localTime';
import { dbCatalog } from '../../journeys/catalog';
import { liveJourneys } from '../../journeys/liveJourneys';
import { routeEventsToJourneys } from '../../journeys/routeEvents';
import { findJourneyProfile, versionStats } from '../../journeys/runs';
import { newJourneyDoc, publishJourney } from '../../journeys/store';
import { validateJourney } from '../../journeys/validate';
import { startPushSimulators, type PushSimulators } from '../../simulators/pushSimulators';
import { startSmsSimulator, type SmsSimulator } from '../../simulators/smsSimulator';
import { startSmtpSink, type SmtpSink } from '../../simulators/smtpSink';
import { createTemplate, publishTemplate } from '../../templates/store';
import { upsertProfile } from '../../profiles/upsertProfile';
import { activitiesFromConfig } from '../../worker';
import { journeyEventSignal, journeyRun } from '../../workflows/journeyRun';
import { testDbUri } from '../support/testDb';
import { startTimeSkipping, timeSkippingConfig } from '../support/timeSkipping';
import { rotaWorkflows } from '../support/workflows';
import { eventsOf } from '../support/eventTypes';
import { scopedId } from '../../lib/ids';

let env: TestWorkflowEnvironment;
let db: Db;
let sims: PushSimulators;
let sms: SmsSimulator;
let smtp: SmtpSink;
let worker: Worker;
let running: Promise<void>;
const TASK_QUEUE = 'journey-time-skipping';
const ONAY = { status: 'ONAY' as const, recipientType: 'BIREYSEL' as const, consentDate: new Date(Date.now() - 86_400_000) };
let profileCount = 0;
const LIMITS = { EVENT_MAX_AGE_DAYS: 30, EVENT_MAX_SKEW_SECONDS: 300 };

async function journey({ id, ...def }: Record<string, unknown>): Promise<void> {
  // The events it names are declared, as a designer would (POST /v1/event-types).
  for (const name of eventsOf(def)) await db.eventTypes.updateOne({ _id: scopedId('demo', name) }, { $setOnInsert: { appId: 'demo', name } }, { upsert: true });
  const checked = await validateJourney(def, dbCatalog(db, 'demo'), 'body');
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  await db.journeys.create(newJourneyDoc('demo', id as string, checked.definition));
  expect((await publishJourney(db, dbCatalog(db, 'demo'), 'demo', id as string)).kind).toBe('published');
}

/** A profile made as the API makes one (its externalId key included), then given a silent device and consents. */
async function profile(id: string, timeZone = 'Europe/Istanbul'): Promise<string> {
  const n = 1_000_000 + (profileCount++);
  const { profile: p } = await upsertProfile(db, 'demo', { externalId: id, email: `${id}@example.com`, msisdn: `+90532${n}` });
  await db.profiles.updateOne({ _id: p._id }, {
    $set: { consents: { MESAJ: { ...ONAY }, EPOSTA: { ...ONAY } }, devices: [{ token: `sim-silent-${id}`, platform: 'android', pushEnabled: true, timeZone, updatedAt: new Date() }] },
  });
  return p._id;
}

async function send(events: { externalId: string; name: string; attributes?: Record<string, unknown>; eventId?: string }[]): Promise<void> {
  const { events: stored } = await ingestEvents(db, LIMITS, 'demo', events, (i) => `events.${i}`);
  await routeEventsToJourneys({ db, temporal: env.client, config: { TEMPORAL_TASK_QUEUE: TASK_QUEUE } }, 'demo', stored, await liveJourneys(db, 'demo'));
}

const pushes = (id: string) => sims.fcm.pushes.filter((p) => p.token === `sim-silent-${id}`).length;
const smsTo = (profileId: string) => async () => {
  const p = await db.profiles.findOne({ _id: profileId }).lean();
  return sms.messages.filter((m) => m.to === p!.msisdn).length;
};
const mailsTo = (id: string) => smtp.messages.filter((m) => m.to.includes(`${id}@example.com`)).length;
const runOf = async (journeyId: string, profileId: string, key = '-') => (await findJourneyProfile(db, 'demo', journeyId, profileId))?.runs[key];

beforeAll(async () => {
  env = await startTimeSkipping();
  db = await connectDb(testDbUri('journeyskip'));
  sims = await startPushSimulators();
  sms = await startSmsSimulator();
  smtp = await startSmtpSink();
  await createTemplate(db, 'demo', { id: 'sepet', name: 'Sepet', missingVariable: 'skip', channels: { push: { title: 'Sepetin seni bekliyor', body: 'Ürünlerin hâlâ sepette' }, sms: { text: 'Sepetindeki ürünler seni bekliyor' } } });
  await createTemplate(db, 'demo', { id: 'sepet-eposta', name: 'Sepet e-posta', missingVariable: 'skip', channels: { email: { subject: 'Sepetin', text: 'Ürünlerin hâlâ sepette' } } });
  await createTemplate(db, 'demo', { id: 'hosgeldin', name: 'Hoş geldin', missingVariable: 'skip', channels: { push: { title: 'Hoş geldin', body: 'Günaydın ☕' } } });
  for (const t of ['sepet', 'sepet-eposta', 'hosgeldin']) await publishTemplate(db, 'demo', t);
  const config = timeSkippingConfig(TASK_QUEUE, { ...sims.env, SMS_PROVIDER_URL: sms.url, SMTP_URL: smtp.smtpUrl });
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, ...rotaWorkflows(), activities: activitiesFromConfig(config, db) });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.conn.dropDatabase();
  await db?.close();
  await sims?.close();
  await sms?.close();
  await smtp?.close();
});

const sameCart = [{ attribute: 'cartId', op: 'eq', valueFrom: 'entry.cartId' }];

test('abandoned cart: the buyer gets nothing, the non-buyer push, SMS and e-mail, a buyer during the day’s wait push and SMS only', async () => {
  await journey({
    id: 'cart', name: 'Terk edilen sepet',
    entry: { kind: 'event', event: 'cart.updated', keyAttribute: 'cartId' },
    reEntry: { policy: 'always' },
    goal: { event: 'purchase', conditions: sameCart },
    steps: [
      { id: 'wait_cart', kind: 'waitForEvent', event: 'purchase', conditions: sameCart, timeout: { hours: 2 }, next: { received: 'bought', timedOut: 'remind' } },
      { id: 'remind', kind: 'send', template: { id: 'sepet' }, channels: ['push', 'sms'], category: 'commercial', fallbackAfter: { minutes: 10 }, next: 'wait_day' },
      { id: 'wait_day', kind: 'wait', duration: { days: 1 }, next: 'remind_email' },
      { id: 'remind_email', kind: 'send', template: { id: 'sepet-eposta' }, channels: ['email'], category: 'commercial', next: 'done' },
      { id: 'bought', kind: 'exit' },
      { id: 'done', kind: 'exit' },
    ],
  });
  const [buyer, idle, late] = [await profile('cart-buyer'), await profile('cart-idle'), await profile('cart-late')];
  await send([
    { externalId: 'cart-buyer', name: 'cart.updated', attributes: { cartId: 'c1' }, eventId: 'e-buyer-cart' },
    { externalId: 'cart-idle', name: 'cart.updated', attributes: { cartId: 'c2' }, eventId: 'e-idle-cart' },
    { externalId: 'cart-late', name: 'cart.updated', attributes: { cartId: 'c3' }, eventId: 'e-late-cart' },
  ]);
  // Another cart's purchase is not this cart's; the buyer's own purchase is.
  await send([{ externalId: 'cart-buyer', name: 'purchase', attributes: { cartId: 'other' } }, { externalId: 'cart-buyer', name: 'purchase', attributes: { cartId: 'c1' } }]);
  const handle = (profileId: string, key: string) => env.client.workflow.getHandle(journeyWorkflowId('demo', 'cart', localId(profileId), key));
  expect(await handle(buyer, 'c1').result()).toMatchObject({ status: 'converted', stepId: 'wait_cart' });

  // Two hours on: the other two are reminded by push, then SMS (the silent devices send no receipt), and wait a day.
  await env.sleep('2 hours');
  // Time moves only while the test sleeps in it: five minutes at a time until both wait the day (push, 10 min, SMS).
  for (let i = 0; !((await runOf('cart', late, 'c3'))?.currentStep === 'wait_day' && (await runOf('cart', idle, 'c2'))?.currentStep === 'wait_day'); i++) {
    if (i > 200) throw new Error('the reminders never reached the day’s wait');
    await env.sleep('5 minutes');
  }
  await send([{ externalId: 'cart-late', name: 'purchase', attributes: { cartId: 'c3' } }]);
  expect(await handle(late, 'c3').result()).toMatchObject({ status: 'converted', stepId: 'wait_day' });
  expect(await handle(idle, 'c2').result()).toMatchObject({ status: 'completed', stepId: 'done' });

  expect([pushes('cart-buyer'), await smsTo(buyer)(), mailsTo('cart-buyer')]).toEqual([0, 0, 0]);
  expect([pushes('cart-idle'), await smsTo(idle)(), mailsTo('cart-idle')]).toEqual([1, 1, 1]);
  expect([pushes('cart-late'), await smsTo(late)(), mailsTo('cart-late')]).toEqual([1, 1, 0]);

  const idleRun = await runOf('cart', idle, 'c2');
  expect(idleRun?.path.map((p) => [p.stepId, p.via])).toEqual([['wait_cart', 'timedOut'], ['remind', 'delivered'], ['wait_day', 'next'], ['remind_email', 'delivered'], ['done', 'completed']]);
  const stats = await versionStats(db, 'demo', 'cart', 1, ['wait_cart', 'remind', 'wait_day', 'remind_email', 'bought', 'done']);
  expect(stats.totals).toEqual({ entered: 3, active: 0, completed: 1, converted: 2, exited: 0 });
  expect(stats.steps.wait_cart).toMatchObject({ entered: 3, waiting: 0, converted: 1, left: { remind: 2 } });
  expect(stats.steps.wait_day).toMatchObject({ entered: 2, waiting: 0, converted: 1, left: { remind_email: 1 } });
  expect(stats.steps.done).toMatchObject({ entered: 1, left: { completed: 1 } });

  // The three histories replay against the current code; RECORD_HISTORIES=1 keeps them as fixtures (test/unit/replay.test.ts).
  for (const [p, key, name] of [[buyer, 'c1', 'converted_waiting'], [idle, 'c2', 'completed'], [late, 'c3', 'converted_in_wait']] as const) {
    const history = await handle(p, key).fetchHistory();
    await Worker.runReplayHistory(rotaWorkflows(), history, `${p}:${key}`);
    if (process.env.RECORD_HISTORIES) writeFileSync(path.join(__dirname, '../histories', `journeyRun-${name}.json`), historyToJSON(history));
  }
});

test('a run that hears many events continues as new where it is, and the event it waits for still moves it on', async () => {
  await journey({
    id: 'many', name: 'Many', entry: { kind: 'event', event: 'many.start' }, reEntry: { policy: 'never' },
    steps: [
      { id: 'go', kind: 'waitForEvent', event: 'many.buy', conditions: [{ attribute: 'sku', op: 'eq', value: 'wanted' }], timeout: { days: 1 }, next: { received: 'end', timedOut: 'end' } },
      { id: 'end', kind: 'exit' },
    ],
  });
  const p = await profile('many-1');
  const { events: [start] } = await ingestEvents(db, LIMITS, 'demo', [{ externalId: 'many-1', name: 'many.start' }], () => 'e');
  // Started as ingest starts it, with a low history limit so a few dozen events cross it.
  const workflowId = journeyWorkflowId('demo', 'many', localId(p));
  const first = await env.client.workflow.signalWithStart(journeyRun, {
    workflowId, taskQueue: TASK_QUEUE, args: [{ appId: 'demo', journeyId: 'many', profileId: p, historyLimit: 60 }],
    signal: journeyEventSignal, signalArgs: [{ eventId: start!.eventId, name: 'many.start', entry: true }],
  });
  for (let i = 0; i < 30; i++) await send([{ externalId: 'many-1', name: 'many.buy', attributes: { sku: `other-${i}` } }]);
  await send([{ externalId: 'many-1', name: 'many.buy', attributes: { sku: 'wanted' } }]);
  const handle = env.client.workflow.getHandle(workflowId);
  expect(await handle.result()).toMatchObject({ status: 'completed', stepId: 'end' });
  const described = await handle.describe();
  expect(described.runId).not.toBe(first.signaledRunId);
  const firstHistory = await env.client.workflow.getHandle(workflowId, first.signaledRunId).fetchHistory();
  expect(firstHistory.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  const run = await runOf('many', p);
  expect(run?.path.map((s) => [s.stepId, s.via])).toEqual([['go', 'received'], ['end', 'completed']]);
  const stats = await versionStats(db, 'demo', 'many', 1, ['go', 'end']);
  expect(stats.totals).toEqual({ entered: 1, active: 0, completed: 1, converted: 0, exited: 0 });
  await Worker.runReplayHistory(rotaWorkflows(), firstHistory, 'many:first');
  if (process.env.RECORD_HISTORIES) writeFileSync(path.join(__dirname, '../histories', 'journeyRun-continued_as_new.json'), historyToJSON(firstHistory));
});

test('a welcome series waits until 10:00 in each profile’s own zone', async () => {
  await journey({
    id: 'welcome', name: 'Hoş geldin', entry: { kind: 'event', event: 'signed_up' }, reEntry: { policy: 'never' },
    steps: [
      { id: 'morning', kind: 'waitUntil', time: '10:00', next: 'hello' },
      { id: 'hello', kind: 'send', template: { id: 'hosgeldin' }, channels: ['push'], category: 'transactional', next: 'end' },
      { id: 'end', kind: 'exit' },
    ],
  });
  const ist = await profile('wel-ist', 'Europe/Istanbul');
  const ny = await profile('wel-ny', 'America/New_York');
  await send([{ externalId: 'wel-ist', name: 'signed_up' }, { externalId: 'wel-ny', name: 'signed_up' }]);
  for (const [p, zone] of [[ist, 'Europe/Istanbul'], [ny, 'America/New_York']] as const) {
    await env.client.workflow.getHandle(journeyWorkflowId('demo', 'welcome', localId(p))).result();
    const run = await runOf('welcome', p);
    const sentAt = run!.path.find((s) => s.stepId === 'hello')!.at.getTime();
    expect(wallTime(sentAt, zone)).toMatchObject({ hour: 10, minute: 0 });
  }
  expect(pushes('wel-ist') + pushes('wel-ny')).toBe(2);
});
