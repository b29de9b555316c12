/**
 * İYS's per-IP limits: 10 requests in any second on every endpoint (H124), and hourly
 * quotas on the token (H084) and single status (H086) endpoints. The per-second window is
 * measured on the real clock at arrival; hourly windows on the simulator clock, so a test
 * can jump an hour ahead.
 */

/** A sliding one-second window per key. */
export class PerSecondLimit {
  private readonly arrivals = new Map<string, number[]>();
  constructor(private readonly limit: number) {}

  /** Records an arrival; false when it exceeds the limit (a refused call still counts against the window, as a gateway counts it). */
  take(key: string, now = performance.now()): boolean {
    const list = (this.arrivals.get(key) ?? []).filter((t) => now - t < 1000);
    list.push(now);
    this.arrivals.set(key, list);
    return list.length <= this.limit;
  }

  reset(): void {
    this.arrivals.clear();
  }
}

/**
 * A fixed hourly window per key. With `restartOnRefusal` a call made while limited starts
 * the hour again, as the document says of the token endpoint ("süre dolmadan yeniden istek
 * atılması halinde 1 saatlik sayaç yeniden başlayacaktır").
 */
export class HourlyLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly restartOnRefusal = false,
  ) {}

  take(key: string, now: number): boolean {
    let w = this.windows.get(key);
    if (!w || now - w.start >= 3_600_000) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.limit) {
      if (this.restartOnRefusal) w.start = now;
      return false;
    }
    w.count++;
    return true;
  }

  reset(): void {
    this.windows.clear();
  }
}
