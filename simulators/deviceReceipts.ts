/**
 * What a simulated device does after a push reached it: post a "delivered" receipt to Rota's
 * `/v1/receipts` with the `rota_*` fields the push carried (app, message, receipt token),
 * retrying a few times as an SDK would. Shared by the FCM, APNs and web push simulators.
 */

export interface DeviceReceipt {
  status: 'delivered';
  postedAt: string;
  httpStatus: number;
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

/**
 * Devices that answer later: `deliver` schedules a receipt, `close` cancels what is pending.
 * The receipt goes only when the push carries the `rota_*` fields.
 */
export function createDevices(receiptUrl: string | undefined) {
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  async function post(data: Record<string, unknown>, record: (r: DeviceReceipt) => void): Promise<void> {
    const body = { appId: data.rota_app_id, messageId: data.rota_message_id, token: data.rota_receipt_token, status: 'delivered' };
    for (let attempt = 0; attempt < 5 && !closed; attempt++) {
      try {
        const res = await fetch(receiptUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await res.body?.cancel();
        record({ status: 'delivered', postedAt: new Date().toISOString(), httpStatus: res.status });
        if (res.status < 500) return;
      } catch {
        // Rota may be restarting; try again
      }
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }

  return {
    deliver(data: Record<string, unknown>, delayMs: number, record: (r: DeviceReceipt) => void): void {
      if (!receiptUrl || typeof data.rota_message_id !== 'string') return;
      const t = setTimeout(() => {
        timers.delete(t);
        void post(data, record);
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
