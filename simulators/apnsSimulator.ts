/**
 * APNs simulator over HTTP/2 (h2c: plain-text HTTP/2 with prior knowledge, which
 * node:http2's client speaks to an `http://` URL). `POST /3/device/{token}` is checked the
 * way APNs checks it and answered in APNs' words (`{reason}`, and `timestamp` on 410):
 *
 * - the provider token: `authorization: bearer <ES256 JWT>` whose header kid is a
 *   configured key, whose iss is that key's team and whose signature verifies with its
 *   public key (403 MissingProviderToken / InvalidProviderToken), issued less than an hour
 *   ago by the simulator's clock (403 ExpiredProviderToken); a token replaced on one
 *   connection sooner than 20 minutes after the one before is 429
 *   TooManyProviderTokenUpdates;
 * - the headers: apns-topic (a configured bundle id), apns-push-type, apns-priority (a
 *   background push must be 5), apns-expiration, apns-collapse-id (≤ 64 bytes), apns-id (a
 *   UUID); the payload: JSON with `aps`, ≤ 4096 bytes (413 PayloadTooLarge), alert pushes
 *   with `aps.alert`, background pushes with `content-available: 1`.
 *
 * Then the device token decides (see simulators/deviceReceipts.ts):
 *
 *   sim-delivers-… / sim-delivers-2500ms-…   200; a receipt goes to Rota after the delay
 *   sim-silent-… / sim-slowack-3000ms-…      200 (after 3 s); the device never answers
 *   sim-unregistered-…                       410 Unregistered with a timestamp
 *   sim-invalid-…                            400 BadDeviceToken
 *   sim-throttled-…                          429 TooManyRequests
 *
 * A repeated apns-id is answered 200 and not shown again (the device shows one notification).
 * The same port answers HTTP/1.1 for the simulator's own endpoints, so curl works without
 * flags: `POST /sim/faults {status: 429|500|503|403, count, retryAfterSeconds?, reason?}`
 * makes the next `count` device calls fail so; `GET /sim/pushes?messageId=&token=` lists
 * what the devices received; `GET /sim/stats` counts answers, sessions and provider tokens.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { decodeJwt, publicKeyOf, verifyJwtSignature } from '../lib/jwt';
import { createDevices, deviceBehaviour, recall, type DeviceReceipt } from './deviceReceipts';
import type { SimServer } from './simServer';

export interface ApnsSimulatorKey {
  keyId: string;
  teamId: string;
  /** The public half of the .p8 key (PEM or KeyObject). */
  publicKey: string | KeyObject;
}

export interface ApnsSimulatorOptions {
  port?: number;
  host?: string;
  keys: ApnsSimulatorKey[];
  /** Topics (bundle ids) it accepts; any when not given. */
  bundleIds?: string[];
  receiptUrl?: string;
  receiptDelayMs?: number;
  /** The simulator's clock (ms since the epoch). */
  now?: () => number;
  /** Provider tokens older than this are ExpiredProviderToken. Default 1 hour. */
  maxTokenAgeMs?: number;
  /** A new provider token on a connection sooner than this after the last is TooManyProviderTokenUpdates. Default 20 minutes; 0 = never. */
  minTokenRefreshMs?: number;
}

export interface SimulatedApnsPush {
  apnsId: string;
  token: string;
  topic: string;
  pushType: string;
  priority: number;
  expiration?: number;
  collapseId?: string;
  payload: Record<string, unknown>;
  providerToken: { kid: string; iss: string; iat: number };
  receivedAt: string;
  receipt?: DeviceReceipt;
  /** A recall push (`rota_recall`) with the same delivery took this notification off the device. */
  removedAt?: string;
}

export interface ApnsSimulatorStats {
  /** Device requests, answered or not. */
  requests: number;
  /** HTTP/2 connections opened. */
  sessions: number;
  /** Distinct provider tokens (JWTs) accepted. */
  providerTokens: number;
  /** Answers by reason (`ok` for 200). */
  answers: Record<string, number>;
}

export interface ApnsFault {
  status: 403 | 429 | 500 | 503;
  count: number;
  retryAfterSeconds?: number;
  /** Default: ExpiredProviderToken, TooManyRequests, InternalServerError, ServiceUnavailable. */
  reason?: string;
}

export interface ApnsSimulator extends SimServer {
  pushes: SimulatedApnsPush[];
  stats: ApnsSimulatorStats;
  callsFor(messageId: string): number;
  fail(fault: ApnsFault): void;
  /** Ends every HTTP/2 connection, with GOAWAY (as APNs does now and then) or by resetting it: a client must connect again. */
  dropSessions(how?: 'goaway' | 'reset'): void;
}

const PUSH_TYPES = new Set(['alert', 'background', 'voip', 'complication', 'fileprovider', 'mdm', 'liveactivity', 'location', 'pushtotalk', 'controls', 'widgets']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PAYLOAD_BYTES = 4096;
const DEFAULT_REASONS: Record<ApnsFault['status'], string> = { 403: 'ExpiredProviderToken', 429: 'TooManyRequests', 500: 'InternalServerError', 503: 'ServiceUnavailable' };
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

type Answer = { status: number; reason?: string; timestamp?: number; apnsId?: string; retryAfterSeconds?: number };

export async function startApnsSimulator(opts: ApnsSimulatorOptions): Promise<ApnsSimulator> {
  const now = opts.now ?? Date.now;
  const maxAge = opts.maxTokenAgeMs ?? 3600_000;
  const minRefresh = opts.minTokenRefreshMs ?? 20 * 60_000;
  const keys = new Map(opts.keys.map((k) => [k.keyId, { ...k, key: publicKeyOf(k.publicKey) }]));
  const pushes: SimulatedApnsPush[] = [];
  const byApnsId = new Map<string, SimulatedApnsPush>();
  const calls = new Map<string, number>();
  const acceptedTokens = new Set<string>();
  const stats: ApnsSimulatorStats = { requests: 0, sessions: 0, providerTokens: 0, answers: {} };
  const fault: { status: ApnsFault['status']; remaining: number; retryAfterSeconds?: number; reason?: string } = { status: 503, remaining: 0 };
  const devices = createDevices(opts.receiptUrl);
  /** Per connection: the newest accepted provider token's iat, per key. */
  const lastIat = new WeakMap<ServerHttp2Session, Map<string, number>>();

  function providerTokenProblem(headers: IncomingHttpHeaders, session: ServerHttp2Session): Answer | { kid: string; iss: string; iat: number; jwt: string } {
    const auth = headers.authorization;
    const m = typeof auth === 'string' ? /^bearer (.+)$/i.exec(auth) : null;
    if (!m) return { status: 403, reason: 'MissingProviderToken' };
    const jwt = decodeJwt(m[1]!);
    const entry = jwt && typeof jwt.header.kid === 'string' ? keys.get(jwt.header.kid) : undefined;
    if (!jwt || !entry || jwt.claims.iss !== entry.teamId || typeof jwt.claims.iat !== 'number' || !verifyJwtSignature(jwt, 'ES256', entry.key)) {
      return { status: 403, reason: 'InvalidProviderToken' };
    }
    const iat = jwt.claims.iat;
    const t = now();
    if (iat * 1000 > t + 60_000) return { status: 403, reason: 'InvalidProviderToken' };
    if (t - iat * 1000 > maxAge) return { status: 403, reason: 'ExpiredProviderToken' };
    const seen = lastIat.get(session) ?? new Map<string, number>();
    lastIat.set(session, seen);
    const last = seen.get(entry.keyId);
    if (last !== undefined && iat > last && (iat - last) * 1000 < minRefresh) return { status: 429, reason: 'TooManyProviderTokenUpdates' };
    if (last === undefined || iat > last) seen.set(entry.keyId, iat);
    return { kid: entry.keyId, iss: entry.teamId, iat, jwt: m[1]! };
  }

  function handleDevice(headers: IncomingHttpHeaders, body: Buffer, session: ServerHttp2Session, respond: (a: Answer, delayMs?: number) => void): void {
    stats.requests++;
    const path = String(headers[':path'] ?? '');
    const m = /^\/3\/device\/([^/?]*)$/.exec(path);
    if (!m) return respond({ status: 404, reason: 'BadPath' });
    if (headers[':method'] !== 'POST') return respond({ status: 405, reason: 'MethodNotAllowed' });
    const token = decodeURIComponent(m[1]!);
    if (!token) return respond({ status: 400, reason: 'MissingDeviceToken' });
    const auth = providerTokenProblem(headers, session);
    if ('status' in auth) return respond(auth);

    const one = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const apnsIdHeader = one('apns-id');
    if (apnsIdHeader !== undefined && !UUID.test(apnsIdHeader)) return respond({ status: 400, reason: 'BadMessageId' });
    const apnsId = (apnsIdHeader ?? randomUUID()).toLowerCase();
    const bad = (reason: string, status = 400) => respond({ status, reason, apnsId });
    const topic = one('apns-topic');
    if (!topic) return bad('MissingTopic');
    if (opts.bundleIds && !opts.bundleIds.includes(topic)) return bad('TopicDisallowed');
    const pushType = one('apns-push-type');
    if (!pushType || !PUSH_TYPES.has(pushType)) return bad('InvalidPushType');
    const priorityHeader = one('apns-priority');
    if (priorityHeader !== undefined && !['1', '5', '10'].includes(priorityHeader)) return bad('BadPriority');
    const priority = priorityHeader === undefined ? 10 : Number(priorityHeader);
    if (pushType === 'background' && priority !== 5) return bad('BadPriority');
    const expirationHeader = one('apns-expiration');
    if (expirationHeader !== undefined && !/^\d+$/.test(expirationHeader)) return bad('BadExpirationDate');
    const collapseId = one('apns-collapse-id');
    if (collapseId !== undefined && Buffer.byteLength(collapseId) > 64) return bad('BadCollapseId');
    if (body.length === 0) return bad('PayloadEmpty');
    if (body.length > MAX_PAYLOAD_BYTES) return bad('PayloadTooLarge', 413);
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return bad('PayloadEmpty');
    }
    const aps = payload?.aps as Record<string, unknown> | undefined;
    if (typeof aps !== 'object' || aps === null) return bad('PayloadEmpty');
    // What the simulator asks beyond APNs' own reasons: the push type matches the payload.
    if (pushType === 'background' && (aps['content-available'] !== 1 || aps.alert !== undefined || aps.sound !== undefined || aps.badge !== undefined)) return bad('InvalidPushType');
    if (pushType === 'alert' && aps.alert === undefined) return bad('InvalidPushType');

    if (fault.remaining > 0) {
      fault.remaining--;
      return respond({ status: fault.status, reason: fault.reason ?? DEFAULT_REASONS[fault.status], apnsId, retryAfterSeconds: fault.retryAfterSeconds });
    }
    const behaviour = deviceBehaviour(token, opts.receiptDelayMs ?? 1000);
    if (behaviour.kind === 'unregistered') return respond({ status: 410, reason: 'Unregistered', timestamp: now(), apnsId });
    if (behaviour.kind === 'invalid') return bad('BadDeviceToken');
    if (behaviour.kind === 'throttled') return respond({ status: 429, reason: 'TooManyRequests', apnsId });

    if (!acceptedTokens.has(auth.jwt)) {
      acceptedTokens.add(auth.jwt);
      stats.providerTokens++;
    }
    const messageId = typeof payload.rota_message_id === 'string' ? payload.rota_message_id : '';
    calls.set(messageId, (calls.get(messageId) ?? 0) + 1);
    if (!byApnsId.has(apnsId)) {
      const push: SimulatedApnsPush = {
        apnsId,
        token,
        topic,
        pushType,
        priority,
        ...(expirationHeader !== undefined ? { expiration: Number(expirationHeader) } : {}),
        ...(collapseId !== undefined ? { collapseId } : {}),
        payload,
        providerToken: { kid: auth.kid, iss: auth.iss, iat: auth.iat },
        receivedAt: new Date(now()).toISOString(),
      };
      pushes.push(push);
      byApnsId.set(apnsId, push);
      if (payload.rota_recall) recall(pushes, { token, data: payload as Record<string, unknown> }, behaviour, devices);
      else if (behaviour.kind === 'delivers') devices.deliver(payload, behaviour.delayMs, (r) => (push.receipt = r));
    }
    respond({ status: 200, apnsId }, behaviour.kind === 'silent' ? behaviour.ackDelayMs : undefined);
  }

  function fail(f: ApnsFault): void {
    fault.status = f.status;
    fault.remaining = f.count;
    fault.retryAfterSeconds = f.retryAfterSeconds;
    fault.reason = f.reason;
  }

  /** The simulator's own endpoints, the same over HTTP/1.1 and HTTP/2. */
  function simRoute(method: string, rawPath: string, body: Buffer): { status: number; json: unknown } | undefined {
    const url = new URL(rawPath, 'http://sim');
    if (method === 'GET' && url.pathname === '/sim/pushes') {
      const messageId = url.searchParams.get('messageId');
      const token = url.searchParams.get('token');
      const list = pushes.filter((p) => (messageId === null || p.payload.rota_message_id === messageId) && (token === null || p.token === token));
      return { status: 200, json: { total: list.length, pushes: list } };
    }
    if (method === 'GET' && url.pathname === '/sim/stats') return { status: 200, json: stats };
    if (method === 'POST' && url.pathname === '/sim/faults') {
      let f: Partial<ApnsFault> = {};
      try {
        f = JSON.parse(body.toString('utf8') || '{}') as Partial<ApnsFault>;
      } catch {
        return { status: 400, json: { error: { message: 'body must be JSON' } } };
      }
      if (f.status === undefined || !(f.status in DEFAULT_REASONS)) return { status: 400, json: { error: { message: `status must be one of ${Object.keys(DEFAULT_REASONS).join(', ')}` } } };
      fail({ status: f.status, count: f.count ?? 1, retryAfterSeconds: f.retryAfterSeconds, reason: f.reason });
      return { status: 200, json: { ...fault } };
    }
    return undefined;
  }

  const h2 = http2.createServer();
  const sessions = new Set<ServerHttp2Session>();
  h2.on('session', (session) => {
    stats.sessions++;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => session.destroy());
  });
  h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => undefined);
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const sim = simRoute(String(headers[':method']), String(headers[':path']), body);
      if (sim) {
        if (!stream.closed) {
          stream.respond({ ':status': sim.status, 'content-type': 'application/json' });
          stream.end(JSON.stringify(sim.json));
        }
        return;
      }
      handleDevice(headers, body, stream.session as ServerHttp2Session, (a, delayMs) => {
        const send = () => {
          if (stream.closed || stream.destroyed) return;
          stats.answers[a.reason ?? 'ok'] = (stats.answers[a.reason ?? 'ok'] ?? 0) + 1;
          const out: http2.OutgoingHttpHeaders = { ':status': a.status, ...(a.apnsId ? { 'apns-id': a.apnsId } : {}) };
          if (a.retryAfterSeconds !== undefined) out['retry-after'] = String(a.retryAfterSeconds);
          if (a.status === 200) {
            stream.respond(out, { endStream: true });
            return;
          }
          stream.respond({ ...out, 'content-type': 'application/json' });
          stream.end(JSON.stringify({ reason: a.reason, ...(a.timestamp !== undefined ? { timestamp: a.timestamp } : {}) }));
        };
        if (delayMs) devices.later(delayMs, send);
        else send();
      });
    });
  });

  const h1 = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sim = simRoute(req.method ?? 'GET', req.url ?? '/', Buffer.concat(chunks));
      // APNs itself speaks HTTP/2 only.
      const answer = sim ?? { status: 505, json: { reason: 'APNs requires HTTP/2 (h2c here: prior knowledge)' } };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.json));
    });
  });

  // One port for both: a connection that opens with HTTP/2's preface goes to the HTTP/2 server, any other to HTTP/1.1.
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('readable', () => {
      const first = socket.read() as Buffer | null;
      if (!first) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      const n = Math.min(first.length, HTTP2_PREFACE.length);
      (first.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n)) ? h2 : h1).emit('connection', socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    pushes,
    stats,
    callsFor: (messageId) => calls.get(messageId) ?? 0,
    fail,
    dropSessions(how = 'goaway') {
      for (const s of sessions) {
        if (how === 'goaway') s.close();
        else s.destroy();
      }
    },
    async close() {
      devices.close();
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
