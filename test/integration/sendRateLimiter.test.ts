/**
 * The app's send rate limit shared through the database, on the run's real MongoDB-wire
 * server: two limiters on two connections (as two worker processes have) grant together no
 * more than the limit in one second of the clock, and the whole limit. The clock is the
 * test's, so what is checked is the limiter's budget, not how late an HTTP call arrived.
 */
import { connectDb, type Db } from '../../data/db';
import { createSendRateLimiter, type SendRateLimiter } from '../../activities/sendRateLimiter';
import { testDbUri } from '../support/testDb';
import { eventually } from '../support/harness';

let a: Db;
let b: Db;
let clock = 0;
const now = () => clock;

beforeAll(async () => {
  const uri = testDbUri('ratelimit');
  a = await connectDb(uri);
  b = await connectDb(uri);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

type Ask = { granted?: number; refusedIn: Set<number> };

/** Starts `count` acquires of `want` each, alternating between the two limiters. */
function askMany(limiters: SendRateLimiter[], count: number, want: number, limit: number): Ask[] {
  return Array.from({ length: count }, (_, i) => {
    const ask: Ask = { refusedIn: new Set() };
    void limiters[i % limiters.length]!
      .acquire('demo', 'push', want, limit, () => ask.refusedIn.add(Math.floor(clock / 1000)))
      .then((n) => (ask.granted = n));
    return ask;
  });
}

/** Every ask has been answered in the clock's current second: granted, or refused in it. */
const settled = (asks: Ask[]) => asks.every((x) => x.granted !== undefined || x.refusedIn.has(Math.floor(clock / 1000)));
const grantedSum = (asks: Ask[]) => asks.reduce((sum, x) => sum + (x.granted ?? 0), 0);

test('two limiters on two connections grant exactly the limit per second between them, then the next second’s', async () => {
  const limit = 25;
  clock = 1_800_000_000_200; // 200 ms into a second: no end-of-second margin in play
  const limiters = [createSendRateLimiter(a, now), createSendRateLimiter(b, now)];
  const asks = askMany(limiters, 20, 5, limit); // 100 wanted in asks of 5: four seconds of 25

  for (let second = 1; second <= 4; second++) {
    await eventually(async () => settled(asks) && grantedSum(asks) >= second * limit, 30_000, 20);
    expect(grantedSum(asks)).toBe(second * limit);
    expect(asks.filter((x) => x.granted !== undefined)).toHaveLength(5 * second);
    clock += 1000;
  }
  expect(asks.every((x) => x.granted === 5)).toBe(true);
}, 120_000);

test('a sender does not start in the last 100 ms of a second: it waits for the next one', async () => {
  clock = 1_800_000_100_950;
  let looks = 0;
  const limiter = createSendRateLimiter(a, () => (looks++, clock));
  let granted: number | undefined;
  void limiter.acquire('demo', 'sms', 3, 10).then((n) => (granted = n));
  // It sleeps the 50 ms the clock says are left and finds the same second again, and again.
  await eventually(async () => looks >= 6, 30_000, 20);
  expect(granted).toBeUndefined();
  clock = 1_800_000_101_000;
  await eventually(async () => granted !== undefined, 30_000, 20);
  expect(granted).toBe(3);
});
