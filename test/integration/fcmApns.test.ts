/**
 * The FCM HTTP v1 and APNs channel adapters against their simulators, over real HTTP and
 * real HTTP/2 (h2c): the payloads and headers each provider receives, the credentials
 * (service-account JWT → access token, cached and refreshed; ES256 provider token, reused
 * and refreshed within the hour), every provider error mapped to its outcome kind, and the
 * devices' receipts. Clocks are injected where time matters; nothing waits on real time
 * except a receipt's arrival.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt, privateKeyOf, signJwt } from '../../lib/jwt';
import { receiptToken } from '../../lib/receiptTokens';
import { apnsCollapseId, createApnsAdapter, createHttp2SessionPool, uuidFrom, type ApnsAdapterOptions } from '../../providers/apns';
import type { PushChannelAdapter, PushMessage } from '../../providers/channels';
import { createFcmAdapter, FCM_SCOPE, JWT_BEARER_GRANT, type FcmAdapterOptions } from '../../providers/fcm';
import { startApnsSimulator, type ApnsSimulatorOptions } from '../../simulators/apnsSimulator';
import { startFcmSimulator, type FcmSimulator, type FcmSimulatorOptions } from '../../simulators/fcmSimulator';
import { generateSimPushCredentials, simApnsKey, simFcmAccount, simServiceAccount } from '../../simulators/pushCredentials';

const creds = generateSimPushCredentials('rota-test');
/** Keys nobody configured in a simulator: what a wrong or stolen credential looks like. */
const stranger = generateSimPushCredentials('rota-test');
const RECEIPT_SECRET = 'fcm-apns-test-receipt-secret';
const BUNDLE = creds.apns.bundleId;

type Clock = { now: () => number; advance(ms: number): void };
function fakeClock(start = Date.now()): Clock {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

async function until<T>(check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Rota's /v1/receipts as the simulated devices see it: a real HTTP server that keeps what it is sent.
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

// Every simulator and adapter a test starts is closed after it.
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function rotaData(messageId = randomUUID()) {
  return { rota_app_id: 'app_test', rota_message_id: messageId, rota_receipt_token: receiptToken(RECEIPT_SECRET, 'app_test', messageId) };
}

function push(token: string, extra: Partial<PushMessage> = {}): PushMessage {
  return { token, title: 'Siparişiniz yolda', body: 'Kargo bugün geliyor', data: rotaData(), ...extra };
}

// ---------------------------------------------------------------------------------------
// FCM HTTP v1
// ---------------------------------------------------------------------------------------

async function fcmFixture(sim: Partial<FcmSimulatorOptions> = {}) {
  const simClock = fakeClock();
  const fcm = await startFcmSimulator({ accounts: [simFcmAccount(creds)], receiptUrl, receiptDelayMs: 0, accessTokenTtlSeconds: 600, now: simClock.now, ...sim });
  cleanup.push(() => fcm.close());
  const adapter = (opts: Partial<FcmAdapterOptions> = {}): PushChannelAdapter => {
    const a = createFcmAdapter({ baseUrl: fcm.url, serviceAccount: simServiceAccount(creds, fcm.tokenUrl), ...opts });
    cleanup.push(() => a.close());
    return a;
  };
  return { fcm, simClock, adapter };
}

/** An access token straight from the simulator's token endpoint, for requests the adapter would never make. */
async function rawAccessToken(fcm: FcmSimulator): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  const assertion = signJwt({ alg: 'RS256', typ: 'JWT' }, { iss: creds.fcm.clientEmail, scope: FCM_SCOPE, aud: fcm.tokenUrl, iat, exp: iat + 3600 }, privateKeyOf(creds.fcm.privateKey));
  const res = await fetch(fcm.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString() });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('FCM HTTP v1 adapter and simulator', () => {
  test('a push goes out as a v1 message (notification, data, android collapse key, ttl, priority) and its device sends a receipt', async () => {
    const { fcm, adapter } = await fcmFixture();
    const data = rotaData();
    const outcome = await adapter().send(push('sim-delivers-0ms-a', { image: 'https://cdn.example.com/kargo.png', data, collapseId: data.rota_message_id, ttlSeconds: 3600, idempotencyKey: 'delivery-1' }));
    expect(outcome).toEqual({ ok: true, providerMessageId: expect.stringMatching(/^projects\/rota-test\/messages\/[0-9a-f-]{36}$/) });
    expect(fcm.pushes).toHaveLength(1);
    expect(fcm.pushes[0]).toMatchObject({
      name: (outcome as { providerMessageId: string }).providerMessageId,
      project: 'rota-test',
      token: 'sim-delivers-0ms-a',
      notification: { title: 'Siparişiniz yolda', body: 'Kargo bugün geliyor', image: 'https://cdn.example.com/kargo.png' },
      data,
      android: { collapse_key: data.rota_message_id, ttl: '3600s', priority: 'high', notification: { tag: data.rota_message_id } },
      idempotencyKey: 'delivery-1',
    });
    const receipt = await until(() => receipts.find((r) => r.body.messageId === data.rota_message_id));
    expect(receipt).toEqual({ path: '/v1/receipts', body: { appId: 'app_test', messageId: data.rota_message_id, token: data.rota_receipt_token, status: 'delivered' } });
    await until(() => fcm.pushes[0]!.receipt);
    expect(fcm.pushes[0]!.receipt).toMatchObject({ status: 'delivered', httpStatus: 202 });
    // What npm run dev shows a person: the same, over HTTP.
    const listed = (await (await fetch(`${fcm.url}/sim/pushes?messageId=${data.rota_message_id}`)).json()) as any;
    expect(listed.total).toBe(1);
  });

  test('a silent push carries data only: no notification, normal priority', async () => {
    const { fcm, adapter } = await fcmFixture();
    const outcome = await adapter().send({ token: 'sim-silent-probe', data: { rota_probe: '1' }, silent: true });
    expect(outcome.ok).toBe(true);
    expect(fcm.pushes[0]!.notification).toBeUndefined();
    expect(fcm.pushes[0]!.data).toEqual({ rota_probe: '1' });
    expect(fcm.pushes[0]!.android).toEqual({ priority: 'normal', ttl: '2419200s' });
  });

  test('one access token serves many sends, concurrent ones included: one token request', async () => {
    const { fcm, adapter } = await fcmFixture();
    const a = adapter();
    const concurrent = await Promise.all(Array.from({ length: 25 }, (_, i) => a.send(push(`sim-silent-many-${i}`))));
    for (let i = 0; i < 5; i++) concurrent.push(await a.send(push(`sim-silent-more-${i}`)));
    expect(concurrent.every((o) => o.ok)).toBe(true);
    expect(fcm.pushes).toHaveLength(30);
    expect(fcm.stats).toMatchObject({ tokenRequests: 1, tokensIssued: 1, sendCalls: 30 });
  });

  test('the token is fetched again shortly before it expires (not on every send, and with no refused send)', async () => {
    const { fcm, simClock, adapter } = await fcmFixture({ accessTokenTtlSeconds: 600 });
    const clock = fakeClock(simClock.now());
    const a = adapter({ now: clock.now, refreshMarginMs: 60_000 });
    expect((await a.send(push('sim-silent-r1'))).ok).toBe(true);
    clock.advance(500_000);
    simClock.advance(500_000);
    expect((await a.send(push('sim-silent-r2'))).ok).toBe(true);
    expect(fcm.stats.tokenRequests).toBe(1); // 500 s of 600: still the first token
    clock.advance(50_000);
    simClock.advance(50_000);
    expect((await a.send(push('sim-silent-r3'))).ok).toBe(true);
    expect(fcm.stats.tokenRequests).toBe(2); // 550 s: inside the last minute, so a new one
    expect(fcm.stats.answers.UNAUTHENTICATED).toBeUndefined();
  });

  test('an access token the simulator calls expired is refused (401); the adapter fetches a new one and the push goes', async () => {
    const { fcm, simClock, adapter } = await fcmFixture({ accessTokenTtlSeconds: 600 });
    const clock = fakeClock(simClock.now());
    const a = adapter({ now: clock.now });
    expect((await a.send(push('sim-silent-e1'))).ok).toBe(true);
    simClock.advance(700_000); // the provider's clock has passed the token's expiry; the adapter's has not
    expect(await a.send(push('sim-silent-e2'))).toMatchObject({ ok: true });
    expect(fcm.stats.answers.UNAUTHENTICATED).toBe(1);
    expect(fcm.stats.tokenRequests).toBe(2);
    expect(fcm.pushes.map((p) => p.token)).toEqual(['sim-silent-e1', 'sim-silent-e2']);
  });

  test('a 401 after a fresh token is auth: refreshed once, then given up', async () => {
    const { fcm, adapter } = await fcmFixture();
    fcm.fail({ status: 401, count: 2 });
    expect(await adapter().send(push('sim-silent-401'))).toMatchObject({ ok: false, kind: 'auth', status: 401, code: 'THIRD_PARTY_AUTH_ERROR' });
    expect(fcm.stats.tokenRequests).toBe(2);
    expect(fcm.pushes).toHaveLength(0);
  });

  test('a JWT signed with another key is refused by the token endpoint: auth, and no send is attempted', async () => {
    const { fcm, adapter } = await fcmFixture();
    const forged = { ...simServiceAccount(creds, fcm.tokenUrl), private_key: stranger.fcm.privateKey };
    expect(await adapter({ serviceAccount: forged }).send(push('sim-delivers-0ms-forged'))).toMatchObject({ ok: false, kind: 'auth', status: 400, code: 'invalid_grant', message: 'Invalid JWT Signature.' });
    expect(fcm.stats.tokenRefusals).toEqual({ 'Invalid JWT Signature.': 1 });
    expect(fcm.stats.sendCalls).toBe(0);
  });

  test('an expired JWT (the adapter clock two hours behind) is refused by the token endpoint', async () => {
    const { fcm, simClock, adapter } = await fcmFixture();
    const outcome = await adapter({ now: () => simClock.now() - 2 * 3600_000 }).send(push('sim-silent-late'));
    expect(outcome).toMatchObject({ ok: false, kind: 'auth', code: 'invalid_grant', message: expect.stringContaining('short-lived token (60 minutes)') });
    expect(fcm.stats.tokensIssued).toBe(0);
  });

  test.each([
    ['a dead token', 'sim-unregistered-x', undefined, { kind: 'unregistered', code: 'UNREGISTERED', status: 404 }],
    ['an invalid token', 'sim-invalid-x', undefined, { kind: 'invalid', code: 'INVALID_ARGUMENT', status: 400 }],
    ['a device over its rate', 'sim-throttled-x', undefined, { kind: 'rate_limited', code: 'QUOTA_EXCEEDED', status: 429 }],
    ['429 with Retry-After', 'sim-silent-x', { status: 429, retryAfterSeconds: 7 }, { kind: 'rate_limited', code: 'QUOTA_EXCEEDED', status: 429, retryAfterMs: 7000 }],
    ['503 with Retry-After', 'sim-silent-x', { status: 503, retryAfterSeconds: 2 }, { kind: 'unavailable', code: 'UNAVAILABLE', status: 503, retryAfterMs: 2000 }],
    ['500', 'sim-silent-x', { status: 500 }, { kind: 'unavailable', code: 'INTERNAL', status: 500 }],
  ] as const)('FCM %s → %j', async (_what, token, fault, expected) => {
    const { fcm, adapter } = await fcmFixture();
    if (fault) fcm.fail({ count: 1, ...fault });
    const a = adapter();
    const outcome = await a.send(push(token));
    expect(outcome).toEqual({ ok: false, message: expect.any(String), retryAfterMs: undefined, ...expected });
    expect(fcm.pushes).toHaveLength(0);
    // A fault lasts for its count only: the next send goes.
    if (fault) expect((await a.send(push(token))).ok).toBe(true);
  });

  test('the simulator refuses what FCM refuses: no or unknown bearer, another project, malformed messages', async () => {
    const { fcm } = await fcmFixture();
    const send = async (body: unknown, bearer?: string, project = 'rota-test') => {
      const res = await fetch(`${fcm.url}/v1/projects/${project}/messages:send`, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify(body) });
      return { status: res.status, error: ((await res.json()) as any).error };
    };
    const ok = { message: { token: 'sim-silent-raw', data: { a: 'b' } } };
    expect(await send(ok)).toMatchObject({ status: 401, error: { status: 'UNAUTHENTICATED' } });
    expect(await send(ok, 'ya29.not-issued')).toMatchObject({ status: 401, error: { status: 'UNAUTHENTICATED' } });
    const bearer = await rawAccessToken(fcm);
    expect(await send(ok, bearer, 'another-project')).toMatchObject({ status: 403, error: { status: 'PERMISSION_DENIED' } });
    for (const [bad, says] of [
      [{ message: { token: 'sim-silent-raw', data: { n: 1 } } }, 'TYPE_STRING'],
      [{ message: { token: 'sim-silent-raw', badge: 1 } }, 'Unknown name "badge"'],
      [{ message: { data: { a: 'b' } } }, 'Exactly one of'],
      [{ message: { token: 'sim-silent-raw', android: { ttl: '1h' } } }, 'message.android.ttl'],
      [{ message: { token: 'sim-silent-raw', android: { priority: 'urgent' } } }, 'message.android.priority'],
      [{ message: { token: 'sim-silent-raw', notification: { title: 'x', subtitle: 'y' } } }, 'Unknown name "subtitle"'],
      [{ message: { token: 'sim-silent-raw', data: { 'google.x': 'y' } } }, 'google.x'],
      [{ message: { token: 'sim-silent-raw', data: { big: 'x'.repeat(5000) } } }, 'too big'],
    ] as const) {
      const answer = await send(bad, bearer);
      expect(answer).toMatchObject({ status: 400, error: { status: 'INVALID_ARGUMENT' } });
      expect(answer.error.message).toContain(says);
    }
    expect(await send(ok, bearer)).toMatchObject({ status: 200 });
  });

  test('the token endpoint checks the audience, the lifetime and the scope', async () => {
    const { fcm } = await fcmFixture();
    const key = privateKeyOf(creds.fcm.privateKey);
    const exchange = async (claims: Record<string, unknown>) => {
      const iat = Math.floor(Date.now() / 1000);
      const assertion = signJwt({ alg: 'RS256', typ: 'JWT' }, { iss: creds.fcm.clientEmail, scope: FCM_SCOPE, aud: fcm.tokenUrl, iat, exp: iat + 3600, ...claims }, key);
      const res = await fetch(fcm.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString() });
      return { status: res.status, body: (await res.json()) as any };
    };
    expect(await exchange({})).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 600 } });
    expect((await exchange({ aud: 'https://oauth2.googleapis.com/token' })).body.error_description).toBe('Invalid JWT: Failed audience check.');
    expect((await exchange({ exp: Math.floor(Date.now() / 1000) + 7200 })).body.error).toBe('invalid_grant');
    expect((await exchange({ scope: '' })).body.error).toBe('invalid_scope');
    expect((await exchange({ iss: 'nobody@example.iam.gserviceaccount.com' })).body.error_description).toBe('Invalid grant: account not found');
  });

  test('a 404 that is not FCM\'s (a wrong address, a proxy) is not a dead token', async () => {
    const { fcm, adapter } = await fcmFixture();
    const proxy = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => proxy.close(() => r())));
    const outcome = await adapter({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, serviceAccount: simServiceAccount(creds, fcm.tokenUrl) }).send(push('sim-delivers-0ms-proxy'));
    expect(outcome).toMatchObject({ ok: false, kind: 'invalid', code: 'http_404', status: 404 });
  });

  test('an unreachable provider is unavailable (status 0), never a throw', async () => {
    const { adapter } = await fcmFixture();
    const closed = await startFcmSimulator({ accounts: [simFcmAccount(creds)] });
    await closed.close();
    const outcome = await adapter({ baseUrl: closed.url, serviceAccount: simServiceAccount(creds, closed.tokenUrl) }).send(push('sim-silent-nowhere'));
    expect(outcome).toMatchObject({ ok: false, kind: 'unavailable', code: 'unreachable', status: 0 });
  });

  test('the adapter keeps its credentials out of what it returns', async () => {
    const { adapter } = await fcmFixture();
    const a = adapter();
    const seen = JSON.stringify({ a, outcome: await a.send(push('sim-invalid-x')) });
    expect(seen).not.toContain('PRIVATE KEY');
    expect(seen).not.toContain('ya29.');
  });
});

// ---------------------------------------------------------------------------------------
// APNs
// ---------------------------------------------------------------------------------------

async function apnsFixture(sim: Partial<ApnsSimulatorOptions> = {}) {
  const clock = fakeClock();
  const apns = await startApnsSimulator({ keys: [simApnsKey(creds)], bundleIds: [BUNDLE], receiptUrl, receiptDelayMs: 0, now: clock.now, ...sim });
  cleanup.push(() => apns.close());
  const adapter = (opts: Partial<ApnsAdapterOptions> = {}): PushChannelAdapter => {
    const a = createApnsAdapter({ baseUrl: apns.url, keyId: creds.apns.keyId, teamId: creds.apns.teamId, privateKey: creds.apns.privateKey, bundleId: BUNDLE, now: clock.now, ...opts });
    cleanup.push(() => a.close());
    return a;
  };
  return { apns, clock, adapter };
}

/** One raw HTTP/2 request to the simulator, for what the adapter never sends. */
async function h2(url: string, headers: http2.OutgoingHttpHeaders, body = ''): Promise<{ status: number; body: any }> {
  const session = http2.connect(url);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ...headers });
      let status = 0;
      let text = '';
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', () => resolve({ status, body: text ? JSON.parse(text) : undefined }));
      stream.on('error', reject);
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

describe('APNs adapter and simulator (HTTP/2)', () => {
  test('an alert push carries apns-topic, push type, priority 10, expiration and collapse id; its device sends a receipt', async () => {
    const { apns, clock, adapter } = await apnsFixture();
    const data = rotaData();
    const outcome = await adapter().send(push('sim-delivers-0ms-ios', { data, collapseId: data.rota_message_id, ttlSeconds: 3600, idempotencyKey: 'delivery-ios-1' }));
    expect(outcome).toEqual({ ok: true, providerMessageId: uuidFrom('delivery-ios-1') });
    expect(apns.pushes).toHaveLength(1);
    expect(apns.pushes[0]).toMatchObject({
      apnsId: uuidFrom('delivery-ios-1'),
      token: 'sim-delivers-0ms-ios',
      topic: BUNDLE,
      pushType: 'alert',
      priority: 10,
      collapseId: data.rota_message_id,
      expiration: Math.floor(clock.now() / 1000) + 3600,
      payload: { aps: { alert: { title: 'Siparişiniz yolda', body: 'Kargo bugün geliyor' }, sound: 'default' }, ...data },
      providerToken: { kid: creds.apns.keyId, iss: creds.apns.teamId, iat: Math.floor(clock.now() / 1000) },
    });
    const receipt = await until(() => receipts.find((r) => r.body.messageId === data.rota_message_id));
    expect(receipt.body).toEqual({ appId: 'app_test', messageId: data.rota_message_id, token: data.rota_receipt_token, status: 'delivered' });
    // The listing answers plain HTTP/1.1 on the same port (curl without flags, fetch here).
    const listed = (await (await fetch(`${apns.url}/sim/pushes?messageId=${data.rota_message_id}`)).json()) as any;
    expect(listed).toMatchObject({ total: 1, pushes: [{ collapseId: data.rota_message_id, pushType: 'alert' }] });
  });

  test('a silent push is a background push: apns-push-type background, priority 5, content-available, no alert', async () => {
    const { apns, adapter } = await apnsFixture();
    expect((await adapter().send({ token: 'sim-silent-bg', data: { rota_probe: '1' }, silent: true })).ok).toBe(true);
    expect(apns.pushes[0]).toMatchObject({ pushType: 'background', priority: 5, payload: { aps: { 'content-available': 1 }, rota_probe: '1' } });
    expect((apns.pushes[0]!.payload.aps as any).alert).toBeUndefined();
  });

  test('a normal-priority alert is priority 5; a collapse id over 64 bytes goes as its digest, the same for the same id', async () => {
    const { apns, adapter } = await apnsFixture();
    const long = `campaign:app_test:${'c'.repeat(60)}:recipient-42`;
    const a = adapter();
    await a.send(push('sim-silent-c1', { collapseId: long, priority: 'normal' }));
    await a.send(push('sim-silent-c2', { collapseId: long }));
    expect(apns.pushes.map((p) => [p.priority, p.collapseId])).toEqual([[5, apnsCollapseId(long)], [10, apnsCollapseId(long)]]);
    expect(Buffer.byteLength(apns.pushes[0]!.collapseId!)).toBeLessThanOrEqual(64);
  });

  test('one provider token and one HTTP/2 connection serve many sends, concurrent ones included', async () => {
    const { apns, adapter } = await apnsFixture();
    const a = adapter();
    const outcomes = await Promise.all(Array.from({ length: 25 }, (_, i) => a.send(push(`sim-silent-many-${i}`))));
    for (let i = 0; i < 5; i++) outcomes.push(await a.send(push(`sim-silent-more-${i}`)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(apns.stats).toMatchObject({ requests: 30, sessions: 1, providerTokens: 1 });
  });

  test('the provider token is made again after 50 minutes, not before, so APNs never sees it too old or refreshed too often', async () => {
    const { apns, clock, adapter } = await apnsFixture();
    const a = adapter();
    const iats = async () => [...new Set(apns.pushes.map((p) => p.providerToken.iat))];
    await a.send(push('sim-silent-t0'));
    clock.advance(30 * 60_000);
    await a.send(push('sim-silent-t30'));
    expect(await iats()).toHaveLength(1);
    clock.advance(25 * 60_000);
    await a.send(push('sim-silent-t55'));
    clock.advance(10 * 60_000);
    await a.send(push('sim-silent-t65'));
    expect(await iats()).toHaveLength(2);
    expect(apns.stats.answers).toEqual({ ok: 4 });
  });

  test('a provider token APNs calls expired (403 ExpiredProviderToken) is made again once and the push goes', async () => {
    // An APNs stricter than the adapter's 50 minutes: its tokens age out after 30.
    const { apns, clock, adapter } = await apnsFixture({ maxTokenAgeMs: 30 * 60_000 });
    const a = adapter();
    expect((await a.send(push('sim-silent-x1'))).ok).toBe(true);
    clock.advance(40 * 60_000);
    expect(await a.send(push('sim-silent-x2'))).toMatchObject({ ok: true });
    expect(apns.stats.answers).toEqual({ ok: 2, ExpiredProviderToken: 1 });
    expect(apns.stats.providerTokens).toBe(2);
  });

  test('a provider token signed with another key is refused (403 InvalidProviderToken): made again once, then auth', async () => {
    const { apns, adapter } = await apnsFixture();
    const outcome = await adapter({ privateKey: stranger.apns.privateKey }).send(push('sim-delivers-0ms-forged'));
    expect(outcome).toEqual({ ok: false, kind: 'auth', code: 'InvalidProviderToken', status: 403, retryAfterMs: undefined });
    expect(apns.stats.answers).toEqual({ InvalidProviderToken: 2 });
    expect(apns.pushes).toHaveLength(0);
  });

  test('a token replaced on one connection within 20 minutes is 429 TooManyProviderTokenUpdates (rate_limited)', async () => {
    const { apns, clock, adapter } = await apnsFixture();
    const sessions = createHttp2SessionPool();
    cleanup.push(() => sessions.close());
    // Two senders sharing one connection, their tokens made five minutes apart.
    expect((await adapter({ sessions }).send(push('sim-silent-first'))).ok).toBe(true);
    clock.advance(5 * 60_000);
    expect(await adapter({ sessions }).send(push('sim-silent-second'))).toMatchObject({ ok: false, kind: 'rate_limited', code: 'TooManyProviderTokenUpdates', status: 429 });
    expect(apns.stats.sessions).toBe(1);
  });

  test.each([
    ['a dead token', 'sim-unregistered-ios', undefined, { kind: 'unregistered', code: 'Unregistered', status: 410 }],
    ['a bad device token', 'sim-invalid-ios', undefined, { kind: 'invalid', code: 'BadDeviceToken', status: 400 }],
    ['a device over its rate', 'sim-throttled-ios', undefined, { kind: 'rate_limited', code: 'TooManyRequests', status: 429 }],
    ['429 with Retry-After', 'sim-silent-ios', { status: 429, retryAfterSeconds: 9 }, { kind: 'rate_limited', code: 'TooManyRequests', status: 429, retryAfterMs: 9000 }],
    ['503', 'sim-silent-ios', { status: 503 }, { kind: 'unavailable', code: 'ServiceUnavailable', status: 503 }],
    ['500', 'sim-silent-ios', { status: 500 }, { kind: 'unavailable', code: 'InternalServerError', status: 500 }],
  ] as const)('APNs %s → %j', async (_what, token, fault, expected) => {
    const { apns, clock, adapter } = await apnsFixture();
    if (fault) apns.fail({ count: 1, ...fault });
    const a = adapter();
    const outcome = await a.send(push(token));
    // Exactly these fields: a retry delay only where APNs gave one, the token's death time only on 410.
    expect(outcome).toEqual({ ok: false, retryAfterMs: undefined, ...expected, ...(expected.kind === 'unregistered' ? { unregisteredAt: new Date(clock.now()) } : {}) });
    expect(apns.pushes).toHaveLength(0);
    if (fault) expect((await a.send(push(token))).ok).toBe(true);
  });

  test('a 403 ExpiredProviderToken once is retried with a new token; twice is auth', async () => {
    const { apns, adapter } = await apnsFixture();
    const a = adapter();
    apns.fail({ status: 403, count: 1 });
    expect((await a.send(push('sim-silent-f1'))).ok).toBe(true);
    apns.fail({ status: 403, count: 2 });
    expect(await a.send(push('sim-silent-f2'))).toMatchObject({ ok: false, kind: 'auth', code: 'ExpiredProviderToken', status: 403 });
  });

  test('a connection APNs closes with GOAWAY is replaced by a new one, also for a send right after it', async () => {
    const { apns, adapter } = await apnsFixture();
    const a = adapter();
    expect((await a.send(push('sim-silent-s1'))).ok).toBe(true);
    apns.dropSessions('goaway');
    expect((await a.send(push('sim-silent-s2'))).ok).toBe(true);
    expect(apns.stats.sessions).toBe(2);
  });

  test('a connection that is reset is replaced once the adapter sees it closed', async () => {
    const { apns, adapter } = await apnsFixture();
    const sessions = createHttp2SessionPool();
    cleanup.push(() => sessions.close());
    const a = adapter({ sessions });
    expect((await a.send(push('sim-silent-r1'))).ok).toBe(true);
    expect(sessions.openSessions()).toBe(1);
    apns.dropSessions('reset');
    await until(() => sessions.openSessions() === 0);
    expect((await a.send(push('sim-silent-r2'))).ok).toBe(true);
    expect(apns.stats.sessions).toBe(2);
    expect(sessions.openSessions()).toBe(1);
  });

  test('the simulator refuses what APNs refuses', async () => {
    const { apns, clock } = await apnsFixture();
    const jwt = signJwt({ alg: 'ES256', kid: creds.apns.keyId }, { iss: creds.apns.teamId, iat: Math.floor(clock.now() / 1000) }, privateKeyOf(creds.apns.privateKey));
    const good = { ':path': '/3/device/sim-silent-raw', authorization: `bearer ${jwt}`, 'apns-topic': BUNDLE, 'apns-push-type': 'alert' };
    const alert = JSON.stringify({ aps: { alert: { title: 't' } } });
    expect(await h2(apns.url, good, alert)).toEqual({ status: 200, body: undefined });
    const cases: [http2.OutgoingHttpHeaders, string, number, string][] = [
      [{ authorization: undefined }, alert, 403, 'MissingProviderToken'],
      [{ authorization: `bearer ${jwt.slice(0, -4)}AAAA` }, alert, 403, 'InvalidProviderToken'],
      [{ 'apns-topic': undefined }, alert, 400, 'MissingTopic'],
      [{ 'apns-topic': 'com.example.other' }, alert, 400, 'TopicDisallowed'],
      [{ 'apns-push-type': 'background' }, JSON.stringify({ aps: { 'content-available': 1 } }), 400, 'BadPriority'],
      [{ 'apns-push-type': 'background', 'apns-priority': '5' }, alert, 400, 'InvalidPushType'],
      [{ 'apns-collapse-id': 'x'.repeat(65) }, alert, 400, 'BadCollapseId'],
      [{ 'apns-id': 'not-a-uuid' }, alert, 400, 'BadMessageId'],
      [{ 'apns-expiration': 'tomorrow' }, alert, 400, 'BadExpirationDate'],
      [{}, '', 400, 'PayloadEmpty'],
      [{}, JSON.stringify({ aps: { alert: 'x'.repeat(5000) } }), 413, 'PayloadTooLarge'],
      [{ ':path': '/3/device/sim-unregistered-raw' }, alert, 410, 'Unregistered'],
    ];
    for (const [change, body, status, reason] of cases) {
      const headers = { ...good, ...change };
      for (const k of Object.keys(headers)) if (headers[k as keyof typeof headers] === undefined) delete headers[k as keyof typeof headers];
      expect({ reason, answer: await h2(apns.url, headers, body) }).toMatchObject({ reason, answer: { status, body: { reason } } });
    }
    expect((await h2(apns.url, { ...good, ':path': '/3/device/sim-unregistered-raw' }, alert)).body.timestamp).toBe(clock.now());
    // A provider token from a day ago: too old.
    const old = signJwt({ alg: 'ES256', kid: creds.apns.keyId }, { iss: creds.apns.teamId, iat: Math.floor(clock.now() / 1000) - 86_400 }, privateKeyOf(creds.apns.privateKey));
    expect((await h2(apns.url, { ...good, authorization: `bearer ${old}` }, alert)).body).toEqual({ reason: 'ExpiredProviderToken' });
    // APNs is HTTP/2 only: a device call over HTTP/1.1 is refused.
    expect((await fetch(`${apns.url}/3/device/sim-silent-raw`, { method: 'POST', body: alert })).status).toBe(505);
  });

  test('an unreachable APNs is unavailable (status 0), never a throw', async () => {
    const closed = await startApnsSimulator({ keys: [simApnsKey(creds)] });
    await closed.close();
    const a = createApnsAdapter({ baseUrl: closed.url, keyId: creds.apns.keyId, teamId: creds.apns.teamId, privateKey: creds.apns.privateKey, bundleId: BUNDLE });
    cleanup.push(() => a.close());
    expect(await a.send(push('sim-silent-nowhere'))).toMatchObject({ ok: false, kind: 'unavailable', code: 'unreachable', status: 0 });
  });

  test('the provider token is what APNs expects: ES256, kid, iss and iat only', async () => {
    const { clock, adapter } = await apnsFixture();
    const sent: string[] = [];
    // A one-request HTTP/2 server that keeps the authorization header it gets.
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      sent.push(String(headers.authorization));
      stream.respond({ ':status': 200 }, { endStream: true });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(() => r())));
    const a = adapter({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    expect((await a.send(push('anything'))).ok).toBe(true);
    await a.close();
    const jwt = decodeJwt(sent[0]!.replace(/^bearer /, ''))!;
    expect(jwt.header).toEqual({ alg: 'ES256', kid: creds.apns.keyId });
    expect(jwt.claims).toEqual({ iss: creds.apns.teamId, iat: Math.floor(clock.now() / 1000) });
    expect(jwt.signature).toHaveLength(64); // raw r‖s, as JWS wants, not DER
  });

  test('a script that sends and closes runs to its end and exits (the idle connection neither holds the process nor lets it quit early)', async () => {
    // Both in processes of their own, as a bench script and a simulator are: in this process the connection's timing differs.
    const dir = mkdtempSync(path.join(tmpdir(), 'rota-push-script-'));
    const repo = path.resolve(__dirname, '../..');
    const run = (file: string, lines: string[]) => {
      writeFileSync(path.join(dir, file), lines.join('\n'));
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(dir, file)], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      const output = { text: '' };
      child.stdout.on('data', (c: Buffer) => (output.text += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output.text += c.toString()));
      return { child, output, exited: new Promise<number | null>((resolve) => child.on('exit', resolve)) };
    };
    const sim = run('sim.ts', [
      `import { startApnsSimulator } from ${JSON.stringify(path.join(repo, 'simulators/apnsSimulator'))};`,
      `void startApnsSimulator({ keys: [${JSON.stringify(simApnsKey(creds))}] }).then((s) => console.log(s.url));`,
    ]);
    cleanup.push(async () => {
      sim.child.kill('SIGKILL');
      await sim.exited;
    });
    const url = await until(() => /http:\/\/[\d.:]+/.exec(sim.output.text)?.[0]);
    const sender = run('send.ts', [
      `import { createApnsAdapter } from ${JSON.stringify(path.join(repo, 'providers/apns'))};`,
      `const creds = ${JSON.stringify(creds)};`,
      `const apns = createApnsAdapter({ baseUrl: ${JSON.stringify(url)}, keyId: creds.apns.keyId, teamId: creds.apns.teamId, privateKey: creds.apns.privateKey, bundleId: ${JSON.stringify(BUNDLE)} });`,
      'async function main() {',
      "  const outcome = await apns.send({ token: 'sim-silent-script', title: 't', data: {} });",
      '  await apns.close();',
      '  console.log(outcome.ok, "done");',
      '}',
      'void main();',
    ]);
    expect({ code: await sender.exited, out: sender.output.text.trim() }).toEqual({ code: 0, out: 'true done' });
  });
});
