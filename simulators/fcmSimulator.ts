/**
 * FCM HTTP v1 simulator: Google's OAuth2 token endpoint and FCM's `messages:send`, checked
 * the way Google checks them, and devices that behave as their token says.
 *
 * `POST /token` (grant_type jwt-bearer): the assertion must be an RS256 JWT signed by a
 * configured service account's key, with iss = its client_email, aud = this endpoint's URL,
 * a scope, and iat/exp making a token of at most an hour that has not expired. It answers an
 * access token that expires after `accessTokenTtlSeconds` (short in tests), or 400
 * `invalid_grant` as Google does.
 *
 * `POST /v1/projects/{project}/messages:send`: the bearer must be a live access token of
 * that project's account (401 UNAUTHENTICATED otherwise); the body must be a v1 message
 * with known fields, a token, string data and a valid android config (400
 * INVALID_ARGUMENT naming what is wrong). Then the device token decides:
 *
 *   sim-delivers-… / sim-delivers-2500ms-…   accepted; a receipt goes to Rota after the delay
 *   sim-silent-…                             accepted; the device never answers
 *   sim-slowack-3000ms-…                     accepted, but FCM's answer takes 3 s
 *   sim-unregistered-…                       404 NOT_FOUND, errorCode UNREGISTERED
 *   sim-invalid-…                            400 INVALID_ARGUMENT (not a valid registration token)
 *   sim-throttled-…                          429 QUOTA_EXCEEDED (device message rate exceeded)
 *
 * `POST /sim/faults {status: 429|500|503|401, count, retryAfterSeconds?}` makes the next
 * `count` authenticated sends answer that, FCM-shaped, with Retry-After when given.
 * `GET /sim/pushes?messageId=&token=` lists what the devices received (one per
 * Idempotency-Key), `GET /sim/stats` counts token requests, tokens issued and answers, and
 * the busiest second of messages:send calls (`peakPerSecond`: what a rate limit must hold to).
 */
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { decodeJwt, publicKeyOf, verifyJwtSignature } from '../lib/jwt';
import { FCM_SCOPE, JWT_BEARER_GRANT } from '../providers/fcm';
import { createDevices, deviceBehaviour, recall, type DeviceReceipt } from './deviceReceipts';
import { listen, type SimServer } from './simServer';

export interface FcmSimulatorAccount {
  clientEmail: string;
  /** The service account's public key (PEM or KeyObject). */
  publicKey: string | KeyObject;
  projectId: string;
}

export interface FcmSimulatorOptions {
  port?: number;
  host?: string;
  accounts: FcmSimulatorAccount[];
  /** Rota's receipt endpoint; without it no receipts are sent. */
  receiptUrl?: string;
  receiptDelayMs?: number;
  /** Lifetime of the access tokens it issues. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** The simulator's clock (ms since the epoch): token expiry and JWT times are checked against it. */
  now?: () => number;
}

export interface SimulatedFcmPush {
  name: string;
  project: string;
  token: string;
  notification?: { title?: string; body?: string; image?: string };
  data: Record<string, string>;
  android?: Record<string, unknown>;
  idempotencyKey?: string;
  receivedAt: string;
  receipt?: DeviceReceipt;
  /** A recall push (`rota_recall`) with the same delivery took this notification off the device. */
  removedAt?: string;
}

export interface FcmSimulatorStats {
  tokenRequests: number;
  tokensIssued: number;
  /** Refused token requests, by error_description. */
  tokenRefusals: Record<string, number>;
  /** messages:send calls, answered or not. */
  sendCalls: number;
  /** Answers to messages:send by status code word (`ok`, `UNAUTHENTICATED`, `UNREGISTERED`, …). */
  answers: Record<string, number>;
  /** The most messages:send calls received within one second of the clock. */
  peakPerSecond: number;
}

export interface FcmFault {
  status: 401 | 429 | 500 | 503;
  count: number;
  retryAfterSeconds?: number;
}

export interface FcmSimulator extends SimServer {
  /** The token_uri a service account for this simulator names. */
  tokenUrl: string;
  pushes: SimulatedFcmPush[];
  stats: FcmSimulatorStats;
  /** Accepted send calls for a Rota message id (repeats of one Idempotency-Key included). */
  callsFor(messageId: string): number;
  /** messages:send calls by second of the clock (epoch seconds). */
  callsPerSecond: Map<number, number>;
  /** The same as `POST /sim/faults`. */
  fail(fault: FcmFault): void;
}

const MAX_PAYLOAD_BYTES = 4096;
const MAX_TTL_SECONDS = 28 * 24 * 3600;
const MESSAGE_FIELDS = new Set(['name', 'data', 'notification', 'android', 'webpush', 'apns', 'fcm_options', 'token', 'topic', 'condition']);
const NOTIFICATION_FIELDS = new Set(['title', 'body', 'image']);
const ANDROID_FIELDS = new Set(['collapse_key', 'priority', 'ttl', 'restricted_package_name', 'data', 'notification', 'fcm_options', 'direct_boot_ok']);
const RESERVED_DATA_KEY = /^(from|notification|message_type)$|^(google|gcm)\./;
const FAULT_ANSWERS: Record<FcmFault['status'], { status: string; errorCode: string; message: string }> = {
  401: { status: 'UNAUTHENTICATED', errorCode: 'THIRD_PARTY_AUTH_ERROR', message: 'Request had invalid authentication credentials.' },
  429: { status: 'RESOURCE_EXHAUSTED', errorCode: 'QUOTA_EXCEEDED', message: 'Quota exceeded for quota metric \'Send requests\'.' },
  500: { status: 'INTERNAL', errorCode: 'INTERNAL', message: 'Internal error encountered.' },
  503: { status: 'UNAVAILABLE', errorCode: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
};

type Issued = { account: FcmSimulatorAccount; expiresAt: number; scopes: string[] };

export async function startFcmSimulator(opts: FcmSimulatorOptions): Promise<FcmSimulator> {
  const now = opts.now ?? Date.now;
  const ttlSeconds = opts.accessTokenTtlSeconds ?? 3600;
  const accounts = new Map(opts.accounts.map((a) => [a.clientEmail, { ...a, key: publicKeyOf(a.publicKey) }]));
  const issued = new Map<string, Issued>();
  const pushes: SimulatedFcmPush[] = [];
  const byKey = new Map<string, SimulatedFcmPush>();
  const calls = new Map<string, number>();
  const stats: FcmSimulatorStats = { tokenRequests: 0, tokensIssued: 0, tokenRefusals: {}, sendCalls: 0, answers: {}, peakPerSecond: 0 };
  const callsPerSecond = new Map<number, number>();
  const fault: { status: FcmFault['status']; remaining: number; retryAfterSeconds?: number } = { status: 503, remaining: 0 };
  const devices = createDevices(opts.receiptUrl);

  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));

  app.post('/token', (req, res) => {
    stats.tokenRequests++;
    const refuse = (error: string, description: string) => {
      stats.tokenRefusals[description] = (stats.tokenRefusals[description] ?? 0) + 1;
      res.status(400).json({ error, error_description: description });
    };
    const { grant_type: grant, assertion } = (req.body ?? {}) as { grant_type?: unknown; assertion?: unknown };
    if (grant !== JWT_BEARER_GRANT) return refuse('unsupported_grant_type', 'Invalid grant_type: ' + String(grant ?? ''));
    const jwt = typeof assertion === 'string' ? decodeJwt(assertion) : undefined;
    if (!jwt) return refuse('invalid_grant', 'Invalid JWT: the assertion is not a JWT.');
    const { iss, aud, scope, iat, exp } = jwt.claims;
    const account = typeof iss === 'string' ? accounts.get(iss) : undefined;
    if (!account) return refuse('invalid_grant', 'Invalid grant: account not found');
    if (!verifyJwtSignature(jwt, 'RS256', account.key)) return refuse('invalid_grant', 'Invalid JWT Signature.');
    if (aud !== `${req.protocol}://${req.get('host')}/token`) return refuse('invalid_grant', 'Invalid JWT: Failed audience check.');
    const t = Math.floor(now() / 1000);
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > 3600 || exp <= t || iat > t + 300) {
      return refuse('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    }
    if (typeof scope !== 'string' || !scope.trim()) return refuse('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const accessToken = `ya29.sim-${randomBytes(24).toString('base64url')}`;
    issued.set(accessToken, { account, expiresAt: now() + ttlSeconds * 1000, scopes: scope.split(' ') });
    stats.tokensIssued++;
    res.json({ access_token: accessToken, expires_in: ttlSeconds, token_type: 'Bearer' });
  });

  function answer(res: Response, status: number, word: string, message: string, extra: { errorCode?: string; retryAfterSeconds?: number } = {}) {
    stats.answers[extra.errorCode ?? word] = (stats.answers[extra.errorCode ?? word] ?? 0) + 1;
    if (extra.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(extra.retryAfterSeconds));
    if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
    const details = extra.errorCode ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: extra.errorCode }] : undefined;
    res.status(status).json({ error: { code: status, message, status: word, ...(details ? { details } : {}) } });
  }

  app.post(/^\/v1\/projects\/([^/]+)\/messages:send$/, (req: Request, res: Response) => {
    stats.sendCalls++;
    const second = Math.floor(now() / 1000);
    const inSecond = (callsPerSecond.get(second) ?? 0) + 1;
    callsPerSecond.set(second, inSecond);
    stats.peakPerSecond = Math.max(stats.peakPerSecond, inSecond);
    const project = decodeURIComponent(/^\/v1\/projects\/([^/]+)\//.exec(req.path)![1]!);
    const bearer = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!bearer) return answer(res, 401, 'UNAUTHENTICATED', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    const grant = issued.get(bearer);
    if (!grant || grant.expiresAt <= now()) {
      return answer(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    if (!grant.scopes.includes(FCM_SCOPE) && !grant.scopes.includes('https://www.googleapis.com/auth/cloud-platform')) {
      return answer(res, 403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.');
    }
    if (grant.account.projectId !== project) {
      return answer(res, 403, 'PERMISSION_DENIED', `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`);
    }
    const problem = invalidRequest(req.body);
    if (problem) return answer(res, 400, 'INVALID_ARGUMENT', problem);
    if (fault.remaining > 0) {
      fault.remaining--;
      const f = FAULT_ANSWERS[fault.status];
      return answer(res, fault.status, f.status, f.message, { errorCode: f.errorCode, retryAfterSeconds: fault.retryAfterSeconds });
    }
    const body = req.body as { validate_only?: boolean; message: { token?: string; notification?: SimulatedFcmPush['notification']; data?: Record<string, string>; android?: Record<string, unknown> } };
    const message = body.message;
    if (typeof message.token !== 'string') return answer(res, 400, 'INVALID_ARGUMENT', 'The simulator delivers to message.token only.');
    const behaviour = deviceBehaviour(message.token, opts.receiptDelayMs ?? 1000);
    if (behaviour.kind === 'unregistered') return answer(res, 404, 'NOT_FOUND', 'Requested entity was not found.', { errorCode: 'UNREGISTERED' });
    if (behaviour.kind === 'invalid') return answer(res, 400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', { errorCode: 'INVALID_ARGUMENT' });
    if (behaviour.kind === 'throttled') return answer(res, 429, 'RESOURCE_EXHAUSTED', 'Device message rate exceeded.', { errorCode: 'QUOTA_EXCEEDED' });
    if (body.validate_only) return res.json({ name: `projects/${project}/messages/fake_message_id` });

    const data = message.data ?? {};
    const messageId = data.rota_message_id ?? '';
    calls.set(messageId, (calls.get(messageId) ?? 0) + 1);
    const key = req.get('idempotency-key');
    const seen = key ? byKey.get(key) : undefined;
    if (seen) {
      stats.answers.ok = (stats.answers.ok ?? 0) + 1;
      return res.json({ name: seen.name });
    }
    const push: SimulatedFcmPush = {
      name: `projects/${project}/messages/${randomUUID()}`,
      project,
      token: message.token,
      ...(message.notification ? { notification: message.notification } : {}),
      data,
      ...(message.android ? { android: message.android } : {}),
      idempotencyKey: key,
      receivedAt: new Date(now()).toISOString(),
    };
    pushes.push(push);
    if (key) byKey.set(key, push);
    stats.answers.ok = (stats.answers.ok ?? 0) + 1;
    if (data.rota_recall) recall(pushes, push, behaviour, devices);
    else if (behaviour.kind === 'delivers') devices.deliver(data, behaviour.delayMs, (r) => (push.receipt = r));
    if (behaviour.kind === 'silent' && behaviour.ackDelayMs) {
      devices.later(behaviour.ackDelayMs, () => {
        if (!res.writableEnded && !res.destroyed) res.json({ name: push.name });
      });
      return;
    }
    res.json({ name: push.name });
  });

  const fail = (f: FcmFault) => {
    fault.status = f.status;
    fault.remaining = f.count;
    fault.retryAfterSeconds = f.retryAfterSeconds;
  };
  app.post('/sim/faults', (req, res) => {
    const { status, count, retryAfterSeconds } = (req.body ?? {}) as Partial<FcmFault>;
    if (status === undefined || !(status in FAULT_ANSWERS)) {
      res.status(400).json({ error: { message: `status must be one of ${Object.keys(FAULT_ANSWERS).join(', ')}` } });
      return;
    }
    fail({ status, count: count ?? 1, retryAfterSeconds });
    res.json({ status: fault.status, remaining: fault.remaining, retryAfterSeconds: fault.retryAfterSeconds ?? null });
  });
  app.get('/sim/pushes', (req, res) => {
    const { messageId, token } = req.query;
    const list = pushes.filter((p) => (typeof messageId !== 'string' || p.data.rota_message_id === messageId) && (typeof token !== 'string' || p.token === token));
    res.json({ total: list.length, pushes: list });
  });
  app.get('/sim/stats', (_req, res) => {
    res.json(stats);
  });

  const server = await listen(app, opts.port, opts.host);
  return {
    ...server,
    tokenUrl: `${server.url}/token`,
    pushes,
    stats,
    callsFor: (messageId) => calls.get(messageId) ?? 0,
    callsPerSecond,
    fail,
    async close() {
      devices.close();
      await server.close();
    },
  };
}

/** What FCM would refuse in the request body, in its words; undefined when it is a valid v1 send. */
function invalidRequest(body: unknown): string | undefined {
  if (!isObject(body)) return 'Invalid JSON payload received.';
  for (const k of Object.keys(body)) if (k !== 'message' && k !== 'validate_only') return `Invalid JSON payload received. Unknown name "${k}": Cannot find field.`;
  const m = body.message;
  if (!isObject(m)) return 'Invalid JSON payload received. message is required.';
  for (const k of Object.keys(m)) if (!MESSAGE_FIELDS.has(k)) return `Invalid JSON payload received. Unknown name "${k}" at 'message': Cannot find field.`;
  const targets = ['token', 'topic', 'condition'].filter((k) => m[k] !== undefined);
  if (targets.length !== 1) return 'Exactly one of message.token, message.topic or message.condition must be given.';
  if (m.token !== undefined && (typeof m.token !== 'string' || !m.token)) return "Invalid value at 'message.token' (TYPE_STRING)";
  const dataProblem = invalidData(m.data, 'message.data');
  if (dataProblem) return dataProblem;
  if (m.notification !== undefined) {
    if (!isObject(m.notification)) return "Invalid value at 'message.notification'";
    for (const [k, v] of Object.entries(m.notification)) {
      if (!NOTIFICATION_FIELDS.has(k)) return `Invalid JSON payload received. Unknown name "${k}" at 'message.notification': Cannot find field.`;
      if (typeof v !== 'string') return `Invalid value at 'message.notification.${k}' (TYPE_STRING)`;
    }
  }
  if (m.android !== undefined) {
    const a = m.android;
    if (!isObject(a)) return "Invalid value at 'message.android'";
    for (const k of Object.keys(a)) if (!ANDROID_FIELDS.has(k)) return `Invalid JSON payload received. Unknown name "${k}" at 'message.android': Cannot find field.`;
    if (a.priority !== undefined && !(typeof a.priority === 'string' && /^(normal|high)$/i.test(a.priority))) return `Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), "${String(a.priority)}"`;
    if (a.ttl !== undefined) {
      const ttl = typeof a.ttl === 'string' ? /^(\d+)(\.\d{1,9})?s$/.exec(a.ttl) : null;
      if (!ttl) return `Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), "${String(a.ttl)}"`;
      if (Number(ttl[1]) > MAX_TTL_SECONDS) return 'message.android.ttl must be at most 2419200s (28 days).';
    }
    if (a.collapse_key !== undefined && typeof a.collapse_key !== 'string') return "Invalid value at 'message.android.collapse_key' (TYPE_STRING)";
    if (a.notification !== undefined && !isObject(a.notification)) return "Invalid value at 'message.android.notification'";
    const androidData = invalidData(a.data, 'message.android.data');
    if (androidData) return androidData;
  }
  if (Buffer.byteLength(JSON.stringify({ data: m.data, notification: m.notification })) > MAX_PAYLOAD_BYTES) return 'Android message is too big';
  return undefined;
}

function invalidData(data: unknown, at: string): string | undefined {
  if (data === undefined) return undefined;
  if (!isObject(data)) return `Invalid value at '${at}'`;
  for (const [i, [k, v]] of Object.entries(data).entries()) {
    if (typeof v !== 'string') return `Invalid value at '${at}[${i}].value' (TYPE_STRING), ${JSON.stringify(v)}`;
    if (RESERVED_DATA_KEY.test(k)) return `Invalid data payload key: ${k}`;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
