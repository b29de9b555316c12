/**
 * Batch sends on SMS and e-mail, and push batches to iOS through APNs (issue 10, item 6), on
 * the real stack: a worker, Temporal, the database, the SMS simulator, the run's SMTP sink and
 * the APNs simulator over HTTP/2. Each recipient gets one message under its delivery id (the
 * SMS `reference`, the e-mail's Message-ID, the APNs apns-id), a batch run again sends nothing,
 * the gate's skips carry their reasons, commercial e-mail carries its unsubscribe link and
 * transactional mail none, and the app's SMS rate limit holds at the gateway.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SendBatchInput, SendBatchResult } from '../../activities/sendBatch';
import type { ProfileDoc } from '../../data/models/profiles';
import { DEFAULT_DELIVERY_SETTINGS, saveDeliverySettings } from '../../gate/settings';
import { batchDeliveryId } from '../../lib/ids';
import type { PushCredentialsFile } from '../../providers/pushAdapters';
import { startApnsSimulator, type ApnsSimulator } from '../../simulators/apnsSimulator';
import { generateSimPushCredentials, simApnsKey } from '../../simulators/pushCredentials';
import { sendBatchRunId } from '../../workflows/sendBatchRun';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let apns: ApnsSimulator;
/** Send keys of this run: the SMTP sink is shared by the whole jest run. */
const run = randomUUID().slice(0, 8);
const smtpApi = process.env.SMTP_API_URL;
const withSink = smtpApi ? test : test.skip;

beforeAll(async () => {
  const creds = generateSimPushCredentials();
  apns = await startApnsSimulator({ keys: [simApnsKey(creds)], bundleIds: [creds.apns.bundleId] });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rota-batch-channels-')), 'push-credentials.json');
  const file_: PushCredentialsFile = { apns: { keyId: creds.apns.keyId, teamId: creds.apns.teamId, bundleId: creds.apns.bundleId, privateKey: creds.apns.privateKey } };
  writeFileSync(file, JSON.stringify(file_), { mode: 0o600 });
  h = await startHarness('batch-channels', { env: { APNS_URL: apns.url, PUSH_CREDENTIALS_FILE: file } });
});
afterEach(async () => {
  await saveDeliverySettings(h.db, 'demo', DEFAULT_DELIVERY_SETTINGS);
});
afterAll(async () => {
  await h?.close();
  await apns?.close();
});

const ONAY = { status: 'ONAY' as const, recipientType: 'BIREYSEL' as const, consentDate: new Date(Date.now() - 86_400_000) };

/** Profiles `demo:prf_{prefix}{i}`, written straight to the store; `extra(i)` adds the address, consents or devices. */
async function seed(prefix: string, n: number, extra: (i: number) => Partial<ProfileDoc>): Promise<string[]> {
  const docs = Array.from({ length: n }, (_, i) => ({ _id: `demo:prf_${prefix}${i}`, appId: 'demo', externalId: `${prefix}-${i}`, attributes: { firstName: 'Şule' }, ...extra(i) }));
  await h.db.profiles.insertMany(docs);
  return docs.map((d) => d._id);
}

const msisdn = (i: number) => `+90532${String(1_000_000 + i)}`;

const runBatch = async (input: SendBatchInput, attempt = 'r1'): Promise<SendBatchResult> =>
  (
    await h.temporal.workflow.start<(i: SendBatchInput) => Promise<SendBatchResult>>('sendBatchRun', {
      taskQueue: h.config.TEMPORAL_TASK_QUEUE, workflowId: `${sendBatchRunId(input.appId, input.sendKey, input.batchId)}:${attempt}`, args: [input],
    })
  ).result();

const smsFor = (sendKey: string) => h.sms.messages.filter((m) => m.reference.startsWith(`demo:${sendKey}:`));

// The limiter's budget per second is checked on a clock of its own (sendRateLimiter.test.ts); when a call reaches
// the gateway depends on the machine's load. Here: the SMS sender takes its sends from the app's budget.
test('an SMS batch under a rate limit of 20 a second: every recipient once, each send counted in the app’s SMS budget', async () => {
  const limit = 20;
  const key = `sms-rate-${run}`;
  const ids = await seed('sr', 60, (i) => ({ msisdn: msisdn(100 + i) }));
  await saveDeliverySettings(h.db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, rateLimits: { sms: limit } });
  const result = await runBatch({ appId: 'demo', batchId: 'b1', sendKey: key, channel: 'sms', category: 'transactional', content: { text: 'Kargonuz yolda' }, recipients: ids });
  expect(result).toMatchObject({ recipients: 60, sent: 60, failed: 0, skipped: 0, calls: 60 });
  expect(new Set(smsFor(key).map((m) => m.to)).size).toBe(60);
  // 60 at 20 a second take three seconds of budget; the last one's counter is left (the earlier ones are cleared).
  const counters = await h.db.conn.collection<{ _id: string; n: number }>('sendRates').find({ _id: { $regex: /^demo:sms:\d+$/ } }).toArray();
  expect(counters.length).toBeGreaterThanOrEqual(1);
  expect(counters.every((c) => c.n >= 1)).toBe(true);
}, 120_000);

test('an SMS batch with Turkish text sends each recipient once under its delivery id, records every skip with its reason, and sends nothing when run again', async () => {
  const key = `sms-camp-${run}`;
  const ok = await seed('so', 30, (i) => ({ msisdn: msisdn(i), consents: { MESAJ: ONAY } }));
  const noMsisdn = await seed('sn', 5, () => ({ consents: { MESAJ: ONAY } }));
  const noConsent = await seed('sc', 5, (i) => ({ msisdn: msisdn(200 + i) }));
  const refused = await seed('sf', 5, (i) => ({ msisdn: msisdn(300 + i), consents: { MESAJ: { ...ONAY, status: 'RET' } } }));
  // Not E.164: the gateway refuses the number for good.
  const badNumber = await seed('sb', 2, (i) => ({ msisdn: `0532400000${i}`, consents: { MESAJ: ONAY } }));
  const ids = [...ok, ...noMsisdn, ...noConsent, ...refused, ...badNumber];
  const input: SendBatchInput = {
    appId: 'demo', batchId: 'b1', sendKey: key, channel: 'sms', category: 'commercial',
    content: { text: 'Merhaba {{ profile.attributes.firstName }}, İNDİRİM başladı: ğüşıöç {{ profile.externalId }}' }, recipients: ids,
  };

  const first = await runBatch(input);
  expect(first).toMatchObject({ recipients: 47, sent: 30, failed: 2, skipped: 15, deferred: 0, calls: 32 });
  expect(first.reasons).toEqual({ no_msisdn: 5, no_consent: 5, consent_ret: 5, provider_rejected: 2 });
  const got = smsFor(key);
  expect(got).toHaveLength(30);
  expect(h.sms.callsFor(`demo:${key}:`)).toBe(30);
  const byReference = new Map(got.map((m) => [m.reference, m]));
  ok.forEach((id, i) => {
    const sms = byReference.get(batchDeliveryId('demo', key, id, 'sms'));
    expect(sms).toMatchObject({ to: msisdn(i), from: h.config.SMS_SENDER, text: `Merhaba Şule, İNDİRİM başladı: ğüşıöç so-${i}` });
  });

  // The ledger says why each profile was skipped, under the same id its send would have had.
  const reasonOf = async (id: string) => (await h.db.deliveries.findOne({ _id: batchDeliveryId('demo', key, id, 'sms') }).lean())?.decision.reason;
  expect(await reasonOf(noMsisdn[0]!)).toMatch(/^no_msisdn/);
  expect(await reasonOf(noConsent[0]!)).toMatch(/^no_consent/);
  expect(await reasonOf(refused[0]!)).toMatch(/^consent_ret/);
  const rejected = await h.db.deliveries.findOne({ _id: batchDeliveryId('demo', key, badNumber[0]!, 'sms') }).lean();
  expect(rejected).toMatchObject({ state: 'failed', errorStatus: 400 });
  expect(rejected?.error).toMatch(/^provider_rejected: .*HTTP 400/);

  // Run again (a replay, a resumed campaign): nothing reaches the gateway, the outcomes come from the ledger.
  const again = await runBatch(input, 'r2');
  expect(again).toMatchObject({ recipients: 47, sent: 30, failed: 2, skipped: 15, calls: 0 });
  expect(again.reasons).toEqual(first.reasons);
  expect(h.sms.callsFor(`demo:${key}:`)).toBe(30);
  expect(smsFor(key)).toHaveLength(30);
}, 120_000);

test('an SMS gateway 429 pauses the SMS channel for every worker, and the refused message goes again after the pause', async () => {
  const key = `sms-429-${run}`;
  const ids = await seed('sp', 10, (i) => ({ msisdn: msisdn(400 + i) }));
  const fault = await fetch(`${h.sms.url}/sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 429, count: 1 }) });
  expect(fault.status).toBe(200);
  const result = await runBatch({ appId: 'demo', batchId: 'b1', sendKey: key, channel: 'sms', category: 'transactional', content: { text: 'Kodunuz 4821' }, recipients: ids });
  expect(result).toMatchObject({ sent: 10, failed: 0, calls: 11 });
  expect(smsFor(key)).toHaveLength(10);
  const pause = await h.db.conn.collection<{ _id: string; pausedUntil?: Date }>('sendRates').findOne({ _id: 'demo:sms:pause' });
  expect(pause?.pausedUntil).toBeInstanceOf(Date);
  expect(await h.db.conn.collection<{ _id: string }>('sendRates').findOne({ _id: 'demo:push:pause' })).toBeNull();
}, 120_000);

// --- mail read back from the sink: headers unfolded, each part's body decoded ---

type Mail = { headers: Record<string, string>; bodies: string };

function split(block: string): { headers: Record<string, string>; body: string } {
  const at = block.search(/\r?\n\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of block.slice(0, at).replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: block.slice(at).replace(/^\r?\n\r?\n/, '') };
}

function decode(headers: Record<string, string>, body: string): string {
  const enc = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (enc !== 'quoted-printable') return body;
  const bytes = Buffer.from(body.replace(/=\r?\n/g, ''), 'latin1');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes.subarray(i + 1, i + 3).toString('latin1');
    if (bytes[i] === 0x3d && /^[0-9A-F]{2}$/i.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(bytes[i]!);
  }
  return Buffer.from(out).toString('utf8');
}

/** The mails of a send key: top-level headers and every text part decoded, joined. */
async function mailsFor(sendKey: string): Promise<Mail[]> {
  const { messages } = (await (await fetch(`${smtpApi}/api/v1/messages`)).json()) as { messages: { raw: string }[] };
  return messages
    .filter((m) => m.raw.includes(`demo:${sendKey}:`))
    .map((m) => {
      const top = split(m.raw);
      const boundary = /boundary="?([^";]+)"?/i.exec(top.headers['content-type'] ?? '')?.[1];
      const parts = boundary ? top.body.split(`--${boundary}`).slice(1, -1).map((p) => split(p.replace(/^\r?\n/, ''))) : [top];
      return { headers: top.headers, bodies: parts.map((p) => decode(p.headers, p.body)).join('\n') };
    });
}

withSink('an e-mail batch: commercial mail carries List-Unsubscribe and the footer link, transactional mail neither; each once under its delivery id', async () => {
  const commercial = `mail-com-${run}`;
  const transactional = `mail-tx-${run}`;
  const withEmail = await seed('me', 3, (i) => ({ email: `me${i}-${run}@example.com`, consents: { EPOSTA: ONAY } }));
  const noEmail = await seed('mn', 1, () => ({ consents: { EPOSTA: ONAY } }));
  const content = { subject: 'Kampanya: İndirim, {{ profile.attributes.firstName }}', text: 'İndirim başladı {{ profile.externalId }}', html: '<html><body><p>İndirim başladı</p></body></html>' };
  const batchOf = (sendKey: string, category: 'commercial' | 'transactional'): SendBatchInput =>
    ({ appId: 'demo', batchId: 'b1', sendKey, channel: 'email', category, content, recipients: [...withEmail, ...noEmail] });

  const com = await runBatch(batchOf(commercial, 'commercial'));
  expect(com).toMatchObject({ recipients: 4, sent: 3, failed: 0, skipped: 1, calls: 3 });
  expect(com.reasons).toEqual({ no_email: 1 });
  const tx = await runBatch(batchOf(transactional, 'transactional'));
  expect(tx).toMatchObject({ recipients: 4, sent: 3, skipped: 1, calls: 3 });

  const comMails = await mailsFor(commercial);
  expect(comMails.map((m) => m.headers['message-id']).sort()).toEqual(withEmail.map((id) => `<${batchDeliveryId('demo', commercial, id, 'email')}@rota>`).sort());
  for (const mail of comMails) {
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const link = /^<([^>]+)>$/.exec(mail.headers['list-unsubscribe']!.replace(/\s+/g, ''))![1]!;
    expect(link.startsWith(`${h.api.url}/v1/unsubscribe/`)).toBe(true);
    // The footer has the same link, in the text part and the HTML part.
    expect(mail.bodies.split(link).length - 1).toBe(3);
    expect(mail.bodies).toContain('İndirim başladı');
  }
  const txMails = await mailsFor(transactional);
  expect(txMails).toHaveLength(3);
  for (const mail of txMails) {
    expect(mail.headers['list-unsubscribe']).toBeUndefined();
    expect(mail.bodies).toContain('İndirim başladı');
    expect(mail.bodies).not.toContain('/v1/unsubscribe/');
  }

  // Run again: no mail.
  const again = await runBatch(batchOf(commercial, 'commercial'), 'r2');
  expect(again).toMatchObject({ sent: 3, skipped: 1, calls: 0 });
  expect(await mailsFor(commercial)).toHaveLength(3);
}, 120_000);

test('an APNs push batch to iOS devices: each device once, dead tokens marked, nothing again when run again', async () => {
  const key = `apns-${run}`;
  const at = new Date();
  const ids = await seed('ap', 22, (i) => ({
    devices: [{ token: i < 20 ? `sim-delivers-ap${i}-${run}` : `sim-unregistered-ap${i}-${run}`, platform: 'ios', pushEnabled: true, updatedAt: at }],
  }));
  const input: SendBatchInput = {
    appId: 'demo', batchId: 'b1', sendKey: key, channel: 'push', category: 'transactional', content: { title: 'Merhaba {{ profile.attributes.firstName }}', body: 'Siparişin {{ profile.externalId }} yolda' }, recipients: ids,
  };
  const first = await runBatch(input);
  expect(first).toMatchObject({ recipients: 22, sent: 20, failed: 2, skipped: 0, calls: 22 });
  expect(first.reasons).toEqual({ unregistered: 2 });
  const pushes = apns.pushes.filter((p) => p.payload.rota_send_key === key);
  expect(pushes).toHaveLength(20);
  expect(new Set(pushes.map((p) => p.token)).size).toBe(20);
  expect(pushes.find((p) => p.token === `sim-delivers-ap3-${run}`)?.payload).toMatchObject({
    aps: { alert: { title: 'Merhaba Şule', body: 'Siparişin ap-3 yolda' } },
    rota_delivery_id: batchDeliveryId('demo', key, ids[3]!, 'push', `sim-delivers-ap3-${run}`),
  });
  const dead = await h.db.profiles.findOne({ _id: ids[21] }).lean();
  expect(dead?.devices?.[0]?.uninstalledAt).toBeInstanceOf(Date);

  const requests = apns.stats.requests;
  const again = await runBatch(input, 'r2');
  expect(again).toMatchObject({ sent: 20, calls: 0 });
  expect(again.reasons).toEqual({ uninstalled: 2 });
  expect(apns.stats.requests).toBe(requests);
}, 120_000);
