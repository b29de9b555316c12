/**
 * At most `limit` calls in any window of `windowMs`, first come first served. İYS counts
 * 10 requests per second per IP at arrival. A call's arrival lies somewhere between the
 * moment it was let go and its answer, so a slot is held while the call is out and for a
 * whole window after its answer (`release`): then no `limit + 1` arrivals can ever fall in
 * one window, however late the network or a busy event loop delivers them. One limiter per
 * IP: clients in one process share it; processes behind one IP must split the budget.
 */
interface Slot {
  /** When the call's answer came (or it failed); undefined while it is out. */
  doneAt?: number;
}

export class RateLimiter {
  private readonly slots: Slot[] = [];
  private queue: Promise<void> = Promise.resolve();
  private wake?: () => void;

  constructor(
    readonly limit = 10,
    readonly windowMs = 1050,
  ) {}

  /** Resolves, when the caller may send, with the function to call once the call has its answer. */
  acquire(): Promise<() => void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.then(() => undefined);
    return turn;
  }

  private async waitForSlot(): Promise<() => void> {
    for (;;) {
      const now = performance.now();
      for (let i = this.slots.length - 1; i >= 0; i--) {
        const done = this.slots[i]!.doneAt;
        if (done !== undefined && now - done >= this.windowMs) this.slots.splice(i, 1);
      }
      if (this.slots.length < this.limit) {
        const slot: Slot = {};
        this.slots.push(slot);
        return () => {
          if (slot.doneAt !== undefined) return;
          slot.doneAt = performance.now();
          this.wake?.();
        };
      }
      // Wait for the first answered slot to leave the window, or for an answer that starts one.
      const ends = this.slots.flatMap((s) => (s.doneAt === undefined ? [] : [s.doneAt + this.windowMs - now]));
      await new Promise<void>((resolve) => {
        const timer = ends.length > 0 ? setTimeout(resolve, Math.max(1, Math.min(...ends))) : undefined;
        this.wake = () => {
          if (timer) clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }
}
