/**
 * Batch sends (issue 10, item 6) on the real stack: worker processes, Temporal, the database
 * and the FCM simulator over HTTP, which counts what the devices got. Every recipient is sent
 * once however often a batch runs, a worker SIGKILLed inside a batch leaves nothing unsent and
 * nothing twice, two workers share the app’s rate limit (its budget per second is checked on a
 * clock of its own in sendRateLimiter.test.ts), and a 429 with Retry-After
 * pauses the channel for everyone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SendBatchInput, SendBatchResult } from '../../activities/sendBatch';
import { saveDeliverySettings, DEFAULT_DELIVERY_SETTINGS } from '../../gate/settings';
import { startFcmSimulator, type FcmSimulator } from '../../simulators/fcmSimulator';
import type { PushCredentialsFile } from '../../providers/pushAdapters';
import { generateSimPushCredentials, simFcmAccount, simServiceAccount } from '../../simulators/pushCredentials';
import { sendBatchRunId } from '../../workflows/sendBatchRun';
import { eventually, startHarness, type Harness } from '../support/harness';
import { workerProcesses } from '../support/workerProcess';

let h: Harness;
let fcm: FcmSimulator;
const workers = workerProcesses();

beforeAll(async () => {
  const creds = generateSimPushCredentials();
  fcm = await startFcmSimulator({ accounts: [simFcmAccount(creds)] });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rota-batch-')), 'push-credentials.json');
  const file_: PushCredentialsFile = { fcm: simServiceAccount(creds, fcm.tokenUrl) };
  writeFileSync(file, JSON.stringify(file_), { mode: 0o600 });
  h = await startHarness('batch', { worker: false, env: { FCM_URL: fcm.url, PUSH_CREDENTIALS_FILE: file } });
});
afterEach(async () => {
  await workers.killAll();
  await saveDeliverySettings(h.db, 'demo', DEFAULT_DELIVERY_SETTINGS);
});
afterAll(async () => {
  await h?.close();
  await fcm?.close();
});

type Kind = 'ok' | 'uninstalled' | 'no_email' | 'unregistered' | 'no_device' | 'slow';

/** Profiles `demo:prf_{prefix}{i}`, written straight to the store, each with one Android device whose token says how the simulator answers. */
async function seed(prefix: string, kinds: Kind[]): Promise<string[]> {
  const at = new Date();
  const docs = kinds.map((kind, i) => {
    const token = kind === 'unregistered' ? `sim-unregistered-${prefix}${i}` : kind === 'slow' ? `sim-slowack-150ms-${prefix}${i}` : `sim-silent-${prefix}${i}`;
    return {
      _id: `demo:prf_${prefix}${i}`, appId: 'demo', externalId: `${prefix}-${i}`,
      ...(kind === 'no_email' ? {} : { email: `${prefix}${i}@example.com` }),
      attributes: {},
      devices: kind === 'no_device' ? [] : [{ token, platform: 'android', pushEnabled: true, updatedAt: at, ...(kind === 'uninstalled' ? { uninstalledAt: at } : {}) }],
    };
  });
  await h.db.profiles.insertMany(docs);
  return docs.map((d) => d._id);
}

function batch(sendKey: string, recipients: string[], batchId = 'b1', category: 'commercial' | 'transactional' = 'commercial'): SendBatchInput {
  return { appId: 'demo', batchId, sendKey, channel: 'push', category, content: { title: 'Merhaba', body: 'Sipariş {{ profile.externalId }} → {{ profile.email }}' }, recipients };
}

const startBatch = (input: SendBatchInput, run = 'r1') =>
  h.temporal.workflow.start<(i: SendBatchInput) => Promise<SendBatchResult>>('sendBatchRun', {
    taskQueue: h.config.TEMPORAL_TASK_QUEUE, workflowId: `${sendBatchRunId(input.appId, input.sendKey, input.batchId)}:${run}`, args: [input],
  });
const runBatch = async (input: SendBatchInput, run = 'r1') => (await startBatch(input, run)).result();

/** Pushes the devices got for a send key, by token. */
function pushesByToken(sendKey: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of fcm.pushes) if (p.data.rota_send_key === sendKey) out.set(p.token, (out.get(p.token) ?? 0) + 1);
  return out;
}

test('a batch of 200 sends each recipient once, records every skip with its reason, and sends nothing when run again', async () => {
  workers.spawn(h);
  const kinds: Kind[] = [...Array<Kind>(150).fill('ok'), ...Array<Kind>(10).fill('uninstalled'), ...Array<Kind>(10).fill('no_email'), ...Array<Kind>(10).fill('unregistered'), ...Array<Kind>(20).fill('no_device')];
  const ids = await seed('bt', kinds);
  // A cap of one commercial message a day, already used by ten of the profiles.
  await saveDeliverySettings(h.db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, frequencyCaps: [{ max: 1, days: 1, channel: 'any' }] });
  const warm = await runBatch(batch('camp-warm', ids.slice(0, 10)));
  expect(warm).toMatchObject({ sent: 10, calls: 10 });

  const first = await runBatch(batch('camp-main', ids));
  expect(first).toMatchObject({ recipients: 200, sent: 140, failed: 10, skipped: 50, deferred: 0, calls: 150 });
  expect(first.reasons).toEqual({ frequency_cap: 10, uninstalled: 10, template_missing_variable: 10, no_device: 20, unregistered: 10 });
  const got = pushesByToken('camp-main');
  expect(got.size).toBe(140);
  expect([...got.values()].every((n) => n === 1)).toBe(true);
  // The rendered text, per recipient.
  expect(fcm.pushes.find((p) => p.token === 'sim-silent-bt20')?.notification).toEqual({ title: 'Merhaba', body: 'Sipariş bt-20 → bt20@example.com' });

  // The ledger says why each profile was skipped, and the dead tokens are marked.
  const skip = await h.db.deliveries.findOne({ _id: 'demo:camp-main:prf_bt165:push' }).lean();
  expect(skip).toMatchObject({ state: 'skipped', decision: { allowed: false } });
  expect(skip?.decision.reason).toMatch(/^template_missing_variable/);
  const dead = await h.db.profiles.findOne({ _id: ids[175] }).lean();
  expect(dead?.devices?.[0]?.uninstalledAt).toBeInstanceOf(Date);

  // The same batch again (a replay, a campaign resumed): nothing sent, the sent ones counted from the ledger; the dead
  // tokens' profiles are now skipped by the gate (uninstalled) before their failed records are looked at.
  const callsBefore = fcm.stats.sendCalls;
  const again = await runBatch(batch('camp-main', ids), 'r2');
  expect(again).toMatchObject({ recipients: 200, sent: 140, failed: 0, skipped: 60, calls: 0 });
  expect(again.reasons).toEqual({ frequency_cap: 10, uninstalled: 20, template_missing_variable: 10, no_device: 20 });
  expect(fcm.stats.sendCalls).toBe(callsBefore);
  expect(pushesByToken('camp-main').size).toBe(140);
}, 120_000);

test('a worker SIGKILLed inside a batch: another worker finishes it, every recipient sent exactly once', async () => {
  const ids = await seed('kc', Array<Kind>(200).fill('slow'));
  // 40 a second: the batch takes five seconds, long enough to be killed inside.
  await saveDeliverySettings(h.db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, rateLimits: { push: 40 } });
  const first = workers.spawn(h);
  const handle = await startBatch(batch('camp-kill', ids, 'b1', 'transactional'));
  await eventually(async () => pushesByToken('camp-kill').size >= 60, 60_000, 50);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const sentBeforeKill = pushesByToken('camp-kill').size;
  expect(sentBeforeKill).toBeLessThan(200);

  workers.spawn(h);
  const result = await handle.result();
  expect(result).toMatchObject({ recipients: 200, sent: 200, failed: 0, skipped: 0 });
  const got = pushesByToken('camp-kill');
  expect(got.size).toBe(200);
  expect([...got.values()].every((n) => n === 1)).toBe(true);
  const states = await Promise.all(ids.map(async (id) => (await h.db.deliveries.findOne({ appId: 'demo', profileId: id, messageId: 'camp-kill' }).lean())?.state));
  expect(states.every((s) => s === 'sent')).toBe(true);
}, 180_000);

// What the two limiters grant per second between them is checked on a clock of its own in sendRateLimiter.test.ts:
// when a call reaches the simulator depends on the machine's load, so its per-second counts are not a test.
test('two worker processes sending under the app’s rate limit: every recipient once', async () => {
  const limit = 25;
  const a = await seed('ra', Array<Kind>(120).fill('ok'));
  const b = await seed('rb', Array<Kind>(120).fill('ok'));
  await saveDeliverySettings(h.db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, rateLimits: { push: limit } });
  workers.spawn(h);
  workers.spawn(h);
  const [ra, rb] = await Promise.all([runBatch(batch('camp-rate', a, 'b1', 'transactional')), runBatch(batch('camp-rate', b, 'b2', 'transactional'))]);
  expect(ra.sent + rb.sent).toBe(240);
  const got = pushesByToken('camp-rate');
  expect(got.size).toBe(240);
  expect([...got.values()].every((n) => n === 1)).toBe(true);
  // Both took their sends from the app's one push budget: its last second's counter is left.
  const counters = await h.db.conn.collection<{ _id: string; n: number }>('sendRates').find({ _id: { $regex: /^demo:push:\d+$/ } }).toArray();
  expect(counters.length).toBeGreaterThanOrEqual(1);
}, 120_000);

test('a 429 with Retry-After pauses the channel: the refused push is sent again only after the pause', async () => {
  workers.spawn(h);
  const ids = await seed('ph', Array<Kind>(20).fill('ok'));
  fcm.fail({ status: 429, count: 1, retryAfterSeconds: 2 });
  const failedAt = Date.now();
  const result = await runBatch(batch('camp-429', ids, 'b1', 'transactional'));
  expect(result).toMatchObject({ sent: 20, failed: 0 });
  expect(fcm.stats.answers.QUOTA_EXCEEDED).toBe(1);
  const pause = await h.db.conn.collection<{ _id: string; pausedUntil?: Date }>('sendRates').findOne({ _id: 'demo:push:pause' });
  expect(pause?.pausedUntil).toBeInstanceOf(Date);
  const pausedUntil = pause!.pausedUntil!.getTime();
  expect(pausedUntil - failedAt).toBeGreaterThanOrEqual(2000);
  const received = fcm.pushes.filter((p) => p.data.rota_send_key === 'camp-429').map((p) => Date.parse(p.receivedAt));
  expect(received).toHaveLength(20);
  // The refused delivery went out again, and not before the pause ended.
  expect(Math.max(...received)).toBeGreaterThanOrEqual(pausedUntil);
}, 120_000);
