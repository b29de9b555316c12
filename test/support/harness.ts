/**
 * One Rota per test file, on the run's real servers: its own database and task queue,
 * real FCM, APNs and SMS simulators, the real API over HTTP, and (unless asked not to) a real
 * worker in this process.
 */
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { startApi, type RunningApi } from '../../api/server';
import { loadConfig, type Config } from '../../config';
import { connectDb, type Db } from '../../data/db';
import { freePort } from '../../infra/stack';
import { createLogger } from '../../lib/logger';
import type { ApnsSimulator } from '../../simulators/apnsSimulator';
import type { FcmSimulator } from '../../simulators/fcmSimulator';
import type { SimPushCredentials } from '../../simulators/pushCredentials';
import { startSmsSimulator, type SmsSimulator } from '../../simulators/smsSimulator';
import { startIysSimulator, type IysSimulator, type IysSimulatorOptions } from '../../simulators/iys';
import { DEFAULT_USER } from '../../simulators/iys/options';
import { recordIysViolations } from './iysViolations';
import { registerNamespace } from './namespace';
import { startPushSimulators } from '../../simulators/pushSimulators';
import { DEMO_APP_ID, seedDemoApp } from '../../tenants/apiKeys';
import { startWorker, type RunningWorker } from '../../worker';
import { testDbUri } from './testDb';

/** The İYS brand codes of the test İYS account (the simulator's default user, iysCode 700001); the first is the simulator's default brand. */
export const IYS_TEST_BRANDS = [DEFAULT_USER.brandCodes[0]!, 700002, 700003, 700004];

export interface Harness {
  config: Config;
  /** The environment a separate worker process needs to join this harness. */
  env: Record<string, string>;
  api: RunningApi;
  db: Db;
  temporal: Client;
  /** The FCM simulator: what Android devices received. */
  push: FcmSimulator;
  /** The APNs simulator: what iOS devices received. */
  apns: ApnsSimulator;
  sms: SmsSimulator;
  apiKey: string;
  /** The platform administrator's key (ROTA_ADMIN_API_KEY): creates apps and assigns İYS brands. */
  platformKey: string;
  worker?: RunningWorker;
  /** The İYS simulator, when the harness was asked for one (`iys` option); Rota's IYS_* settings point at it. */
  iys?: IysSimulator;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startHarness(
  name: string,
  opts: {
    worker?: boolean; env?: Record<string, string>; iys?: IysSimulatorOptions; alsoAcceptPushCredentials?: SimPushCredentials[];
    /** Servers of the test's own instead of the run's (a test that restarts them). */
    servers?: { temporalAddress: string; mongoUri: string };
  } = {},
): Promise<Harness> {
  const suffix = randomUUID().slice(0, 8);
  const dbUri = testDbUri(name, opts.servers?.mongoUri);
  const port = await freePort();
  const pushSims = await startPushSimulators({ receiptUrl: `http://127.0.0.1:${port}/v1/receipts`, receiptDelayMs: 300, alsoAccept: opts.alsoAcceptPushCredentials });
  const push = pushSims.fcm;
  const sms = await startSmsSimulator();
  // The İYS account has a few brands: the demo app is given the first, and each test app its own (test/support/iysSync.ts).
  const iys = opts.iys ? await startIysSimulator({ users: [{ ...DEFAULT_USER, brandCodes: IYS_TEST_BRANDS }], ...opts.iys }) : undefined;
  const env: Record<string, string> = {
    PORT: String(port),
    MONGODB_URI: dbUri,
    TEMPORAL_ADDRESS: opts.servers?.temporalAddress ?? process.env.TEMPORAL_ADDRESS!,
    TEMPORAL_NAMESPACE: `test-${name}-${suffix}`,
    TEMPORAL_TASK_QUEUE: `test-${name}-${suffix}`,
    ...(process.env.TEMPORAL_WORKFLOW_BUNDLE ? { TEMPORAL_WORKFLOW_BUNDLE: process.env.TEMPORAL_WORKFLOW_BUNDLE } : {}),
    SMTP_URL: process.env.SMTP_URL!,
    ...pushSims.env,
    SMS_PROVIDER_URL: sms.url,
    RECEIPT_SECRET: `test-secret-${suffix}-0123456789`,
    LOG_LEVEL: 'warn',
    ROTA_ADMIN_API_KEY: `rota_platform_${suffix}${suffix}${suffix}`,
    ...(iys ? { IYS_URL: iys.url, IYS_USERNAME: DEFAULT_USER.username, IYS_PASSWORD: DEFAULT_USER.password, IYS_BATCH_FIRST_POLL_SECONDS: String((opts.iys?.batchDelayMs ?? 300_000) / 1000) } : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  await registerNamespace(connection, config.TEMPORAL_NAMESPACE);
  const db = await connectDb(config.MONGODB_URI);
  const apiKey = await seedDemoApp(db);
  const api = await startApi(config, createLogger('warn'));
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const worker = opts.worker === false ? undefined : await startWorker(config);
  const platformKey = config.ROTA_ADMIN_API_KEY!;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${apiKey}` }) {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  if (iys) {
    // A brand belongs to one app, assigned by the platform administrator: the demo app gets the İYS account's first.
    const assigned = await call('POST', `/v1/apps/${DEMO_APP_ID}/iys-brands`, { iysCode: DEFAULT_USER.iysCode, brandCode: IYS_TEST_BRANDS[0] }, { authorization: `Bearer ${platformKey}` });
    if (assigned.status !== 201) throw new Error(`assigning the demo app its İYS brand: ${assigned.status} ${JSON.stringify(assigned.body)}`);
  }

  return {
    config, env, api, db, temporal, push, apns: pushSims.apns, sms, apiKey, platformKey, worker, iys, call,
    async close() {
      await worker?.stop();
      await api.close();
      await connection.close();
      await db.conn.dropDatabase();
      await db.close();
      await Promise.all([pushSims.close(), sms.close()]);
      if (iys) {
        // İYS drops clients that ignore its limits: every suite's count is summed at the end of the run, which must be 0.
        recordIysViolations(name, iys.violations());
        await iys.close();
      }
    },
  };
}

/** Polls until `check` answers something truthy, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const FINAL_STATUSES = [
  'delivered_by_push', 'sms_sent_after_push_timeout', 'sms_sent_push_unavailable', 'sms_sent',
  'email_sent_after_push_timeout', 'email_sent_push_unavailable', 'email_sent', 'not_delivered', 'skipped',
];

export async function finalMessage(h: Harness, id: string, timeoutMs = 60_000): Promise<any> {
  return eventually(async () => {
    const res = await h.call('GET', `/v1/messages/${id}`);
    return FINAL_STATUSES.includes(res.body?.status) ? res.body : undefined;
  }, timeoutMs);
}
