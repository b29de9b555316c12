/**
 * Push-with-receipt throughput: N messages through `POST /v1/messages`, each a Temporal
 * workflow (push → device receipt → signal → done), against the raw floor: the same N
 * pushes posted straight to the same push simulator by a loop with no durability, each
 * counted done when its receipt arrives. Both run in this process, on the same servers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApi } from '../api/server';
import { loadConfig } from '../config';
import { connectDb } from '../data/db';
import { freePort, type Stack } from '../infra/stack';
import { createLogger } from '../lib/logger';
import { createHttpPushProvider } from '../providers/push';
import { startPushSimulator } from '../simulators/pushSimulator';
import { startSmsSimulator } from '../simulators/smsSimulator';
import { seedDemoApp } from '../tenants/apiKeys';
import { startWorker } from '../worker';

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

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
  const push = await startPushSimulator({ receiptUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`, receiptDelayMs: 0 });
  const provider = createHttpPushProvider(push.url);
  const started = performance.now();
  await pool([...Array(n).keys()], concurrency, async (i) => {
    await provider.send({ token: `sim-delivers-0ms-${i}`, platform: 'android', title: 't', body: 'b', data: { rota_message_id: String(i) }, idempotencyKey: `floor-${i}` });
  });
  await until(async () => receipts >= n);
  const ms = performance.now() - started;
  await push.close();
  sink.close();
  return ms;
}

export async function benchMessages(stack: Pick<Stack, 'mongoUri' | 'temporalAddress' | 'smtpUrl'>, n: number, concurrency: number): Promise<string[]> {
  const port = await freePort();
  const push = await startPushSimulator({ receiptUrl: `http://127.0.0.1:${port}/v1/receipts`, receiptDelayMs: 0 });
  const sms = await startSmsSimulator();
  const config = loadConfig({
    PORT: String(port), MONGODB_URI: stack.mongoUri.replace(/\/([^/?]*)(\?|$)/, `/bench_${Date.now()}$2`), TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-${Date.now()}`, SMTP_URL: stack.smtpUrl, PUSH_PROVIDER_URL: push.url, SMS_PROVIDER_URL: sms.url,
    RECEIPT_SECRET: 'bench-secret-0123456789', LOG_LEVEL: 'warn',
  });
  const db = await connectDb(config.MONGODB_URI);
  const key = await seedDemoApp(db);
  const api = await startApi(config, createLogger('warn'));
  const worker = await startWorker(config);
  const call = (path: string, body: unknown) =>
    fetch(`${api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const ids = [...Array(n).keys()];
  await pool(ids, concurrency, async (i) => void (await call('/v1/profiles', { externalId: `u${i}`, devices: [{ token: `sim-delivers-0ms-${i}`, platform: 'android' }] })).text());

  const started = performance.now();
  await pool(ids, concurrency, async (i) => {
    const res = await call('/v1/messages', { to: { externalId: `u${i}` }, push: { title: 't', body: 'b' }, fallbackAfterSeconds: 600 });
    if (res.status !== 202) throw new Error(`POST /v1/messages answered ${res.status}: ${await res.text()}`);
  });
  const acceptedMs = performance.now() - started;
  await until(async () => (await db.messages.countDocuments({ appId: 'demo', status: 'delivered_by_push' })) >= n);
  const rotaMs = performance.now() - started;

  await worker.stop();
  await api.close();
  await db.conn.dropDatabase();
  await db.close();
  await push.close();
  await sms.close();

  const floorMs = await rawFloor(n, concurrency);
  const rate = (ms: number) => ((n / ms) * 1000).toFixed(1);
  return [
    `messages (push → receipt → done), n=${n}, concurrency=${concurrency}`,
    `  Rota (API + workflow + MongoDB records): ${rotaMs.toFixed(0)} ms, ${rate(rotaMs)} msg/s (all ${n} accepted by the API after ${acceptedMs.toFixed(0)} ms)`,
    `  raw floor (push call + receipt only):    ${floorMs.toFixed(0)} ms, ${rate(floorMs)} msg/s`,
    `  ratio Rota/floor (time): ${(rotaMs / floorMs).toFixed(1)}x`,
  ];
}
