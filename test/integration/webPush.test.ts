/**
 * The web push adapter against the web push simulator over real HTTP: VAPID JWTs the
 * simulator verifies as a push service does (signature under k, aud, exp, sub, and the key
 * the subscription was made with), aes128gcm payloads the simulated browser decrypts with
 * its own keys, the headers (TTL, Urgency, Topic), Topic collapse, every answer mapped to
 * its outcome kind, and no outcome carrying the VAPID private key.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateRequestDetails, getVapidHeaders } from 'web-push';
import { signJwt } from '../../lib/jwt';
import { receiptToken } from '../../lib/receiptTokens';
import type { PushChannelAdapter, PushMessage, PushSendOutcome } from '../../providers/channels';
import { createWebPushAdapter, generateVapidKeys, webPushTopic, type WebPushAdapterOptions } from '../../providers/webPush';
import { startWebPushSimulator, type SimSubscribeOptions, type WebPushSimulator, type WebPushSimulatorOptions, type WebPushSubscriptionJson } from '../../simulators/webPushSimulator';

const vapid = generateVapidKeys();
/** Another site's keys: what a wrong or stolen VAPID key looks like. */
const stranger = generateVapidKeys();
const SUBJECT = 'mailto:push@rota.example.com';
const RECEIPT_SECRET = 'web-push-test-receipt-secret';

async function until<T>(check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Rota's /v1/receipts as the simulated browsers see it.
const receipts: any[] = [];
let receiptServer: http.Server;
let receiptUrl: string;
beforeAll(async () => {
  receiptServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      receipts.push({ path: req.url, body: JSON.parse(body) });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiptServer.listen(0, '127.0.0.1', r));
  receiptUrl = `http://127.0.0.1:${(receiptServer.address() as AddressInfo).port}/v1/receipts`;
});
afterAll(async () => {
  receiptServer.closeAllConnections();
  await new Promise((r) => receiptServer.close(r));
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Every outcome a test saw, checked for the private key at the end. */
const outcomes: PushSendOutcome[] = [];
afterAll(() => {
  const all = JSON.stringify(outcomes);
  expect(outcomes.length).toBeGreaterThan(10);
  expect(all).not.toContain(vapid.privateKey);
  expect(all).not.toContain(stranger.privateKey);
});

function rotaData(messageId = randomUUID()) {
  return { rota_app_id: 'app_test', rota_message_id: messageId, rota_receipt_token: receiptToken(RECEIPT_SECRET, 'app_test', messageId) };
}

function push(subscription: WebPushSubscriptionJson, extra: Partial<PushMessage> = {}): PushMessage {
  return { token: subscription.endpoint, subscription, title: 'Siparişiniz yolda: İstanbul şubesi', body: 'Kargonuz bugün geliyor; ğ ı ş ö ç ü', data: rotaData(), ...extra };
}

async function fixture(simOpts: WebPushSimulatorOptions = {}) {
  const sim = await startWebPushSimulator({ receiptUrl, receiptDelayMs: 0, ...simOpts });
  cleanup.push(() => sim.close());
  const adapter = (opts: Partial<WebPushAdapterOptions> = {}): PushChannelAdapter => {
    const a = createWebPushAdapter({ vapid: { subject: SUBJECT, ...vapid }, ...opts });
    cleanup.push(() => a.close());
    const send = a.send.bind(a);
    return { ...a, provider: a.provider, send: async (m) => { const o = await send(m); outcomes.push(o); return o; } };
  };
  /** A subscription made with the site's key, as a browser's subscribe({applicationServerKey}) makes it. */
  const subscribe = (o: SimSubscribeOptions = {}) => sim.subscribe({ applicationServerKey: vapid.publicKey, ...o });
  return { sim, adapter, subscribe };
}

/** A push request as web-push makes it, with the VAPID header given, for requests the adapter would never send. */
async function rawPush(sim: WebPushSimulator, sub: WebPushSubscriptionJson, change: { headers?: Record<string, string | undefined>; payload?: string; exp?: number; subject?: string; audience?: string } = {}) {
  const details = generateRequestDetails(sub, change.payload ?? '{"data":{}}', { contentEncoding: 'aes128gcm', TTL: 60 });
  const exp = change.exp ?? Math.floor(Date.now() / 1000) + 3600;
  const auth = getVapidHeaders(change.audience ?? new URL(sim.url).origin, change.subject ?? SUBJECT, vapid.publicKey, vapid.privateKey, 'aes128gcm', exp);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...details.headers, Authorization: auth.Authorization, ...change.headers })) if (v !== undefined && k !== 'Content-Length') headers[k] = String(v);
  const res = await fetch(sub.endpoint, { method: 'POST', headers, body: details.body });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as any };
}

/** A VAPID JWT with the claims given, signed with the site's key: claims web-push would never make. */
function vapidJwt(claims: Record<string, unknown>): string {
  const pub = Buffer.from(vapid.publicKey, 'base64url');
  const key = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: vapid.privateKey, x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33).toString('base64url') }, format: 'jwk' });
  return signJwt({ alg: 'ES256', typ: 'JWT' }, claims, key);
}

describe('web push adapter and simulator', () => {
  test('a push arrives decrypted intact (Turkish text included), with TTL, Urgency and VAPID claims, and its browser sends a receipt', async () => {
    const { sim, adapter, subscribe } = await fixture();
    const sub = subscribe({ behaviour: 'delivers' });
    const data = rotaData();
    const outcome = await adapter().send(push(sub, { image: 'https://cdn.example.com/kargo.png', data, ttlSeconds: 3600 }));
    expect(outcome).toEqual({ ok: true, providerMessageId: expect.stringMatching(new RegExp(`^${sim.url}/m/[0-9a-f-]{36}$`)) });
    expect(sim.pushes).toHaveLength(1);
    expect(sim.pushes[0]).toMatchObject({
      endpoint: sub.endpoint,
      payload: { title: 'Siparişiniz yolda: İstanbul şubesi', body: 'Kargonuz bugün geliyor; ğ ı ş ö ç ü', image: 'https://cdn.example.com/kargo.png', data },
      data,
      ttl: 3600,
      urgency: 'high',
      vapid: { aud: new URL(sim.url).origin, sub: SUBJECT, k: vapid.publicKey },
    });
    expect(sim.pushes[0]!.topic).toBeUndefined();
    expect(sim.callsFor(data.rota_message_id)).toBe(1);
    const receipt = await until(() => receipts.find((r) => r.body.messageId === data.rota_message_id));
    expect(receipt).toEqual({ path: '/v1/receipts', body: { appId: 'app_test', messageId: data.rota_message_id, token: data.rota_receipt_token, status: 'delivered' } });
    await until(() => sim.pushes[0]!.receipt);
    expect(sim.pushes[0]!.deliveredAt).toBeDefined();
    const listed = (await (await fetch(`${sim.url}/sim/pushes?messageId=${data.rota_message_id}&endpoint=${encodeURIComponent(sub.endpoint)}`)).json()) as any;
    expect(listed.total).toBe(1);
    expect(listed.pushes[0].payload.body).toBe('Kargonuz bugün geliyor; ğ ı ş ö ç ü');
  });

  test('a silent push carries data only, at normal urgency; the default TTL is four weeks', async () => {
    const { sim, adapter, subscribe } = await fixture();
    const outcome = await adapter().send({ token: '', subscription: subscribe({ behaviour: 'silent' }), data: { rota_probe: '1' }, silent: true, title: 'not shown' });
    expect(outcome.ok).toBe(true);
    expect(sim.pushes[0]).toMatchObject({ payload: { data: { rota_probe: '1' } }, urgency: 'normal', ttl: 28 * 24 * 3600 });
    expect(Object.keys(sim.pushes[0]!.payload as object)).toEqual(['data']);
  });

  test('subscriptions over HTTP look like PushSubscription.toJSON(), and the VAPID JWT is reused across sends (one per push service)', async () => {
    const { sim, adapter } = await fixture();
    const res = await fetch(`${sim.url}/sim/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ behaviour: 'silent', applicationServerKey: vapid.publicKey }) });
    expect(res.status).toBe(201);
    const sub = (await res.json()) as WebPushSubscriptionJson;
    expect(sub).toEqual({ endpoint: expect.stringMatching(new RegExp(`^${sim.url}/push/sim-silent-[0-9a-f]+$`)), expirationTime: null, keys: { p256dh: expect.stringMatching(/^[A-Za-z0-9_-]{87}$/), auth: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) } });
    const a = adapter();
    for (let i = 0; i < 3; i++) expect((await a.send(push(sub))).ok).toBe(true);
    expect(new Set(sim.pushes.map((p) => p.vapid.exp)).size).toBe(1);
    const bad = await fetch(`${sim.url}/sim/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ applicationServerKey: 'not-a-key' }) });
    expect(bad.status).toBe(400);
  });

  test('a push signed with another VAPID key than the subscription was made with is 403: auth', async () => {
    const { sim, adapter, subscribe } = await fixture();
    const outcome = await adapter({ vapid: { subject: SUBJECT, ...stranger } }).send(push(subscribe()));
    expect(outcome).toMatchObject({ ok: false, kind: 'auth', status: 403, code: 'VapidPkHashMismatch' });
    expect(sim.pushes).toHaveLength(0);
    // A subscription made without an applicationServerKey takes any valid VAPID signature.
    expect((await adapter({ vapid: { subject: SUBJECT, ...stranger } }).send(push(sim.subscribe()))).ok).toBe(true);
  });

  test('the simulator checks the JWT as a push service does: exp in the future and within 24 h, aud its origin, sub mailto: or https:', async () => {
    const { sim, subscribe } = await fixture();
    const sub = subscribe({ behaviour: 'silent' });
    const t = Math.floor(Date.now() / 1000);
    expect(await rawPush(sim, sub)).toMatchObject({ status: 201 });
    expect(await rawPush(sim, sub, { exp: t - 10 })).toMatchObject({ status: 401, body: { reason: 'ExpiredJwt' } });
    expect(await rawPush(sim, sub, { audience: 'https://fcm.googleapis.com' })).toMatchObject({ status: 401, body: { reason: 'BadAudience' } });
    expect(await rawPush(sim, sub, { headers: { Authorization: undefined } })).toMatchObject({ status: 401, body: { reason: 'MissingVapid' } });
    expect(await rawPush(sim, sub, { headers: { Authorization: `vapid t=e30.e30.AAAA, k=${vapid.publicKey}` } })).toMatchObject({ status: 401, body: { reason: 'BadJwtToken' } });
    // Signed with the right key but claiming another one's k.
    expect(await rawPush(sim, sub, { headers: { Authorization: `vapid t=${vapidJwt({ aud: new URL(sim.url).origin, exp: t + 60, sub: SUBJECT })}, k=${stranger.publicKey}` } })).toMatchObject({ status: 401, body: { reason: 'BadJwtToken' } });
    expect(await rawPush(sim, sub, { headers: { Authorization: `vapid t=${vapidJwt({ aud: new URL(sim.url).origin, exp: t + 60, sub: 'push@rota.example.com' })}, k=${vapid.publicKey}` } })).toMatchObject({ status: 401, body: { reason: 'BadSubject' } });
    expect(await rawPush(sim, sub, { headers: { Authorization: `vapid t=${vapidJwt({ aud: new URL(sim.url).origin, sub: SUBJECT })}, k=${vapid.publicKey}` } })).toMatchObject({ status: 401, body: { reason: 'ExpiredJwt' } });
    expect(await rawPush(sim, sub, { headers: { Authorization: `vapid t=${vapidJwt({ aud: new URL(sim.url).origin, exp: t + 60, sub: SUBJECT })}, k=${vapid.publicKey}` } })).toMatchObject({ status: 201 });
    // web-push refuses a subject that is not mailto:/https: and an exp beyond 24 h, so those two are checked on a simulator whose clock is behind.
    const behind = await startWebPushSimulator({ now: () => Date.now() - 2 * 24 * 3600_000 });
    cleanup.push(() => behind.close());
    const late = behind.subscribe({ behaviour: 'silent' });
    expect(await rawPush(behind, late)).toMatchObject({ status: 401, body: { reason: 'BadExpiration' } });
  });

  test('the simulator wants a TTL, a valid Topic and Urgency, aes128gcm and at most 4096 bytes', async () => {
    const { sim, subscribe } = await fixture();
    const sub = subscribe({ behaviour: 'silent' });
    expect(await rawPush(sim, sub, { headers: { TTL: undefined } })).toMatchObject({ status: 400, body: { reason: 'MissingTTL' } });
    expect(await rawPush(sim, sub, { headers: { Topic: 'not a topic!' } })).toMatchObject({ status: 400, body: { reason: 'BadTopic' } });
    expect(await rawPush(sim, sub, { headers: { Urgency: 'urgent' } })).toMatchObject({ status: 400, body: { reason: 'BadUrgency' } });
    expect(await rawPush(sim, sub, { headers: { 'Content-Encoding': 'aesgcm' } })).toMatchObject({ status: 400, body: { reason: 'BadEncoding' } });
    expect(await rawPush(sim, sub, { payload: 'x'.repeat(5000) })).toMatchObject({ status: 413, body: { reason: 'PayloadTooLarge' } });
    // Encrypted to another browser's keys: this one cannot read it.
    const other = subscribe({ behaviour: 'silent' });
    expect(await rawPush(sim, { ...sub, keys: other.keys })).toMatchObject({ status: 400, body: { reason: 'UndecryptablePayload' } });
    expect(sim.pushes).toHaveLength(0);
  });

  test('a 410 subscription and one the service never made (404) are unregistered', async () => {
    const { sim, adapter, subscribe } = await fixture();
    expect(await adapter().send(push(subscribe({ behaviour: 'unregistered' })))).toMatchObject({ ok: false, kind: 'unregistered', status: 410, code: 'Unregistered' });
    const gone = { ...subscribe(), endpoint: `${sim.url}/push/sim-delivers-never-made` };
    expect(await adapter().send(push(gone))).toMatchObject({ ok: false, kind: 'unregistered', status: 404, code: 'NotFound' });
    expect(await adapter().send(push(subscribe({ behaviour: 'invalid' })))).toMatchObject({ ok: false, kind: 'invalid', status: 400 });
  });

  test('429 with Retry-After is rate_limited with retryAfterMs; 503 and 500 are unavailable; a dead endpoint is unreachable', async () => {
    const { sim, adapter, subscribe } = await fixture();
    const a = adapter();
    const sub = subscribe({ behaviour: 'silent' });
    sim.fail({ status: 429, count: 1, retryAfterSeconds: 7 });
    expect(await a.send(push(sub))).toMatchObject({ ok: false, kind: 'rate_limited', status: 429, retryAfterMs: 7000 });
    const faults = await fetch(`${sim.url}/sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 503, count: 1, retryAfterSeconds: 2 }) });
    expect(faults.status).toBe(200);
    expect(await a.send(push(sub))).toMatchObject({ ok: false, kind: 'unavailable', status: 503, retryAfterMs: 2000 });
    sim.fail({ status: 500, count: 1 });
    expect(await a.send(push(sub))).toMatchObject({ ok: false, kind: 'unavailable', status: 500 });
    expect(await a.send(push(subscribe({ behaviour: 'throttled' })))).toMatchObject({ ok: false, kind: 'rate_limited', status: 429 });
    expect((await a.send(push(sub))).ok).toBe(true);
    const closed = await startWebPushSimulator();
    const dead = closed.subscribe();
    await closed.close();
    expect(await a.send(push(dead))).toMatchObject({ ok: false, kind: 'unavailable', status: 0, code: 'unreachable' });
  });

  test('Topic collapse: a later push with the same collapse id replaces one still waiting for the browser', async () => {
    const { sim, adapter, subscribe } = await fixture();
    const a = adapter();
    const offline = subscribe({ behaviour: 'silent' });
    const first = rotaData();
    const second = rotaData();
    expect((await a.send(push(offline, { collapseId: 'order-42', body: 'Hazırlanıyor', data: first }))).ok).toBe(true);
    expect((await a.send(push(offline, { collapseId: 'order-42', body: 'Yolda', data: second }))).ok).toBe(true);
    expect(sim.pushes).toHaveLength(1);
    expect(sim.pushes[0]).toMatchObject({ topic: 'order-42', payload: { body: 'Yolda', tag: 'order-42', data: second } });
    expect(sim.stats.collapsed).toBe(1);
    expect(sim.callsFor(first.rota_message_id)).toBe(1);
    // Another topic, or another browser, is not replaced.
    expect((await a.send(push(offline, { collapseId: 'order-43' }))).ok).toBe(true);
    expect((await a.send(push(subscribe({ behaviour: 'silent' }), { collapseId: 'order-42' }))).ok).toBe(true);
    expect(sim.pushes).toHaveLength(3);
    // An id that is not a valid Topic goes as a stable 32-character digest: it still collapses.
    const long = 'kampanya:Ekim indirimi/İstanbul & Ankara — 2025';
    expect(webPushTopic(long)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await a.send(push(offline, { collapseId: long, body: 'bir' }))).ok).toBe(true);
    expect((await a.send(push(offline, { collapseId: long, body: 'iki' }))).ok).toBe(true);
    expect(sim.pushes.filter((p) => p.topic === webPushTopic(long)).map((p) => (p.payload as any).body)).toEqual(['iki']);
    expect(sim.stats.collapsed).toBe(2);
  });

  test('a delivered push is not replaced: the browser already has it', async () => {
    const { sim, adapter, subscribe } = await fixture({ receiptDelayMs: 0 });
    const online = subscribe({ behaviour: 'delivers', delayMs: 0 });
    const a = adapter();
    expect((await a.send(push(online, { collapseId: 'score' }))).ok).toBe(true);
    await until(() => sim.pushes[0]!.deliveredAt);
    expect((await a.send(push(online, { collapseId: 'score' }))).ok).toBe(true);
    expect(sim.pushes).toHaveLength(2);
    expect(sim.stats.collapsed).toBe(0);
  });

  test('what can never be sent is invalid before any request: no keys, bad keys, a payload over 4096 bytes encrypted', async () => {
    const { sim, adapter, subscribe } = await fixture();
    const a = adapter();
    const sub = subscribe();
    expect(await a.send({ token: sub.endpoint, data: {} })).toMatchObject({ ok: false, kind: 'invalid', code: 'no_subscription_keys' });
    expect(await a.send(push({ ...sub, keys: { p256dh: 'AAAA', auth: sub.keys.auth } }))).toMatchObject({ ok: false, kind: 'invalid', code: 'bad_subscription_keys', status: 0 });
    expect(await a.send(push(sub, { body: 'ş'.repeat(2100) }))).toMatchObject({ ok: false, kind: 'invalid', code: 'payload_too_large' });
    expect(await a.send(push(sub, { token: 'not a url', subscription: undefined }))).toMatchObject({ ok: false, kind: 'invalid', code: 'bad_endpoint' });
    expect(sim.stats.pushCalls).toBe(0);
  });

  test('VAPID settings that cannot sign are refused when the adapter is made, without the private key in the message', () => {
    const make = (v: Partial<WebPushAdapterOptions['vapid']>) => () => createWebPushAdapter({ vapid: { subject: SUBJECT, ...vapid, ...v } });
    for (const [v, words] of [
      [{ subject: 'push@rota.example.com' }, /subject/],
      [{ publicKey: stranger.publicKey }, /not the private key's/],
      [{ privateKey: vapid.privateKey.slice(0, 20) }, /32 bytes/],
      [{ publicKey: 'short' }, /65 bytes/],
    ] as const) {
      expect(make(v)).toThrow(words);
      try {
        make(v)();
      } catch (err) {
        expect(String(err)).not.toContain(vapid.privateKey.slice(0, 20));
      }
    }
  });

  test('the VAPID JWT is signed with the adapter clock: a clock two days behind the service is refused (auth)', async () => {
    const { sim, adapter, subscribe } = await fixture();
    const outcome = await adapter({ now: () => Date.now() - 2 * 24 * 3600_000 }).send(push(subscribe()));
    expect(outcome).toMatchObject({ ok: false, kind: 'auth', status: 401, code: 'ExpiredJwt' });
    expect(sim.pushes).toHaveLength(0);
  });
});
