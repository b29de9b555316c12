/**
 * `npm run dev`: the whole of Rota on one machine in one terminal: Temporal dev server,
 * FerretDB, the SMTP sink, the push, SMS and İYS simulators, the API and a worker. Seeds the
 * demo app and prints what a person needs to start. Ctrl-C stops everything.
 *
 * Data lives in `.rota/` (Temporal's and FerretDB's SQLite files), so a restart keeps it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startApi } from './api/server';
import { exitOnConfigError, loadConfig } from './config';
import { freePort, startStack } from './infra/stack';
import { MissingPrerequisiteError } from './infra/tools';
import { randomToken } from './lib/ids';
import { createLogger } from './lib/logger';
import { startPushSimulator } from './simulators/pushSimulator';
import { startSmsSimulator } from './simulators/smsSimulator';
import { startIysSimulator } from './simulators/iys';
import { DEFAULT_USER } from './simulators/iys/options';
import { generateApiKey } from './tenants/apiKeys';
import { installSdkLogging, startWorker } from './worker';

const dataDir = path.resolve(process.env.ROTA_DATA_DIR ?? '.rota');

/** The usual port when it is free, any free port otherwise: a second checkout can run beside the first. */
async function portOr(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(preferred, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

/** Secrets made once per data folder, so receipts and the demo key survive a restart. */
function devSecrets(): { receiptSecret: string } {
  const file = path.join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { receiptSecret: string };
  const secrets = { receiptSecret: randomToken(40) };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

async function main(): Promise<void> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  const apiPort = process.env.PORT ? Number(process.env.PORT) : await portOr(3000);
  const stack = await startStack({
    dataDir,
    temporalUi: true,
    ports: { temporal: await portOr(7233), temporalUi: await portOr(8233), mongo: await portOr(27017), smtp: await portOr(1025), smtpApi: await portOr(8025) },
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const push = await startPushSimulator({ port: await portOr(4010), receiptUrl: `${apiUrl}/v1/receipts` });
  const sms = await startSmsSimulator({ port: await portOr(4020) });
  // İYS's slow parts shortened for a demo: batches answered after 10 s (not 300 s), citizens' changes in the feed at once (not after 60 min).
  const iys = await startIysSimulator({ port: await portOr(4030), batchDelayMs: 10_000, changesLagMs: 0 });

  let config;
  try {
    config = loadConfig({
      ...process.env,
      PORT: String(apiPort),
      MONGODB_URI: stack.mongoUri,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      SMTP_URL: stack.smtpUrl,
      PUSH_PROVIDER_URL: process.env.PUSH_PROVIDER_URL ?? push.url,
      SMS_PROVIDER_URL: process.env.SMS_PROVIDER_URL ?? sms.url,
      RECEIPT_SECRET: process.env.RECEIPT_SECRET ?? devSecrets().receiptSecret,
      ...(process.env.IYS_URL ? {} : { IYS_URL: iys.url, IYS_USERNAME: DEFAULT_USER.username, IYS_PASSWORD: DEFAULT_USER.password, IYS_BATCH_FIRST_POLL_SECONDS: '10' }),
      // The API seeds the demo app with this key at boot; without one given, the key made on the first run is kept.
      ROTA_DEMO_API_KEY: process.env.ROTA_DEMO_API_KEY ?? readSavedDemoKey() ?? generateApiKey(),
    });
  } catch (err) {
    await stack.stop();
    exitOnConfigError(err);
  }

  const demoKey = config.ROTA_DEMO_API_KEY!;
  saveDemoKey(demoKey);
  installSdkLogging(config.LOG_LEVEL);
  const api = await startApi(config, logger);
  const worker = await startWorker(config);

  console.log(
    [
      '',
      'Rota is running.',
      `  API            ${api.url}`,
      `  API docs       ${api.url}/docs`,
      `  Temporal UI    ${stack.temporalUiUrl ?? '(external Temporal)'}`,
      `  Demo API key   ${demoKey}`,
      `  Push simulator ${push.url}   SMS simulator ${sms.url}`,
      `  İYS            ${config.IYS_URL}${config.IYS_URL === iys.url ? ` (simulator; iysCode and brandCode ${DEFAULT_USER.iysCode})` : ''}`,
      ...stack.description.map((d) => `  ${d}`),
      '',
      `Try: curl -s ${api.url}/readyz`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('rota: stopping…');
    await worker.stop();
    await api.close();
    await Promise.all([push.close(), sms.close(), iys.close()]);
    await stack.stop();
    process.exit(0);
  };
  const stopOrDie = () => stop().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
  process.once('SIGINT', () => void stopOrDie());
  process.once('SIGTERM', () => void stopOrDie());
  worker.done.catch((err: unknown) => {
    logger.fatal({ err }, 'worker failed');
    void stopOrDie();
  });
}

function readSavedDemoKey(): string | undefined {
  const file = path.join(dataDir, 'demo-api-key');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

function saveDemoKey(key: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'demo-api-key'), `${key}\n`, { mode: 0o600 });
}

main().catch((err: unknown) => {
  if (err instanceof MissingPrerequisiteError) {
    console.error(`rota: ${err.message}`);
    process.exit(1);
  }
  console.error(err);
  process.exit(1);
});
