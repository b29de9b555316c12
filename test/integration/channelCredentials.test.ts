/**
 * An app's own push credentials (`/v1/settings/channels/{channel}`) over the real API, worker
 * and the FCM and APNs simulators: checked when saved, stored sealed, never shown or logged
 * again, and used for that app's pushes instead of the deployment's default credentials.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { startApi, type RunningApi } from '../../api/server';
import { freePort } from '../../infra/stack';
import { saveApiKey } from '../../tenants/apiKeys';
import { generateSimPushCredentials, simServiceAccount, type SimPushCredentials } from '../../simulators/pushCredentials';
import { finalMessage, startHarness, type Harness } from '../support/harness';

let h: Harness;
let app: SimPushCredentials;
let logged = '';
let loggingApi: RunningApi;
let admin: Record<string, string>;

beforeAll(async () => {
  app = generateSimPushCredentials('tenant-demo-project');
  app.apns = { ...app.apns, keyId: 'APPKEY0001', teamId: 'APPTEAM001' };
  h = await startHarness('channelcreds', { alsoAcceptPushCredentials: [app] });
  // A second API on the same database that logs everything it does, to show no secret reaches a log line.
  const sink = new Writable({ write: (chunk, _enc, done) => void ((logged += String(chunk)), done()) });
  loggingApi = await startApi({ ...h.config, PORT: await freePort() }, pino({ level: 'trace' }, sink));
  admin = { authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name: 'admin', roles: ['admin'] })}` };
});
afterAll(async () => {
  await loggingApi?.close();
  await h?.close();
});

async function put(channel: string, body: unknown, headers = admin) {
  const res = await fetch(`${loggingApi.url}/v1/settings/channels/${channel}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

const fcmBody = () => ({ serviceAccount: { type: 'service_account', ...simServiceAccount(app, h.push.tokenUrl), client_id: '1234', auth_uri: 'https://accounts.example/o/oauth2/auth' } });
const apnsBody = () => ({ keyId: app.apns.keyId, teamId: app.apns.teamId, bundleId: app.apns.bundleId, privateKey: app.apns.privateKey, environment: 'development' });
/** The base64 body of a PEM key: any piece of it in an answer or a log line is a leak. */
const keyBody = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '').slice(40, 80);

async function push(externalId: string, platform: 'android' | 'ios') {
  const token = `sim-delivers-${externalId}`;
  expect((await h.call('POST', '/v1/profiles', { externalId, devices: [{ token, platform }] })).status).toBeLessThan(300);
  const sent = await h.call('POST', '/v1/messages', { to: { externalId }, push: { title: 'Merhaba', body: 'Şifreniz değişti' }, fallbackAfterSeconds: 600 });
  expect(sent.status).toBe(202);
  expect((await finalMessage(h, sent.body.id)).status).toBe('delivered_by_push');
  return { id: sent.body.id as string, token };
}

test('with no credentials of its own, an app pushes with the deployment default', async () => {
  const listed = await h.call('GET', '/v1/settings/channels', undefined, admin);
  expect(listed.body.channels).toEqual([{ channel: 'fcm', configured: false }, { channel: 'apns', configured: false }, { channel: 'webpush', configured: false }]);
  const { id } = await push('default-creds', 'android');
  expect(h.push.pushes.find((p) => p.data.rota_message_id === id)?.project).toBe('rota-sim');
});

test('saved FCM and APNs credentials answer only their public parts, and are used for the app’s pushes', async () => {
  const fcm = await put('fcm', fcmBody());
  expect(fcm.status).toBe(200);
  expect(JSON.parse(fcm.text)).toMatchObject({ channel: 'fcm', configured: true, summary: { projectId: 'tenant-demo-project', clientEmail: app.fcm.clientEmail, privateKeyId: 'simkey0001' }, version: 1 });
  const apns = await put('apns', apnsBody());
  expect(apns.status).toBe(200);
  expect(JSON.parse(apns.text).summary).toEqual({ keyId: 'APPKEY0001', teamId: 'APPTEAM001', bundleId: app.apns.bundleId, environment: 'development' });

  const listed = await h.call('GET', '/v1/settings/channels', undefined, admin);
  const text = JSON.stringify(listed.body) + fcm.text + apns.text;
  for (const secret of [keyBody(app.fcm.privateKey), keyBody(app.apns.privateKey), 'PRIVATE KEY']) expect(text).not.toContain(secret);
  // Stored sealed: the database holds no key either.
  const stored = JSON.stringify(await h.db.channelCredentials.find({ appId: 'demo' }).lean());
  expect(stored).not.toContain(keyBody(app.fcm.privateKey));
  expect(stored).not.toContain(keyBody(app.apns.privateKey));

  const android = await push('own-fcm', 'android');
  expect(h.push.pushes.find((p) => p.data.rota_message_id === android.id)?.project).toBe('tenant-demo-project');
  const ios = await push('own-apns', 'ios');
  expect(h.apns.pushes.find((p) => p.token === ios.token)?.providerToken).toMatchObject({ kid: 'APPKEY0001', iss: 'APPTEAM001' });
});

test('operators see which channels are set; only admins change them', async () => {
  const operator = { authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name: 'ops', roles: ['operator'] })}` };
  const seen = await h.call('GET', '/v1/settings/channels', undefined, operator);
  expect(seen.status).toBe(200);
  expect(seen.body.channels.map((c: { configured: boolean }) => c.configured)).toEqual([true, true, false]);
  expect((await put('fcm', fcmBody(), operator)).status).toBe(403);
});

test('bad credentials are a 400 naming the field, never repeating the value, and change nothing', async () => {
  const before = await h.db.channelCredentials.find({ appId: 'demo' }).lean();
  const notRsa = { serviceAccount: { ...fcmBody().serviceAccount, private_key: app.apns.privateKey } };
  const bad = await put('fcm', notRsa);
  expect(bad.status).toBe(400);
  expect(JSON.parse(bad.text).error.details[0].path).toBe('body.serviceAccount.private_key');
  expect(bad.text).not.toContain(keyBody(app.apns.privateKey));

  const garbage = await put('apns', { ...apnsBody(), privateKey: '-----BEGIN PRIVATE KEY-----\nnot-a-key-at-all-secretish\n-----END PRIVATE KEY-----' });
  expect(garbage.status).toBe(400);
  expect(JSON.parse(garbage.text).error.details[0].path).toBe('body.privateKey');
  expect(garbage.text).not.toContain('secretish');

  const mismatched = await put('webpush', { subject: 'mailto:ops@example.com', publicKey: Buffer.alloc(65, 4).toString('base64url'), privateKey: Buffer.alloc(32, 7).toString('base64url') });
  expect(mismatched.status).toBe(400);
  expect(JSON.parse(mismatched.text).error.details.map((d: { path: string }) => d.path)).toContain('body.publicKey');

  expect((await put('sms', { sender: 'ROTA' })).status).toBe(400); // not a push provider
  expect(await h.db.channelCredentials.find({ appId: 'demo' }).lean()).toEqual(before);
});

test('web push keys are made when none are given, and the public key is what the browser needs', async () => {
  const made = await put('webpush', { subject: 'mailto:ops@example.com' });
  expect(made.status).toBe(200);
  const summary = JSON.parse(made.text).summary;
  expect(Buffer.from(summary.publicKey, 'base64url')).toHaveLength(65);
  expect(Object.keys(summary).sort()).toEqual(['publicKey', 'subject']);
});

test('nothing secret reached a log line', () => {
  expect(logged).toContain('/v1/settings/channels'); // the log did record the requests
  for (const secret of [keyBody(app.fcm.privateKey), keyBody(app.apns.privateKey), 'secretish']) expect(logged).not.toContain(secret);
});

test('deleted credentials fall back to the deployment default', async () => {
  const del = await fetch(`${loggingApi.url}/v1/settings/channels/fcm`, { method: 'DELETE', headers: admin });
  expect(del.status).toBe(204);
  expect((await fetch(`${loggingApi.url}/v1/settings/channels/fcm`, { method: 'DELETE', headers: admin })).status).toBe(404);
  const { id } = await push('after-delete', 'android');
  expect(h.push.pushes.find((p) => p.data.rota_message_id === id)?.project).toBe('rota-sim');
});
