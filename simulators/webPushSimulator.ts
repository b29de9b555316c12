/**
 * Web Push service simulator (RFC 8030 with VAPID, RFC 8292, and aes128gcm payloads,
 * RFC 8291): it mints subscriptions as a browser's push service would, checks pushes the
 * way push services check them, and decrypts what the devices receive.
 *
 * `POST /sim/subscriptions {behaviour?, delayMs?, applicationServerKey?, id?}` subscribes a
 * simulated browser: the simulator makes its P-256 key pair and 16-byte auth secret and
 * answers what `PushSubscription.toJSON()` gives a site, `{endpoint, expirationTime, keys:
 * {p256dh, auth}}`. With `applicationServerKey` (the site's VAPID public key, base64url) the
 * subscription is bound to that key, as real services bind it at subscribe time: a push
 * signed with another key is 403. The endpoint is `/push/{id}`, and the id's prefix is the
 * device's behaviour (simulators/deviceReceipts.ts), so it survives being stored as a token:
 *
 *   sim-delivers-… / sim-delivers-2500ms-…   201; the device gets it and a receipt goes to Rota after the delay
 *   sim-silent-…                             201; the browser is offline: the push waits, never delivered
 *   sim-slowack-3000ms-…                     201, but the answer takes 3 s
 *   sim-unregistered-…                       410 Gone (the user unsubscribed)
 *   sim-invalid-…                            400
 *   sim-throttled-…                          429
 *
 * `POST /push/{id}`, in the order a push service checks: the subscription exists (404 for
 * one it never made — subscriptions live in memory, so a restart forgets them); the
 * `Authorization: vapid t=<JWT>, k=<key>` header: an ES256 JWT verifying under k, aud =
 * this service's origin, exp in the future and at most 24 h away, sub a mailto: or https:
 * URL (401 otherwise) and k the key the subscription is bound to (403); then injected
 * faults and the device's behaviour; then a `TTL` header (400 without), a valid Urgency and
 * Topic (≤ 32 URL-safe base64 characters), `Content-Encoding: aes128gcm` for a body, a body
 * of at most 4096 bytes (413), and a body that decrypts with the subscription's keys (400:
 * a real service cannot read it and would pass it on, but the browser would drop it, so the
 * simulator says so to the sender). Accepted pushes are answered 201 with a `Location` and
 * the `TTL` kept.
 *
 * Collapse: a push with a Topic replaces the subscription's earlier push with the same Topic
 * that has not been delivered yet (still waiting for an offline browser, or within a
 * delivering device's delay): the earlier one leaves `pushes` and its receipt is never sent.
 *
 * `POST /sim/faults {status: 429|500|503, count, retryAfterSeconds?}` makes the next `count`
 * authenticated pushes fail so; `GET /sim/pushes?messageId=&endpoint=` lists what the
 * devices received (decrypted); `GET /sim/stats` counts answers, collapses and the busiest
 * second (`peakPerSecond`).
 */
import { createECDH, createPublicKey, randomBytes, randomUUID, type ECDH, type KeyObject } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { decrypt } from 'http_ece';
import { decodeJwt, verifyJwtSignature } from '../lib/jwt';
import { createDevices, deviceBehaviour, type DeviceReceipt } from './deviceReceipts';
import { listen, type SimServer } from './simServer';

export interface WebPushSimulatorOptions {
  port?: number;
  host?: string;
  /** Rota's receipt endpoint; without it no receipts are sent. */
  receiptUrl?: string;
  /** A delivering device's delay before it has the push and posts its receipt. Default 1000. */
  receiptDelayMs?: number;
  /** The simulator's clock (ms since the epoch): JWT exp is checked against it. */
  now?: () => number;
}

export type SimWebPushBehaviour = 'delivers' | 'silent' | 'slowack' | 'unregistered' | 'invalid' | 'throttled';

export interface SimSubscribeOptions {
  behaviour?: SimWebPushBehaviour;
  /** The delivering device's delay (`delivers`) or the slow answer's (`slowack`). */
  delayMs?: number;
  /** The site's VAPID public key (base64url, uncompressed P-256): pushes must be signed with it. */
  applicationServerKey?: string;
  /** The endpoint's last path segment; its prefix decides the behaviour when `behaviour` is not given. Default `sim-{behaviour}-{random}`. */
  id?: string;
}

/** What a browser's `PushSubscription.toJSON()` gives the site. */
export interface WebPushSubscriptionJson {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}

export interface SimulatedWebPush {
  /** The push message resource id (the Location's last segment). */
  id: string;
  endpoint: string;
  /** What the service worker gets: the decrypted payload, parsed when it is JSON. */
  payload: unknown;
  /** `payload.data` when it is an object of strings (where the `rota_*` fields are), else {}. */
  data: Record<string, string>;
  ttl: number;
  urgency: string;
  topic?: string;
  /** The VAPID JWT's claims and key. */
  vapid: { aud: string; sub: string; exp: number; k: string };
  receivedAt: string;
  /** When the device had it (a delivering device after its delay); absent while it waits. */
  deliveredAt?: string;
  receipt?: DeviceReceipt;
}

export interface WebPushSimulatorStats {
  subscriptions: number;
  /** POST /push calls, answered or not. */
  pushCalls: number;
  /** Answers by reason (`created` for 201). */
  answers: Record<string, number>;
  /** Undelivered pushes replaced by a later one with the same Topic. */
  collapsed: number;
  /** The most push calls received within one second of the clock. */
  peakPerSecond: number;
}

export interface WebPushFault {
  status: 429 | 500 | 503;
  count: number;
  retryAfterSeconds?: number;
}

export interface WebPushSimulator extends SimServer {
  pushes: SimulatedWebPush[];
  stats: WebPushSimulatorStats;
  /** The same as `POST /sim/subscriptions`. */
  subscribe(opts?: SimSubscribeOptions): WebPushSubscriptionJson;
  /** Accepted pushes for a Rota message id (`data.rota_message_id`), collapsed ones included. */
  callsFor(messageId: string): number;
  /** Push calls by second of the clock (epoch seconds). */
  callsPerSecond: Map<number, number>;
  /** The same as `POST /sim/faults`. */
  fail(fault: WebPushFault): void;
}

type Subscription = { id: string; endpoint: string; ecdh: ECDH; auth: Buffer; applicationServerKey?: Buffer };

const MAX_PAYLOAD_BYTES = 4096;
const MAX_JWT_LIFETIME_SECONDS = 24 * 3600;
const URGENCIES = new Set(['very-low', 'low', 'normal', 'high']);
const BEHAVIOURS = new Set<SimWebPushBehaviour>(['delivers', 'silent', 'slowack', 'unregistered', 'invalid', 'throttled']);
const FAULT_REASONS: Record<WebPushFault['status'], string> = { 429: 'TooManyRequests', 500: 'InternalServerError', 503: 'ServiceUnavailable' };
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export async function startWebPushSimulator(opts: WebPushSimulatorOptions = {}): Promise<WebPushSimulator> {
  const now = opts.now ?? Date.now;
  const receiptDelayMs = opts.receiptDelayMs ?? 1000;
  const subscriptions = new Map<string, Subscription>();
  const pushes: SimulatedWebPush[] = [];
  const calls = new Map<string, number>();
  const callsPerSecond = new Map<number, number>();
  const stats: WebPushSimulatorStats = { subscriptions: 0, pushCalls: 0, answers: {}, collapsed: 0, peakPerSecond: 0 };
  const fault: { status: WebPushFault['status']; remaining: number; retryAfterSeconds?: number } = { status: 503, remaining: 0 };
  const devices = createDevices(opts.receiptUrl);
  /** Pushes collapsed away before their device had them: their delivery does not happen. */
  const replaced = new WeakSet<SimulatedWebPush>();
  let baseUrl = '';

  function subscribe(o: SimSubscribeOptions = {}): WebPushSubscriptionJson {
    if (o.behaviour !== undefined && !BEHAVIOURS.has(o.behaviour)) throw new Error(`behaviour must be one of ${[...BEHAVIOURS].join(', ')}`);
    let serverKey: Buffer | undefined;
    if (o.applicationServerKey !== undefined) {
      serverKey = p256Point(o.applicationServerKey);
      if (!serverKey) throw new Error('applicationServerKey must be an uncompressed P-256 public key in base64url (65 bytes)');
    }
    // deviceBehaviour reads a slow answer's delay from the id, so a slowack id always has one.
    const delayMs = o.behaviour === 'slowack' ? (o.delayMs ?? 3000) : o.delayMs;
    const delay = delayMs !== undefined && (o.behaviour === 'delivers' || o.behaviour === 'slowack') ? `-${Math.round(delayMs)}ms` : '';
    const id = o.id ?? `sim-${o.behaviour ?? 'delivers'}${delay}-${randomBytes(12).toString('hex')}`;
    if (!/^[A-Za-z0-9_.~-]{1,200}$/.test(id)) throw new Error('id must be 1–200 URL-safe characters');
    if (subscriptions.has(id)) throw new Error(`subscription ${id} exists`);
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const endpoint = `${baseUrl}/push/${id}`;
    subscriptions.set(id, { id, endpoint, ecdh, auth, applicationServerKey: serverKey });
    stats.subscriptions++;
    return { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };
  }

  function answer(res: Response, status: number, reason: string, message: string, retryAfterSeconds?: number): void {
    stats.answers[reason] = (stats.answers[reason] ?? 0) + 1;
    if (retryAfterSeconds !== undefined) res.setHeader('retry-after', String(retryAfterSeconds));
    if (status === 401) res.setHeader('www-authenticate', 'vapid');
    res.status(status).json({ code: status, reason, message });
  }

  /** The VAPID header checked as RFC 8292 says; the claims and key, or the refusal. */
  function vapidProblem(req: Request, sub: Subscription): { status: number; reason: string; message: string } | SimulatedWebPush['vapid'] {
    const header = req.get('authorization') ?? '';
    const scheme = /^vapid\s+(.*)$/i.exec(header);
    if (!scheme) return { status: 401, reason: 'MissingVapid', message: 'Authorization must be "vapid t=<JWT>, k=<public key>"' };
    const params = new Map(scheme[1]!.split(',').map((p) => {
      const at = p.indexOf('=');
      return [p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim()] as const;
    }));
    const t = params.get('t');
    const k = params.get('k');
    if (!t || !k) return { status: 401, reason: 'MissingVapid', message: 'the vapid scheme needs t (the JWT) and k (the public key)' };
    const point = p256Point(k);
    const key = point ? publicKeyOfPoint(point) : undefined;
    if (!point || !key) return { status: 401, reason: 'BadPublicKey', message: 'k is not an uncompressed P-256 public key in base64url' };
    const jwt = decodeJwt(t);
    if (!jwt || !verifyJwtSignature(jwt, 'ES256', key)) return { status: 401, reason: 'BadJwtToken', message: 'the JWT is not an ES256 JWT signed with k' };
    const { aud, exp, sub: subject } = jwt.claims;
    const origin = `${req.protocol}://${req.get('host')}`;
    if (aud !== origin) return { status: 401, reason: 'BadAudience', message: `aud must be the push service's origin (${origin})` };
    const nowSeconds = Math.floor(now() / 1000);
    if (typeof exp !== 'number' || exp <= nowSeconds) return { status: 401, reason: 'ExpiredJwt', message: 'the JWT has expired (exp)' };
    if (exp > nowSeconds + MAX_JWT_LIFETIME_SECONDS) return { status: 401, reason: 'BadExpiration', message: 'exp must be at most 24 hours away' };
    if (typeof subject !== 'string' || !/^(mailto:\S+@\S+|https:\/\/\S+)$/.test(subject)) return { status: 401, reason: 'BadSubject', message: 'sub must be a mailto: or https: URL' };
    if (sub.applicationServerKey && !sub.applicationServerKey.equals(point)) {
      return { status: 403, reason: 'VapidPkHashMismatch', message: 'the VAPID key is not the applicationServerKey the subscription was made with' };
    }
    return { aud, sub: subject, exp, k };
  }

  const app = express();
  app.use('/sim', express.json({ limit: '64kb' }));

  app.post('/sim/subscriptions', (req, res) => {
    try {
      res.status(201).json(subscribe((req.body ?? {}) as SimSubscribeOptions));
    } catch (err) {
      res.status(400).json({ code: 400, reason: 'BadRequest', message: (err as Error).message });
    }
  });

  // The body as bytes, read here: express.raw would try to undo Content-Encoding aes128gcm and refuse it (415).
  app.post('/push/:id', readBody(64 * 1024), (req: Request, res: Response) => {
    stats.pushCalls++;
    const second = Math.floor(now() / 1000);
    const inSecond = (callsPerSecond.get(second) ?? 0) + 1;
    callsPerSecond.set(second, inSecond);
    stats.peakPerSecond = Math.max(stats.peakPerSecond, inSecond);

    const sub = subscriptions.get(String(req.params.id));
    if (!sub) return answer(res, 404, 'NotFound', 'no such subscription');
    const vapid = vapidProblem(req, sub);
    if ('status' in vapid) return answer(res, vapid.status, vapid.reason, vapid.message);
    if (fault.remaining > 0) {
      fault.remaining--;
      return answer(res, fault.status, FAULT_REASONS[fault.status], 'fault injected by the simulator', fault.retryAfterSeconds);
    }
    const behaviour = deviceBehaviour(sub.id, receiptDelayMs);
    if (behaviour.kind === 'unregistered') return answer(res, 410, 'Unregistered', 'the subscription has been unsubscribed or expired');
    if (behaviour.kind === 'invalid') return answer(res, 400, 'BadSubscription', 'the subscription is not valid');
    if (behaviour.kind === 'throttled') return answer(res, 429, 'TooManyRequests', 'too many pushes to this subscription');

    const ttlHeader = req.get('ttl');
    if (ttlHeader === undefined) return answer(res, 400, 'MissingTTL', 'the TTL header is required');
    if (!/^\d+$/.test(ttlHeader.trim())) return answer(res, 400, 'BadTTL', 'TTL must be a whole number of seconds');
    const urgency = req.get('urgency') ?? 'normal';
    if (!URGENCIES.has(urgency)) return answer(res, 400, 'BadUrgency', 'Urgency must be very-low, low, normal or high');
    const topic = req.get('topic');
    if (topic !== undefined && !(BASE64URL.test(topic) && topic.length <= 32)) return answer(res, 400, 'BadTopic', 'Topic must be at most 32 URL-safe base64 characters');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (body.length > MAX_PAYLOAD_BYTES) return answer(res, 413, 'PayloadTooLarge', `the payload is ${body.length} bytes; at most ${MAX_PAYLOAD_BYTES}`);
    let payload: unknown = null;
    if (body.length > 0) {
      if ((req.get('content-encoding') ?? '').toLowerCase() !== 'aes128gcm') return answer(res, 400, 'BadEncoding', 'a payload must be Content-Encoding: aes128gcm');
      let plain: string;
      try {
        plain = decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth }).toString('utf8');
      } catch {
        return answer(res, 400, 'UndecryptablePayload', 'the payload does not decrypt with the subscription\'s keys');
      }
      try {
        payload = JSON.parse(plain) as unknown;
      } catch {
        payload = plain;
      }
    }

    const data = stringMap((payload as { data?: unknown } | null)?.data);
    const messageId = data.rota_message_id ?? '';
    calls.set(messageId, (calls.get(messageId) ?? 0) + 1);
    if (topic !== undefined) {
      const at = pushes.findIndex((p) => p.endpoint === sub.endpoint && p.topic === topic && !p.deliveredAt);
      if (at >= 0) {
        replaced.add(pushes[at]!);
        pushes.splice(at, 1);
        stats.collapsed++;
      }
    }
    const push: SimulatedWebPush = {
      id: randomUUID(),
      endpoint: sub.endpoint,
      payload,
      data,
      ttl: Number(ttlHeader.trim()),
      urgency,
      ...(topic !== undefined ? { topic } : {}),
      vapid,
      receivedAt: new Date(now()).toISOString(),
    };
    pushes.push(push);
    stats.answers.created = (stats.answers.created ?? 0) + 1;
    if (behaviour.kind === 'delivers') {
      devices.later(behaviour.delayMs, () => {
        if (replaced.has(push)) return;
        push.deliveredAt = new Date(now()).toISOString();
        devices.deliver(data, 0, (r) => (push.receipt = r));
      });
    }
    const created = () => {
      if (res.writableEnded || res.destroyed) return;
      res.status(201).setHeader('location', `${baseUrl}/m/${push.id}`).setHeader('ttl', String(push.ttl)).end();
    };
    if (behaviour.kind === 'silent' && behaviour.ackDelayMs) return devices.later(behaviour.ackDelayMs, created);
    created();
  });

  const fail = (f: WebPushFault) => {
    fault.status = f.status;
    fault.remaining = f.count;
    fault.retryAfterSeconds = f.retryAfterSeconds;
  };
  app.post('/sim/faults', (req, res) => {
    const { status, count, retryAfterSeconds } = (req.body ?? {}) as Partial<WebPushFault>;
    if (status === undefined || !(status in FAULT_REASONS)) {
      res.status(400).json({ code: 400, reason: 'BadRequest', message: `status must be one of ${Object.keys(FAULT_REASONS).join(', ')}` });
      return;
    }
    fail({ status, count: count ?? 1, retryAfterSeconds });
    res.json({ status: fault.status, remaining: fault.remaining, retryAfterSeconds: fault.retryAfterSeconds ?? null });
  });
  app.get('/sim/pushes', (req, res) => {
    const { messageId, endpoint } = req.query;
    const list = pushes.filter((p) => (typeof messageId !== 'string' || p.data.rota_message_id === messageId) && (typeof endpoint !== 'string' || p.endpoint === endpoint));
    res.json({ total: list.length, pushes: list });
  });
  app.get('/sim/stats', (_req, res) => {
    res.json(stats);
  });

  const server = await listen(app, opts.port, opts.host);
  baseUrl = server.url;
  return {
    ...server,
    pushes,
    stats,
    subscribe,
    callsFor: (messageId) => calls.get(messageId) ?? 0,
    callsPerSecond,
    fail,
    async close() {
      devices.close();
      await server.close();
    },
  };
}

/** Puts the raw body on `req.body` as a Buffer; more than `limit` bytes is 413 (the push check itself is at 4096). */
function readBody(limit: number): RequestHandler {
  return (req, res, next) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => {
      if (size > limit) {
        res.status(413).json({ code: 413, reason: 'PayloadTooLarge', message: `at most ${MAX_PAYLOAD_BYTES} bytes` });
        return;
      }
      req.body = Buffer.concat(chunks);
      next();
    });
    req.on('error', next);
  };
}

/** A base64url uncompressed P-256 point (0x04 ‖ x ‖ y) that is on the curve, or undefined. */
function p256Point(b64: string): Buffer | undefined {
  const s = b64.replace(/=+$/, '');
  if (!BASE64URL.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64url');
  return bytes.length === 65 && bytes[0] === 4 && publicKeyOfPoint(bytes) ? bytes : undefined;
}

function publicKeyOfPoint(point: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
