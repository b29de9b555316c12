/**
 * Web push devices on profiles: a browser registers its PushSubscription as a device with
 * platform web, the endpoint URL as its token and the keys in `webPush`; what is wrong is a
 * 400 naming the field, and the stored device keeps its keys through registration, moving
 * to another profile and deletion by token.
 */
import { startWebPushSimulator, type WebPushSimulator, type WebPushSubscriptionJson } from '../../simulators/webPushSimulator';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let sim: WebPushSimulator;
beforeAll(async () => {
  h = await startHarness('webPushDevices', { worker: false });
  sim = await startWebPushSimulator();
});
afterAll(async () => {
  await sim?.close();
  await h?.close();
});

/** A device as a site's script would register it from `subscription.toJSON()`. */
function webDevice(sub: WebPushSubscriptionJson, extra: Record<string, unknown> = {}) {
  return { token: sub.endpoint, platform: 'web', webPush: sub.keys, locale: 'tr-TR', ...extra };
}

async function stored(externalId: string) {
  return (await h.db.profiles.findOne({ appId: 'demo', externalId }).lean())?.devices ?? [];
}

test('a browser subscription registers as a web device and keeps its keys (upsert and the devices endpoint)', async () => {
  const sub = sim.subscribe({ behaviour: 'silent' });
  const created = await h.call('POST', '/v1/profiles', { externalId: 'web-ayse', devices: [webDevice(sub)] });
  expect(created.status).toBe(201);
  expect(created.body.devices).toMatchObject([{ token: sub.endpoint, platform: 'web', webPush: sub.keys, pushEnabled: true }]);
  expect(await stored('web-ayse')).toMatchObject([{ token: sub.endpoint, platform: 'web', webPush: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } }]);

  const second = sim.subscribe();
  const added = await h.call('POST', '/v1/profiles/web-ayse/devices', webDevice(second, { pushEnabled: false }));
  expect(added.status).toBe(200);
  expect(added.body.devices).toHaveLength(2);
  const profile = await h.db.profiles.findOne({ appId: 'demo', externalId: 'web-ayse' }).lean();
  expect(profile!.deviceTags).toEqual(expect.arrayContaining(['platform:web', 'push:web', 'nopush:web']));
  // A device without keys stores none (no empty webPush on other platforms).
  await h.call('POST', '/v1/profiles/web-ayse/devices', { token: 'sim-silent-ios-ayse', platform: 'ios' });
  expect((await stored('web-ayse')).find((d) => d.platform === 'ios')).not.toHaveProperty('webPush');
});

test('padding on the keys is accepted and dropped: the stored keys are what toJSON() gives', async () => {
  const sub = sim.subscribe();
  const padded = { p256dh: `${sub.keys.p256dh}=`, auth: `${sub.keys.auth}==` };
  expect((await h.call('POST', '/v1/profiles', { externalId: 'web-padded', devices: [{ ...webDevice(sub), webPush: padded }] })).status).toBe(201);
  expect((await stored('web-padded'))[0]!.webPush).toEqual(sub.keys);
});

test('the endpoint is the token: it moves to the profile that registers it last, and deletes by token, keys and all', async () => {
  const sub = sim.subscribe();
  await h.call('POST', '/v1/profiles', { externalId: 'web-first', devices: [webDevice(sub)] });
  await h.call('POST', '/v1/profiles', { externalId: 'web-second', devices: [webDevice(sub)] });
  expect(await stored('web-first')).toEqual([]);
  expect(await stored('web-second')).toMatchObject([{ token: sub.endpoint, webPush: sub.keys }]);
  expect((await h.call('DELETE', `/v1/profiles/web-second/devices/${encodeURIComponent(sub.endpoint)}`)).status).toBe(204);
  expect(await stored('web-second')).toEqual([]);
});

const sub = () => sim.subscribe();
const cases: [string, string, () => unknown][] = [
  ['no keys', 'webPush.p256dh', () => ({ token: sub().endpoint, platform: 'web' })],
  ['no auth', 'webPush.auth', () => ({ ...webDevice(sub()), webPush: { p256dh: sub().keys.p256dh } })],
  ['p256dh of the wrong length', 'webPush.p256dh', () => ({ ...webDevice(sub()), webPush: { ...sub().keys, p256dh: sub().keys.p256dh.slice(0, 80) } })],
  ['p256dh not on the curve', 'webPush.p256dh', () => ({ ...webDevice(sub()), webPush: { ...sub().keys, p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url') } })],
  ['p256dh not base64url', 'webPush.p256dh', () => ({ ...webDevice(sub()), webPush: { ...sub().keys, p256dh: `${sub().keys.p256dh.slice(0, 86)}+` } })],
  ['auth of 12 bytes', 'webPush.auth', () => ({ ...webDevice(sub()), webPush: { ...sub().keys, auth: Buffer.alloc(12, 1).toString('base64url') } })],
  ['an unknown key field', 'webPush', () => ({ ...webDevice(sub()), webPush: { ...sub().keys, expirationTime: null } })],
  ['a token that is not a URL', 'token', () => ({ ...webDevice(sub()), token: 'sim-delivers-browser' })],
  ['a plain http endpoint elsewhere', 'token', () => ({ ...webDevice(sub()), token: 'http://push.example.com/push/abc' })],
  ['keys on an ios device', 'webPush', () => ({ ...webDevice(sub()), platform: 'ios', token: 'sim-silent-ios' })],
];

test.each(cases)('a web device with %s is a 400 naming %s, and nothing is written', async (_name, path, device) => {
  const before = await h.db.profiles.countDocuments({ appId: 'demo' });
  const upsert = await h.call('POST', '/v1/profiles', { externalId: 'web-bad', devices: [device()] });
  expect(upsert.status).toBe(400);
  expect(upsert.body.error.details.map((d: { path: string }) => d.path)).toContain(`body.devices.0.${path}`);
  expect(await h.db.profiles.countDocuments({ appId: 'demo' })).toBe(before);
  await h.call('POST', '/v1/profiles', { externalId: 'web-existing' });
  const endpoint = await h.call('POST', '/v1/profiles/web-existing/devices', device());
  expect(endpoint.status).toBe(400);
  expect(endpoint.body.error.details.map((d: { path: string }) => d.path)).toContain(`body.${path}`);
  expect(await stored('web-existing')).toEqual([]);
});

test('an https endpoint and a localhost one are endpoints', async () => {
  const keys = sim.subscribe().keys;
  for (const token of ['https://fcm.googleapis.com/fcm/send/abc:def', 'http://localhost:4013/push/sim-delivers-x']) {
    expect((await h.call('POST', '/v1/profiles', { externalId: 'web-hosts', devices: [{ token, platform: 'web', webPush: keys }] })).status).toBeLessThan(300);
  }
  expect((await stored('web-hosts')).map((d) => d.token)).toHaveLength(2);
});
