/**
 * At most `limit` calls in any window of `windowMs`, first come first served. İYS counts
 * 10 requests per second per IP at arrival, so the default window carries a margin for
 * the network's jitter. One limiter per IP: clients in one process share it; processes
 * behind one IP must split the budget between them.
 */
export class RateLimiter {
  private readonly sent: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly limit = 10,
    readonly windowMs = 1100,
  ) {}

  /** Resolves when the caller may send. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn;
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = performance.now();
      while (this.sent.length > 0 && now - this.sent[0]! >= this.windowMs) this.sent.shift();
      if (this.sent.length < this.limit) {
        this.sent.push(now);
        return;
      }
      await new Promise((r) => setTimeout(r, this.sent[0]! + this.windowMs - now));
    }
  }
}
