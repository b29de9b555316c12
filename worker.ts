/**
 * The worker's composition root: connects to Temporal and MongoDB, builds the providers
 * from config, registers workflows and activities. `npm run worker` runs it alone;
 * `npm run dev` runs it beside the API.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { publicUrl, type Config } from './config';
import { runEntryPoint } from './lib/entryPoint';
import { connectDb, type Db } from './data/db';
import { createPushAdapters } from './providers/pushAdapters';
import { createHttpSmsProvider } from './providers/sms';
import { createSmtpEmailProvider } from './providers/email';
import { createIysClients } from './iys/appClients';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export const workflowsPath = require.resolve('./workflows');

/** Rota's workflows for `Worker.create` or a replay: a bundle built ahead when there is one, else the source, bundled now (webpack, seconds of CPU). */
export function workflowCode(bundlePath?: string): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  return bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath };
}

/** The Temporal SDK logs at Rota's level, except that its INFO chatter (bundler output) needs `debug`. Once per process. */
export function installSdkLogging(level: Config['LOG_LEVEL']): void {
  const sdkLevels: Partial<Record<Config['LOG_LEVEL'], LogLevel>> = { trace: 'TRACE', debug: 'DEBUG', info: 'WARN', warn: 'WARN' };
  Runtime.install({ logger: new DefaultLogger(sdkLevels[level] ?? 'ERROR') });
}

export function activitiesFromConfig(config: Config, db: Db) {
  return createActivities({
    db,
    pushAdapters: createPushAdapters(config, { db }),
    sms: createHttpSmsProvider(config.SMS_PROVIDER_URL),
    receiptSecret: config.RECEIPT_SECRET,
    smsSender: config.SMS_SENDER,
    email: createSmtpEmailProvider(config.SMTP_URL, config.SMTP_FROM),
    publicUrl: publicUrl(config),
    iys: createIysClients(config, db),
  });
}

export async function startWorker(config: Config, extra: Partial<WorkerOptions> = {}): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const db = await connectDb(config.MONGODB_URI);
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowCode(config.TEMPORAL_WORKFLOW_BUNDLE),
    activities: activitiesFromConfig(config, db),
    ...extra,
  });
  const done = worker.run().finally(async () => {
    await db.close();
    await connection.close();
  });
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

if (require.main === module) {
  runEntryPoint('worker', async (config, logger) => {
    installSdkLogging(config.LOG_LEVEL);
    // The worker stops itself on SIGINT/SIGTERM (the SDK's default shutdown signals), finishing in-flight tasks.
    const { done } = await startWorker(config);
    logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
    await done;
    logger.info('worker stopped');
  });
}
