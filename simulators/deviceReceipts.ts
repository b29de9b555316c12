/**
 * What a simulated device does after a push reached it: post a "delivered" receipt to Rota's
 * `/v1/receipts` with the `rota_*` fields the push carried (app, message, receipt token),
 * retrying a few times as an SDK would. Shared by the FCM, APNs and web push simulators.
 */

export interface DeviceReceipt {
  status: 'delivered' | 'removed';
  postedAt: string;
  httpStatus: number;
  /** Posts made so far, the ones no one answered (a connection refused) included. */
  attempts: number;
}

/** The token's behaviour, read from its prefix (see each simulator's header). */
export type DeviceBehaviour =
  | { kind: 'delivers'; delayMs: number }
  | { kind: 'silent'; ackDelayMs?: number }
  | { kind: 'unregistered' }
  | { kind: 'invalid' }
  | { kind: 'throttled' };

export function deviceBehaviour(token: string, defaultDelayMs: number): DeviceBehaviour {
  if (token.startsWith('sim-silent')) return { kind: 'silent' };
  const slow = /^sim-slowack-(\d+)ms-/.exec(token);
  if (slow) return { kind: 'silent', ackDelayMs: Number(slow[1]) };
  if (token.startsWith('sim-unregistered')) return { kind: 'unregistered' };
  if (token.startsWith('sim-invalid')) return { kind: 'invalid' };
  if (token.startsWith('sim-throttled')) return { kind: 'throttled' };
  const m = /^sim-delivers-(\d+)ms-/.exec(token);
  return { kind: 'delivers', delayMs: m ? Number(m[1]) : defaultDelayMs };
}

/** The wait before a receipt is posted again grows by this much a try, to at most 5 s. */
const RETRY_STEP_MS = 500;
const RETRY_MAX_MS = 5000;
/**
 * A simulator's devices share this many connections to Rota: a hundred thousand phones in
 * one test process, each with a socket of its own (and Rota's end of it in the same process)
 * would run it out of file descriptors while Rota is busy. The rest wait their turn here.
 */
const POSTS_IN_FLIGHT = 256;

/**
 * Devices that answer later: `deliver` schedules a receipt, `close` cancels what is pending.
 * The receipt goes only when the push carries the `rota_*` fields.
 */
export function createDevices(receiptUrl: string | undefined) {
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let posting = 0;
  const queued: (() => void)[] = [];
  const slot = async () => {
    if (posting < POSTS_IN_FLIGHT) posting++;
    else await new Promise<void>((r) => queued.push(r)); // handed over by the post that finished
  };
  const release = () => {
    const next = queued.shift();
    if (next) next();
    else posting--;
  };

  async function post(data: Record<string, unknown>, record: (r: DeviceReceipt) => void, status: DeviceReceipt['status']): Promise<void> {
    // A message's push names the message; a batch's (campaign, journey step) names its delivery.
    const about = typeof data.rota_message_id === 'string' ? { messageId: data.rota_message_id } : { deliveryId: data.rota_delivery_id };
    const body = { appId: data.rota_app_id, ...about, token: data.rota_receipt_token, status };
    // A phone's SDK keeps a receipt until it is answered: a busy or restarting Rota (5xx, no
    // connection) gets it again, however long that takes; only closing the simulator drops it.
    for (let attempt = 1; !closed; attempt++) {
      await slot();
      try {
        const res = await fetch(receiptUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await res.body?.cancel();
        record({ status, postedAt: new Date().toISOString(), httpStatus: res.status, attempts: attempt });
        if (res.status < 500) return;
      } catch {
        // Rota may be restarting; try again
      } finally {
        release();
      }
      await new Promise((r) => setTimeout(r, Math.min(RETRY_MAX_MS, RETRY_STEP_MS * attempt)));
    }
  }

  return {
    /** `removed`: the device took a recalled notification off the screen (a campaign's recall push), and says so. */
    deliver(data: Record<string, unknown>, delayMs: number, record: (r: DeviceReceipt) => void, status: DeviceReceipt['status'] = 'delivered'): void {
      if (!receiptUrl || typeof data.rota_receipt_token !== 'string' || (typeof data.rota_message_id !== 'string' && typeof data.rota_delivery_id !== 'string')) return;
      const t = setTimeout(() => {
        timers.delete(t);
        void post(data, record, status);
      }, delayMs);
      timers.add(t);
    },
    /** Runs `fn` after `ms` unless closed first (a slow provider answer). */
    later(ms: number, fn: () => void): void {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    close(): void {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/**
 * A campaign's recall push reached a device: the notification it names (the push of the same
 * delivery to the same token) is taken off the screen, and a device that answers says so with
 * a `removed` receipt for that delivery. A silent device removes it without a word.
 */
export function recall(
  pushes: { token: string; data?: Record<string, unknown>; payload?: Record<string, unknown>; removedAt?: string }[],
  push: { token: string; data: Record<string, unknown> },
  behaviour: DeviceBehaviour,
  devices: ReturnType<typeof createDevices>,
): void {
  const target = pushes.find((p) => p.token === push.token && !(p.data ?? p.payload)?.rota_recall && (p.data ?? p.payload)?.rota_delivery_id === push.data.rota_delivery_id);
  if (!target || target.removedAt) return;
  target.removedAt = new Date().toISOString();
  if (behaviour.kind === 'delivers') devices.deliver(push.data, 0, () => undefined, 'removed');
}
