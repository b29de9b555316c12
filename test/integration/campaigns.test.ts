/**
 * Campaigns on the real stack (API, Temporal, the database, the FCM and SMS simulators over
 * HTTP): the state machine and its 409s, a pause that starts no new batch (read from the
 * workflow's history), resume to completion with every recipient pushed once, stop with the
 * rest left unsent and counted, push → SMS fallback only to recipients without a receipt and
 * never to one who refused MESAJ during the campaign, and recall removing shown pushes.
 */
import { formatIysDate } from '../../iys/dates';
import { campaignSendKey } from '../../campaigns/progress';
import { saveDeliverySettings, DEFAULT_DELIVERY_SETTINGS } from '../../gate/settings';
import { startWebPushSimulator, type WebPushSimulator } from '../../simulators/webPushSimulator';
import { saveApiKey } from '../../tenants/apiKeys';
import { campaignWorkflowId } from '../../workflows/campaignRun';
import { eventually, startHarness, type Harness } from '../support/harness';

let h: Harness;
/** A browser push service; the app's VAPID pair is made in beforeAll. */
let webPush: WebPushSimulator;
let vapidPublicKey: string;
/**
 * Campaigns of a few thousand recipients take seconds alone and minutes on a loaded 2-core
 * machine (a property suite hammering the same database server beside it). The waits below are
 * ceilings on conditions, not timings: each gets most of the test's time.
 */
const LONG = 12 * 60_000;
const WAIT = LONG - 2 * 60_000;

beforeAll(async () => {
  h = await startHarness('campaigns');
  expect((await h.call('POST', '/v1/attributes', { name: 'cohort', type: 'string' })).status).toBe(201);
  const template = { id: 'indirim', name: 'İndirim', channels: { push: { title: 'Hafta sonu', body: 'Sepetinde %20 indirim, {{ profile.externalId }}' }, sms: { text: 'Sepetinde %20 indirim var. Şimdi bak!' } } };
  expect((await h.call('POST', '/v1/templates', template)).status).toBe(201);
  expect((await h.call('POST', '/v1/templates/indirim/publish')).status).toBe(201);
  webPush = await startWebPushSimulator({ receiptUrl: `${h.api.url}/v1/receipts`, receiptDelayMs: 100 });
  const admin = { authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name: 'admin', roles: ['admin'] })}` };
  const vapid = await h.call('PUT', '/v1/settings/channels/webpush', { subject: 'mailto:ops@example.com' }, admin);
  expect(vapid.status).toBe(200);
  vapidPublicKey = vapid.body.summary.publicKey;
});
afterEach(async () => saveDeliverySettings(h.db, 'demo', DEFAULT_DELIVERY_SETTINGS));
afterAll(async () => {
  await webPush?.close();
  await h?.close();
});

type Kind = 'delivers' | 'silent';

/** `n` profiles of a cohort, written straight to the store, each with one Android device and a phone number. */
async function cohort(name: string, n: number, kind: (i: number) => Kind = () => 'silent'): Promise<string[]> {
  const at = new Date();
  const docs = Array.from({ length: n }, (_, i) => ({
    _id: `demo:prf_${name}${String(i).padStart(5, '0')}`, appId: 'demo', externalId: `${name}-${i}`, msisdn: `+90532${String(1_000_000 + i)}`,
    attributes: { cohort: name }, devices: [{ token: `sim-${kind(i) === 'delivers' ? 'delivers-0ms' : 'silent'}-${name}-${i}`, platform: 'android', pushEnabled: true, updatedAt: at }],
    createdAt: at, updatedAt: at,
  }));
  for (let i = 0; i < docs.length; i += 1000) await h.db.profiles.insertMany(docs.slice(i, i + 1000));
  return docs.map((d) => d.devices[0]!.token);
}

async function campaign(id: string, extra: Record<string, unknown> = {}) {
  const res = await h.call('POST', '/v1/campaigns', { id, name: `Kampanya ${id}`, audience: { rule: { attribute: 'cohort', op: 'eq', value: id } }, channelPlan: 'push', template: { id: 'indirim' }, ...extra });
  expect(res.status).toBe(201);
  return res.body;
}

const act = (id: string, action: string) => h.call('POST', `/v1/campaigns/${id}/${action}`);
const view = async (id: string) => (await h.call('GET', `/v1/campaigns/${id}`)).body;
const until = (id: string, state: string, timeoutMs = WAIT) => eventually(async () => ((await view(id)).state === state ? view(id) : undefined), timeoutMs);
const pushesTo = (tokens: string[]) => {
  const set = new Set(tokens);
  return h.push.pushes.filter((p) => set.has(p.token) && !p.data.rota_recall);
};
const sentDeliveries = (id: string) => h.db.deliveries.countDocuments({ appId: 'demo', messageId: campaignSendKey(id), channel: 'push', state: 'sent' });

test('the state machine: drafts are edited, started ones are not, and a wrong action is a 409 naming the state', async () => {
  await campaign('states', { schedule: { kind: 'at', at: new Date(Date.now() + 24 * 3600_000).toISOString() } });
  expect((await h.call('PATCH', '/v1/campaigns/states', { name: 'Yeni ad' })).body.name).toBe('Yeni ad');
  expect(await act('states', 'resume')).toMatchObject({ status: 409, body: { error: { code: 'invalid_state', details: [{ path: 'state', message: 'draft' }] } } });
  expect(await act('states', 'start')).toMatchObject({ status: 200, body: { state: 'scheduled' } });
  for (const [action, status] of [['start', 409], ['resume', 409]] as const) expect((await act('states', action)).status).toBe(status);
  expect((await h.call('PATCH', '/v1/campaigns/states', { name: 'x' })).status).toBe(409);
  expect(await act('states', 'stop')).toMatchObject({ status: 200, body: { state: 'stopped' } });
  for (const action of ['start', 'resume', 'pause', 'stop']) expect(await act('states', action)).toMatchObject({ status: 409, body: { error: { details: [{ message: 'stopped' }] } } });
  expect((await view('states')).progress).toMatchObject({ audience: null, processed: 0 });
});

test('bad definitions are a 400 naming the field, and nothing is stored', async () => {
  const bad = [
    [{ template: { id: 'yok' } }, 'body.template'],
    [{ channelPlan: 'push_then_sms' }, 'body.fallbackAfterSeconds'],
    [{ channelPlan: 'email' }, 'body.template'], // the template has no e-mail content
    [{ audience: { segmentId: 'nope' } }, 'body.audience.segmentId'],
    [{ audience: { rule: { attribute: 'unknown_attr', op: 'eq', value: 1 } } }, 'body.audience.rule'],
  ] as const;
  for (const [extra, path] of bad) {
    const res = await h.call('POST', '/v1/campaigns', { id: 'bad', name: 'x', audience: { rule: { attribute: 'cohort', op: 'eq', value: 'bad' } }, channelPlan: 'push', template: { id: 'indirim' }, ...extra });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toMatch(new RegExp(`^${path.replace(/\./g, '\\.')}`));
  }
  expect((await h.call('GET', '/v1/campaigns/bad')).status).toBe(404);
});

test('pause is acknowledged and no batch starts after it; resume finishes with every recipient pushed once', async () => {
  const tokens = await cohort('pz', 2600);
  await saveDeliverySettings(h.db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, rateLimits: { push: 400 } });
  await campaign('pz');
  expect((await act('pz', 'start')).body.state).toBe('running');
  expect(await act('pz', 'pause')).toMatchObject({ status: 200, body: { state: 'paused' } });
  expect((await act('pz', 'pause')).status).toBe(409);
  const paused = await view('pz');
  expect(paused.state).toBe('paused');
  expect(paused.template).toEqual({ id: 'indirim', version: 1 }); // pinned at start, whatever is published while it waits

  // The workflow's history: after the pause was accepted, no page was scheduled until the resume.
  const handle = h.temporal.workflow.getHandle(campaignWorkflowId('demo', 'pz'));
  expect(await act('pz', 'resume')).toMatchObject({ status: 200, body: { state: 'running' } });
  const done = await until('pz', 'completed', LONG - 30_000);
  const events = (await handle.fetchHistory()).events ?? [];
  const accepted = events.map((e, i) => [i, e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name] as const).filter(([, n]) => n);
  const pauseAt = accepted.find(([, n]) => n === 'pause')![0];
  const resumeAt = accepted.find(([, n]) => n === 'resume')![0];
  const pagesBetween = events.slice(pauseAt, resumeAt).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendCampaignPage');
  expect(pagesBetween).toHaveLength(0);
  expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendCampaignPage')).toHaveLength(6);

  // Every recipient once, and the counts are the ledger's.
  expect(done.progress).toMatchObject({ audience: 2600, processed: 2600, remaining: 0, sent: { push: 2600, sms: 0, email: 0 } });
  const got = pushesTo(tokens);
  expect(got).toHaveLength(2600);
  expect(new Set(got.map((p) => p.token)).size).toBe(2600);
  expect(await sentDeliveries('pz')).toBe(2600);
  expect(got[0]!.notification?.body).toMatch(/^Sepetinde %20 indirim, pz-\d+$/);
}, LONG);

test('stop leaves the rest unsent and says how many', async () => {
  // Ten pages: the four in flight finish about together under the shared rate, and the stop must land before the next four do.
  const tokens = await cohort('st', 5000);
  await saveDeliverySettings(h.db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, rateLimits: { push: 100 } });
  await campaign('st');
  await act('st', 'start');
  await eventually(async () => (await view('st')).progress.processed >= 500, WAIT);
  expect(await act('st', 'stop')).toMatchObject({ status: 200, body: { state: 'stopped' } });
  // The batches in flight finish; then the workflow ends.
  await h.temporal.workflow.getHandle(campaignWorkflowId('demo', 'st')).result();
  const stopped = await view('st');
  expect(stopped.progress.remaining).toBeGreaterThan(0);
  expect(stopped.progress.processed + stopped.progress.remaining).toBe(5000);
  expect(pushesTo(tokens)).toHaveLength(stopped.progress.sent.push);
  expect(await sentDeliveries('st')).toBe(stopped.progress.sent.push);
  expect(stopped.progress.sent.push).toBe(stopped.progress.processed);
}, LONG);

test('push → SMS: the SMS goes only to recipients without a receipt, never to one who refused MESAJ during the campaign', async () => {
  const tokens: string[] = [];
  for (let i = 0; i < 6; i++) {
    const token = `sim-${i < 2 ? 'delivers-0ms' : 'silent'}-fb-${i}`;
    tokens.push(token);
    const body = { externalId: `fb-${i}`, msisdn: `+90532${1_000_000 + i}`, attributes: { cohort: 'fb' }, devices: [{ token, platform: 'android' }] };
    expect((await h.call('POST', '/v1/profiles', body)).status).toBe(201);
  }
  const consent = (status: 'ONAY' | 'RET') => ({ status, source: 'HS_WEB', consentDate: formatIysDate(Date.now() - (status === 'ONAY' ? 3_600_000 : 60_000)) });
  for (let i = 0; i < 6; i++) expect((await h.call('PUT', `/v1/profiles/fb-${i}/consents/MESAJ`, consent('ONAY'))).status).toBe(200);
  await campaign('fb', { channelPlan: 'push_then_sms', fallbackAfterSeconds: 10, category: 'commercial' });
  await act('fb', 'start');
  await eventually(async () => (await view('fb')).progress.processed === 6, WAIT);
  // fb-5 refuses SMS while the campaign waits for receipts.
  expect((await h.call('PUT', '/v1/profiles/fb-5/consents/MESAJ', consent('RET'))).status).toBe(200);
  const done = await until('fb', 'completed');
  const sms = h.sms.messages.filter((m) => m.reference.includes(campaignSendKey('fb')));
  expect(sms.map((m) => m.to).sort()).toEqual(['+905321000002', '+905321000003', '+905321000004']);
  expect(done.progress).toMatchObject({ sent: { push: 6, sms: 3 }, fallbackSms: 3, delivered: 2 });
  expect(done.progress.gatedOut.consent_ret).toBe(1);
  expect(pushesTo(tokens)).toHaveLength(6);
}, LONG);

test('recall removes the shown pushes on the devices and counts each kind', async () => {
  const tokens = await cohort('rc', 5, () => 'delivers');
  await campaign('rc');
  await act('rc', 'start');
  await until('rc', 'completed');
  // Receipts are counted as they come, each delivery once: a device posting its receipt again, or an open, adds nothing.
  await eventually(async () => (await view('rc')).progress.delivered === 5);
  const first = pushesTo(tokens)[0]!;
  for (const status of ['delivered', 'opened']) {
    const again = await h.call('POST', '/v1/receipts', { appId: 'demo', deliveryId: first.data.rota_delivery_id, token: first.data.rota_receipt_token, status });
    expect(again.status).toBe(202);
  }
  expect((await view('rc')).progress.delivered).toBe(5);
  expect(await h.db.deliveries.countDocuments({ appId: 'demo', messageId: campaignSendKey('rc'), openedAt: { $exists: true } })).toBe(1);
  expect(await act('rc', 'recall')).toMatchObject({ status: 200, body: { state: 'recalling' } });
  const recalled = await until('rc', 'recalled');
  expect(recalled.progress.recall).toMatchObject({ cancelled: 0, recallSent: 5, notRecallable: 0 });
  await eventually(async () => pushesTo(tokens).every((p) => p.removedAt));
  await eventually(async () => (await view('rc')).progress.recall.recallConfirmed === 5);
  expect((await view('rc')).progress.delivered).toBe(5); // a removal is not a delivery
  expect((await act('rc', 'recall')).status).toBe(409);
}, LONG);

test('recall: a browser web push cannot be taken back and is counted not recallable, while the phones get their recall pushes', async () => {
  await cohort('wr', 2, () => 'delivers');
  const subscription = webPush.subscribe({ applicationServerKey: vapidPublicKey, behaviour: 'delivers' });
  const web = { externalId: 'wr-web', attributes: { cohort: 'wr' }, devices: [{ token: subscription.endpoint, platform: 'web', webPush: subscription.keys }] };
  expect((await h.call('POST', '/v1/profiles', web)).status).toBe(201);
  await campaign('wr');
  await act('wr', 'start');
  await until('wr', 'completed');
  expect(webPush.pushes.filter((p) => p.endpoint === subscription.endpoint)).toHaveLength(1);
  expect(await act('wr', 'recall')).toMatchObject({ status: 200, body: { state: 'recalling' } });
  const recalled = await until('wr', 'recalled');
  expect(recalled.progress.recall).toMatchObject({ cancelled: 0, recallSent: 2, notRecallable: 1 });
  expect(webPush.pushes.filter((p) => p.endpoint === subscription.endpoint)).toHaveLength(1); // nothing was sent to take it back
}, LONG);
