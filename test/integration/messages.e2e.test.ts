/**
 * The walking skeleton end to end, on the real Temporal dev server, FerretDB and the
 * simulators over HTTP: API → workflow → push provider → device receipt → API → signal,
 * and the SMS fallback when no receipt comes.
 */
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { messageWorkflowId } from '../../workflows/pushWithSmsFallback';
import { resolveTemporalCli } from '../../infra/tools';
import { receiptToken } from '../../lib/receiptTokens';
import { messageStatus } from '../../data/messageTimeline';
import { finalMessage, startHarness, type Harness } from '../support/harness';
import { rotaWorkflows } from '../support/workflows';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('e2e');
});
afterAll(async () => h?.close());

async function profile(externalId: string, token: string, msisdn = '+905321112233') {
  const res = await h.call('POST', '/v1/profiles', { externalId, msisdn, devices: [{ token, platform: 'android' }] });
  expect(res.status).toBe(201);
  return res.body;
}

// A long fallback by default: a receipt case ends when the receipt comes, however slow the machine.
async function send(externalId: string, extra: Record<string, unknown> = {}) {
  const res = await h.call('POST', '/v1/messages', { to: { externalId }, push: { title: 'Sipariş', body: 'Kargonuz yolda' }, fallbackAfterSeconds: 120, ...extra });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

test('/readyz answers 200 when MongoDB and Temporal answer', async () => {
  const res = await h.call('GET', '/readyz');
  expect(res.status).toBe(200);
  expect(res.body.checks).toEqual({ mongodb: { status: 'ok' }, temporal: { status: 'ok' } });
});

test('a device that sends its receipt: delivered by push, no SMS', async () => {
  await profile('receipting', 'sim-delivers-receipting');
  const id = await send('receipting');
  const msg = await finalMessage(h, id);
  expect(msg.status).toBe('delivered_by_push');
  expect(msg.outcome).toBe('delivered by push');
  expect(msg.timeline.map((s: { step: string }) => s.step)).toEqual(['accepted', 'push_sent', 'push_delivered']);
  expect(h.push.callsFor(id)).toBe(1);
  expect(h.sms.callsFor(id)).toBe(0);
});

test('a device that never answers: SMS sent after push timeout, once', async () => {
  await profile('silent', 'sim-silent-silent', '05329998877');
  const id = await send('silent', { sms: { text: 'Kargonuz yolda (SMS)' }, fallbackAfterSeconds: 3 });
  const msg = await finalMessage(h, id);
  expect(msg.status).toBe('sms_sent_after_push_timeout');
  expect(msg.outcome).toBe('SMS sent after push timeout');
  expect(msg.timeline.map((s: { step: string }) => s.step)).toEqual(['accepted', 'push_sent', 'push_timed_out', 'sms_sent']);
  const sms = h.sms.messages.filter((s) => s.reference.includes(id));
  expect(sms).toHaveLength(1);
  expect([h.push.callsFor(id), h.sms.callsFor(id)]).toEqual([1, 1]);
  expect(sms[0]).toMatchObject({ to: '+905329998877', text: 'Kargonuz yolda (SMS)' });
  expect(msg.deliveries.map((d: { channel: string; state: string }) => `${d.channel}:${d.state}`)).toEqual(['push:sent', 'sms:sent']);
});

test('a dead push token: SMS at once, and the reason is shown', async () => {
  await profile('deadtoken', 'sim-unregistered-deadtoken');
  const refusals = () => h.push.stats.answers.UNREGISTERED ?? 0;
  const refusedBefore = refusals();
  const id = await send('deadtoken', { fallbackAfterSeconds: 3600 });
  const msg = await finalMessage(h, id);
  expect(msg.status).toBe('sms_sent_push_unavailable');
  expect(msg.skipped.push).toMatch(/provider_rejected: .*UNREGISTERED/);
  expect(h.sms.messages.filter((s) => s.reference.includes(id))).toHaveLength(1);

  // The device is marked uninstalled, so the next message skips push without calling the provider and goes to SMS.
  const device = (await h.call('GET', '/v1/profiles/deadtoken')).body.devices[0];
  expect(device).toMatchObject({ token: 'sim-unregistered-deadtoken', uninstalledAt: expect.any(String) });
  expect(refusals() - refusedBefore).toBe(1); // FCM was asked once and said UNREGISTERED
  const next = await finalMessage(h, await send('deadtoken', { fallbackAfterSeconds: 3600 }));
  expect(next.status).toBe('sms_sent_push_unavailable');
  expect(next.skipped.push).toMatch(/^uninstalled/);
  expect(refusals() - refusedBefore).toBe(1);
  expect(h.sms.callsFor(next.id)).toBe(1);
});

test('the same idempotencyKey is one message and one push, also when repeated after the message finished', async () => {
  await profile('idem', 'sim-delivers-idem');
  const body = { to: { externalId: 'idem' }, push: { title: 't', body: 'b' }, idempotencyKey: 'order-42-shipped', fallbackAfterSeconds: 2 };
  const first = await h.call('POST', '/v1/messages', body);
  const second = await h.call('POST', '/v1/messages', body);
  expect(first.status).toBe(202);
  expect(second.status).toBe(200);
  expect(second.body.id).toBe(first.body.id);
  const id = first.body.id as string;
  expect((await finalMessage(h, id)).status).toBe('delivered_by_push');
  const workflow = h.temporal.workflow.getHandle(messageWorkflowId('demo', id));
  const { runId } = await workflow.describe();

  const late = await h.call('POST', '/v1/messages', body);
  expect([late.status, late.body.id, late.body.status]).toEqual([200, id, 'delivered_by_push']);
  // No second run was started (it would be by the time the request is answered): the finished run is still the latest.
  expect(await workflow.describe()).toMatchObject({ runId, status: { name: 'COMPLETED' } });
  expect([h.push.callsFor(id), h.sms.callsFor(id)]).toEqual([1, 0]);
  expect((await h.call('GET', `/v1/messages/${id}`)).body.status).toBe('delivered_by_push');

  const reused = await h.call('POST', '/v1/messages', { ...body, push: { title: 'other', body: 'b' } });
  expect(reused.status).toBe(409);
  expect(reused.body.error.details[0].path).toBe('body.idempotencyKey');
});

test('a commercial message does not fall back to SMS without consent, and says why', async () => {
  await profile('commercial', 'sim-silent-commercial');
  const id = await send('commercial', { category: 'commercial', fallbackAfterSeconds: 1 });
  const msg = await finalMessage(h, id);
  expect(msg.status).toBe('not_delivered');
  expect(msg.skipped.sms).toMatch(/^no_consent/);
  expect(h.sms.callsFor(id)).toBe(0);
});

test('provider 5xx storm: the push is retried and sent once', async () => {
  await profile('storm', 'sim-delivers-storm');
  await fetch(`${h.push.url}/sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 503, count: 3 }) });
  const id = await send('storm');
  const msg = await finalMessage(h, id);
  expect(msg.status).toBe('delivered_by_push');
  expect(msg.deliveries[0].attempts).toBe(4);
  expect(h.push.callsFor(id)).toBe(1); // the three faulted calls never reached the device
});

test("the message view names the provider's failure without its address or raw answer", async () => {
  await profile('deadview', 'sim-unregistered-deadview');
  const id = await send('deadview', { fallbackAfterSeconds: 3600, smsFallback: false });
  const msg = await finalMessage(h, id);
  expect(msg.deliveries).toEqual([expect.objectContaining({ channel: 'push', state: 'failed', error: { provider: 'push', status: '4xx', code: 'UNREGISTERED' } })]);
  expect(msg.skipped.push).toBe('provider_rejected: push 4xx UNREGISTERED');
  const text = JSON.stringify(msg);
  for (const leak of [new URL(h.push.url).host, 'http', 'Requested entity', '{"error"', 'NOT_FOUND']) expect(text).not.toContain(leak);
  // The raw answer is kept for the operator, not shown to the tenant.
  expect((await h.db.deliveries.findOne({ appId: 'demo', messageId: id }).lean())!.error).toContain('Requested entity was not found');
});

test('a receipt dated before the message was accepted, or in the future, is a 400 naming body.at and changes nothing', async () => {
  await profile('receiptdate', 'sim-silent-receiptdate');
  const id = await send('receiptdate', { fallbackAfterSeconds: 3600, smsFallback: false });
  const receipt = (at: string) => h.call('POST', '/v1/receipts', { appId: 'demo', messageId: id, token: receiptToken(h.config.RECEIPT_SECRET, 'demo', id), status: 'delivered', at }, {});
  const accepted = Date.parse((await h.call('GET', `/v1/messages/${id}`)).body.createdAt);
  for (const at of ['1970-01-01T00:00:00Z', '2999-01-01T00:00:00Z', new Date(accepted - 3600_000).toISOString(), new Date(Date.now() + 3600_000).toISOString()]) {
    const res = await receipt(at);
    expect([at, res.status]).toEqual([at, 400]);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.at']);
  }
  expect((await h.call('GET', `/v1/messages/${id}`)).body.timeline.map((s: { step: string }) => s.step)).not.toContain('push_delivered');
  // A device clock a little behind the server's is accepted.
  const slightlyEarly = new Date(accepted - 60_000).toISOString();
  expect((await receipt(slightlyEarly)).status).toBe(202);
  const msg = await finalMessage(h, id);
  expect(msg.status).toBe('delivered_by_push');
  expect(msg.timeline.find((s: { step: string }) => s.step === 'push_delivered').at).toBe(slightlyEarly);
});

test('a forged receipt is refused and changes nothing', async () => {
  await profile('forged', 'sim-silent-forged');
  const id = await send('forged', { fallbackAfterSeconds: 3600, smsFallback: false });
  const res = await h.call('POST', '/v1/receipts', { appId: 'demo', messageId: id, token: 'not-the-token', status: 'delivered' }, {});
  expect(res.status).toBe(401);
  expect(res.body.error.details[0].path).toBe('body.token');
  const msg = await h.call('GET', `/v1/messages/${id}`);
  expect(msg.body.timeline.map((s: { step: string }) => s.step)).not.toContain('push_delivered');
  await h.temporal.workflow.getHandle(messageWorkflowId('demo', id)).terminate('test done');
});

test("this run's histories replay against the current workflow code (RECORD_HISTORIES=1 saves them as fixtures)", async () => {
  const messages = (await h.db.messages.find({ appId: 'demo' }).lean()).filter((m) => !['push_sent', 'accepted'].includes(messageStatus(m)));
  expect(messages.length).toBeGreaterThan(3);
  for (const m of messages) {
    const history = await h.temporal.workflow.getHandle(messageWorkflowId('demo', m.messageId)).fetchHistory();
    await Worker.runReplayHistory(rotaWorkflows(), history, messageWorkflowId('demo', m.messageId));
    if (process.env.RECORD_HISTORIES) {
      // The CLI's JSON is the format the Web UI and other tools export: fixtures stay readable and portable.
      const cli = (await resolveTemporalCli())!.path;
      const json = execFileSync(cli, ['workflow', 'show', '--address', process.env.TEMPORAL_ADDRESS!, '-w', messageWorkflowId('demo', m.messageId), '--output', 'json'], { encoding: 'utf8' });
      writeFileSync(path.join(__dirname, '../histories', `pushWithSmsFallback-${m.status}.json`), json);
    }
  }
});

test('a profile with a number but no device: SMS at once, push skipped with the reason', async () => {
  expect((await h.call('POST', '/v1/profiles', { externalId: 'nodevice', msisdn: '+905321110000' })).status).toBe(201);
  const id = await send('nodevice');
  const msg = await finalMessage(h, id);
  expect(msg.status).toBe('sms_sent_push_unavailable');
  expect(msg.skipped.push).toMatch(/^no_device/);
});
