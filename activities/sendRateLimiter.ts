/**
 * Rate limits per app and channel, shared by every worker process through the database:
 *
 * - **The limit.** One counter document per app, channel and second of the clock
 *   (`{appId}:{channel}:{epochSecond}`): a sender `$inc`s it by the sends it wants, with an
 *   `_id`-only upsert (atomic per document on MongoDB and on Rota's FerretDB), and may make
 *   as many of them as fitted under the limit before its increment. Every worker counts in the
 *   same document, so N workers together never pass the limit in one second. A sender does not
 *   start on a second that is about to end, so that its calls do not spill into the next
 *   second's budget.
 * - **The pause.** A provider's 429 with Retry-After sets `pausedUntil` on the app and
 *   channel's pause document (`$max`, so a shorter answer never shortens a longer pause);
 *   every sender reads it before it claims.
 *
 * Counter documents of past seconds are deleted by their `_id` by the first sender of a new
 * second; a second nobody sent in leaves nothing behind.
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';

type RateDoc = { _id: string; n?: number; pausedUntil?: Date };

/** A second within this many milliseconds of its end is left for the next one. */
const END_OF_SECOND_MARGIN_MS = 100;

export interface SendRateLimiter {
  /**
   * Waits until up to `want` sends of the channel may go now, and answers how many (≥ 1).
   * `limit` undefined: no limit (the pause is still honoured). `onWait` is called while
   * waiting (a heartbeat).
   */
  acquire(appId: string, channel: string, want: number, limit: number | undefined, onWait?: () => void): Promise<number>;
  /** The provider asked the channel to wait until `until`: every worker waits. */
  pause(appId: string, channel: string, until: Date): Promise<void>;
  pausedUntil(appId: string, channel: string): Promise<Date | undefined>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createSendRateLimiter(db: Db, now: () => number = Date.now): SendRateLimiter {
  // Tiny documents, read and written by `_id` only: the collection needs no model or index.
  const rates = db.conn.collection<RateDoc>('sendRates');
  const pauseId = (appId: string, channel: string) => `${appId}:${channel}:pause`;
  const windowId = (appId: string, channel: string, second: number) => `${appId}:${channel}:${second}`;

  async function pausedUntil(appId: string, channel: string): Promise<Date | undefined> {
    const doc = await rates.findOne({ _id: pauseId(appId, channel) });
    return doc?.pausedUntil && doc.pausedUntil.getTime() > now() ? doc.pausedUntil : undefined;
  }

  /** Sleeps `ms`, calling `onWait` at least every second. */
  async function wait(ms: number, onWait?: () => void): Promise<void> {
    for (let left = ms; left > 0; left -= 1000) {
      onWait?.();
      await sleep(Math.min(left, 1000));
    }
  }

  async function increment(id: string, by: number): Promise<number> {
    for (let tries = 0; ; tries++) {
      try {
        const doc = await rates.findOneAndUpdate({ _id: id }, { $inc: { n: by } }, { upsert: true, returnDocument: 'after' });
        return doc?.n ?? by;
      } catch (err) {
        // Two first senders of a second may race to create its document; the loser increments it.
        if (!isDuplicateKey(err) || tries >= 3) throw err;
      }
    }
  }

  return {
    pausedUntil,
    async pause(appId, channel, until) {
      await rates.updateOne({ _id: pauseId(appId, channel) }, { $max: { pausedUntil: until } }, { upsert: true });
    },
    async acquire(appId, channel, want, limit, onWait) {
      for (;;) {
        const paused = await pausedUntil(appId, channel);
        if (paused) {
          await wait(paused.getTime() - now(), onWait);
          continue;
        }
        if (limit === undefined) return want;
        const t = now();
        const second = Math.floor(t / 1000);
        const leftInSecond = (second + 1) * 1000 - t;
        if (leftInSecond < END_OF_SECOND_MARGIN_MS) {
          await sleep(leftInSecond);
          continue;
        }
        const ask = Math.min(want, limit);
        const after = await increment(windowId(appId, channel, second), ask);
        const before = after - ask;
        if (before === 0) {
          // The first sender of this second clears the documents of the seconds before it.
          for (const old of [1, 2, 3]) void rates.deleteOne({ _id: windowId(appId, channel, second - old) }).catch(() => undefined);
        }
        const granted = Math.max(0, Math.min(ask, limit - before));
        if (granted > 0) return granted;
        onWait?.();
        await sleep(Math.max(1, (second + 1) * 1000 - now()));
      }
    },
  };
}
