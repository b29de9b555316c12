/**
 * Push provider simulator: accepts FCM-v1-shaped sends and plays the devices. The token
 * says how the device behaves, so a test or a person picks it by registering the device:
 *
 *   sim-delivers-…          posts a "delivered" receipt to Rota after the default delay
 *   sim-delivers-2500ms-…   the same after 2.5 s
 *   sim-silent-…            accepted by the provider, the device never answers
 *   sim-unregistered-…      the provider answers 404 UNREGISTERED (a dead token)
 *   sim-slowack-3000ms-…    delivered to the (silent) device at once, but the provider's
 *                           answer takes 3 s: the window in which a sender can die after
 *                           the send and before it has recorded it
 *
 * Sends are deduplicated on `Idempotency-Key`; `GET /sim/pushes?messageId=` lists them.
 */
import { randomUUID } from 'node:crypto';
import { createSimApp, listen, type SimServer } from './simServer';

export interface SimulatedPush {
  name: string;
  token: string;
  title: string;
  body: string;
  data: Record<string, string>;
  idempotencyKey?: string;
  receivedAt: string;
  receipt?: { status: 'delivered'; postedAt: string; httpStatus: number };
}

export interface PushSimulatorOptions {
  port?: number;
  host?: string;
  /** Rota's receipt endpoint, as a device SDK would be configured with it. */
  receiptUrl: string;
  receiptDelayMs?: number;
}

export interface PushSimulator extends SimServer {
  /** Pushes the devices received: one per idempotency key. */
  pushes: SimulatedPush[];
  /** Every accepted send call, a deduplicated repeat included, by message id: a test sees a second call even when the key saved the device from it. */
  callsFor(messageId: string): number;
}

type Behaviour = { kind: 'delivers'; delayMs: number } | { kind: 'silent'; ackDelayMs?: number } | { kind: 'unregistered' };

export function behaviourOf(token: string, defaultDelayMs: number): Behaviour {
  if (token.startsWith('sim-silent')) return { kind: 'silent' };
  const slow = /^sim-slowack-(\d+)ms-/.exec(token);
  if (slow) return { kind: 'silent', ackDelayMs: Number(slow[1]) };
  if (token.startsWith('sim-unregistered')) return { kind: 'unregistered' };
  const m = /^sim-delivers-(\d+)ms-/.exec(token);
  return { kind: 'delivers', delayMs: m ? Number(m[1]) : defaultDelayMs };
}

async function postReceipt(url: string, push: SimulatedPush, stopped: () => boolean): Promise<void> {
  const body = { appId: push.data.rota_app_id, messageId: push.data.rota_message_id, token: push.data.rota_receipt_token, status: 'delivered' };
  // A device retries a failed receipt a few times, as an SDK would.
  for (let attempt = 0; attempt < 5 && !stopped(); attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      push.receipt = { status: 'delivered', postedAt: new Date().toISOString(), httpStatus: res.status };
      if (res.status < 500) return;
    } catch {
      // the API may be restarting; try again
    }
    await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
  }
}

export async function startPushSimulator(opts: PushSimulatorOptions): Promise<PushSimulator> {
  const { app, faultInjection } = createSimApp();
  const pushes: SimulatedPush[] = [];
  const byKey = new Map<string, SimulatedPush>();
  const timers = new Set<NodeJS.Timeout>();
  const calls = new Map<string, number>();
  let closed = false;

  app.post(/^\/v1\/projects\/[^/]+\/messages:send$/, faultInjection, (req, res) => {
    const message = (req.body as { message?: { token?: unknown; notification?: { title?: unknown; body?: unknown }; data?: Record<string, string> } }).message;
    if (typeof message?.token !== 'string' || !message.token) {
      res.status(400).json({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'message.token is required' } });
      return;
    }
    const messageId = message.data?.rota_message_id ?? '';
    calls.set(messageId, (calls.get(messageId) ?? 0) + 1);
    const key = req.header('idempotency-key');
    const seen = key ? byKey.get(key) : undefined;
    if (seen) {
      res.json({ name: seen.name });
      return;
    }
    const behaviour = behaviourOf(message.token, opts.receiptDelayMs ?? 1000);
    if (behaviour.kind === 'unregistered') {
      res.status(404).json({ error: { code: 404, status: 'NOT_FOUND', message: 'Requested entity was not found.', details: [{ errorCode: 'UNREGISTERED' }] } });
      return;
    }
    const push: SimulatedPush = {
      name: `projects/rota/messages/${randomUUID()}`,
      token: message.token,
      title: String(message.notification?.title ?? ''),
      body: String(message.notification?.body ?? ''),
      data: message.data ?? {},
      idempotencyKey: key,
      receivedAt: new Date().toISOString(),
    };
    pushes.push(push);
    if (key) byKey.set(key, push);
    if (behaviour.kind === 'delivers') {
      const t = setTimeout(() => {
        timers.delete(t);
        void postReceipt(opts.receiptUrl, push, () => closed);
      }, behaviour.delayMs);
      timers.add(t);
    }
    if (behaviour.kind === 'silent' && behaviour.ackDelayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.writableEnded && !res.destroyed) res.json({ name: push.name });
      }, behaviour.ackDelayMs);
      timers.add(t);
      return;
    }
    res.json({ name: push.name });
  });

  app.get('/sim/pushes', (req, res) => {
    const messageId = req.query.messageId;
    const list = typeof messageId === 'string' ? pushes.filter((p) => p.data.rota_message_id === messageId) : pushes;
    res.json({ total: list.length, pushes: list });
  });

  const server = await listen(app, opts.port, opts.host);
  return {
    ...server,
    pushes,
    callsFor: (messageId) => calls.get(messageId) ?? 0,
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      await server.close();
    },
  };
}
