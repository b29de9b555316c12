/** One Rota for a benchmark: its own database and task queue on the run's servers, the API over HTTP, and optionally a worker. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startApi } from '../api/server';
import { loadConfig, type Config } from '../config';
import { connectDb, type Db } from '../data/db';
import { freePort, type Stack } from '../infra/stack';
import { startWorkerProcess, untilWorkerPolls } from '../infra/workerProcess';
import { createLogger } from '../lib/logger';
import { startPushSimulators, type PushSimulators } from '../simulators/pushSimulators';
import { startSmsSimulator } from '../simulators/smsSimulator';
import { seedDemoApp } from '../tenants/apiKeys';
import { startWorker } from '../worker';

export interface BenchRota {
  db: Db;
  /** The API's address and the demo app's key (all roles), for a client of its own (a browser). */
  url: string;
  key: string;
  /** The push simulators the worker sends to (what devices got, and when). */
  push: PushSimulators;
  call(method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * `n` profiles of the demo app written straight to the database in chunks of 1000 (`_id`
 * `demo:prf_{prefix}{i}` in `_id` order, externalId `{prefix}-{i}`), each with `attributes` and one
 * Android device `sim-silent-{prefix}{i}`: the simulator accepts its pushes and the device sends no
 * receipt. Answers the `_id`s.
 */
export async function insertPushProfiles(db: Db, prefix: string, n: number, attributes: Record<string, unknown> = {}): Promise<string[]> {
  const at = new Date();
  const ids = Array.from({ length: n }, (_, i) => `demo:prf_${prefix}${String(i).padStart(7, '0')}`);
  for (let start = 0; start < n; start += 1000) {
    await db.profiles.insertMany(
      ids.slice(start, start + 1000).map((_id, k) => ({
        _id, appId: 'demo', externalId: `${prefix}-${start + k}`, attributes, createdAt: at, updatedAt: at,
        devices: [{ token: `sim-silent-${prefix}${start + k}`, platform: 'android', pushEnabled: true, updatedAt: at }],
      })),
    );
  }
  return ids;
}

/** A worker process of its own (as `npm run dev` starts it), once it polls its task queue. */
async function workerProcess(env: NodeJS.ProcessEnv, config: Config): Promise<{ stop(): Promise<void> }> {
  const proc = startWorkerProcess(env, mkdtempSync(path.join(tmpdir(), 'rota-bench-worker-')));
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    await untilWorkerPolls(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE, proc);
    return proc;
  } finally {
    await connection.close();
  }
}

export async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/**
 * `worker`: none, one in this process, or `'process'`: one of its own at a lower priority, as
 * `npm run dev` runs it (infra/workerProcess.ts), ready once it polls the task queue.
 */
export async function startBenchRota(stack: Pick<Stack, 'mongoUri' | 'temporalAddress' | 'smtpUrl'>, name: string, opts: { worker: boolean | 'process'; env?: Record<string, string> }): Promise<BenchRota> {
  const port = await freePort();
  const push = await startPushSimulators({ receiptUrl: `http://127.0.0.1:${port}/v1/receipts`, receiptDelayMs: 0 });
  const sms = await startSmsSimulator();
  const env = {
    PORT: String(port), MONGODB_URI: stack.mongoUri.replace(/\/([^/?]*)(\?|$)/, `/bench_${name}_${Date.now()}$2`), TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-${name}-${Date.now()}`, SMTP_URL: stack.smtpUrl, ...push.env, SMS_PROVIDER_URL: sms.url,
    RECEIPT_SECRET: 'bench-secret-0123456789', LOG_LEVEL: 'warn', ...opts.env,
  };
  const config = loadConfig(env);
  const db = await connectDb(config.MONGODB_URI);
  const key = await seedDemoApp(db);
  const api = await startApi(config, createLogger('warn'));
  const worker = opts.worker === 'process' ? await workerProcess(env, config) : opts.worker ? await startWorker(config) : undefined;
  return {
    db, url: api.url, key, push,
    call: (method, path, body) =>
      fetch(`${api.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) }),
    async stop() {
      await worker?.stop();
      await api.close();
      await db.conn.dropDatabase();
      await db.close();
      await push.close();
      await sms.close();
    },
  };
}
