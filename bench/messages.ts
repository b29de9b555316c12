/**
 * Push-with-receipt throughput: N messages through `POST /v1/messages`, each a Temporal
 * workflow (push → device receipt → signal → done), against the raw floor: the same N
 * pushes posted straight to the same FCM simulator by a loop with no durability, each
 * counted done when its receipt arrives. Both run in this process, on the same servers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stack } from '../infra/stack';
import { startPushSimulators } from '../simulators/pushSimulators';
import { createPushAdapters } from '../providers/pushAdapters';
import { pool, startBenchRota } from './benchRota';

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 250));
}

/** The floor: push calls and receipt callbacks, nothing recorded anywhere. */
async function rawFloor(n: number, concurrency: number): Promise<number> {
  let receipts = 0;
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      receipts++;
      res.statusCode = 202;
      res.end();
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const push = await startPushSimulators({ receiptUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`, receiptDelayMs: 0 });
  const adapters = createPushAdapters(push.env);
  const provider = (await adapters.forApp('demo', 'android'))!;
  const started = performance.now();
  await pool([...Array(n).keys()], concurrency, async (i) => {
    const out = await provider.send({ token: `sim-delivers-0ms-${i}`, title: 't', body: 'b', data: { rota_message_id: String(i) }, idempotencyKey: `floor-${i}` });
    if (!out.ok) throw new Error(`floor push failed: ${out.code}`);
  });
  await until(async () => receipts >= n);
  const ms = performance.now() - started;
  await adapters.close();
  await push.close();
  sink.close();
  return ms;
}

export async function benchMessages(stack: Pick<Stack, 'mongoUri' | 'temporalAddress' | 'smtpUrl'>, n: number, concurrency: number): Promise<string[]> {
  const rota = await startBenchRota(stack, 'messages', { worker: true });
  const { db } = rota;
  const call = (path: string, body: unknown) => rota.call('POST', path, body);

  const ids = [...Array(n).keys()];
  await pool(ids, concurrency, async (i) => void (await call('/v1/profiles', { externalId: `u${i}`, devices: [{ token: `sim-delivers-0ms-${i}`, platform: 'android' }] })).text());

  const started = performance.now();
  await pool(ids, concurrency, async (i) => {
    const res = await call('/v1/messages', { to: { externalId: `u${i}` }, push: { title: 't', body: 'b' }, fallbackAfterSeconds: 600 });
    if (res.status !== 202) throw new Error(`POST /v1/messages answered ${res.status}: ${await res.text()}`);
  });
  const acceptedMs = performance.now() - started;
  await until(async () => (await db.messages.countDocuments({ appId: 'demo', 'progress.status': 'delivered_by_push' })) >= n);
  const rotaMs = performance.now() - started;

  await rota.stop();

  const floorMs = await rawFloor(n, concurrency);
  const rate = (ms: number) => ((n / ms) * 1000).toFixed(1);
  return [
    `messages (push → receipt → done), n=${n}, concurrency=${concurrency}`,
    `  Rota (API + workflow + MongoDB records): ${rotaMs.toFixed(0)} ms, ${rate(rotaMs)} msg/s (all ${n} accepted by the API after ${acceptedMs.toFixed(0)} ms)`,
    `  raw floor (push call + receipt only):    ${floorMs.toFixed(0)} ms, ${rate(floorMs)} msg/s`,
    `  ratio Rota/floor (time): ${(rotaMs / floorMs).toFixed(1)}x`,
  ];
}
