/**
 * `npm run dev`: the whole of Rota on one machine in one terminal: Temporal dev server,
 * FerretDB, the SMTP sink, the push, SMS and İYS simulators, the API and a worker (a process of
 * its own at a lower priority: infra/workerProcess.ts). Seeds the
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
import { startWorkerProcess } from './infra/workerProcess';
import { randomToken } from './lib/ids';
import { createLogger } from './lib/logger';
import { startFcmSimulator } from './simulators/fcmSimulator';
import { startApnsSimulator } from './simulators/apnsSimulator';
import { startWebPushSimulator } from './simulators/webPushSimulator';
import { loadOrCreateSimPushCredentials, simApnsKey, simFcmAccount, writeSimPushCredentialsFile } from './simulators/pushCredentials';
import { startSmsSimulator } from './simulators/smsSimulator';
import { startIysSimulator } from './simulators/iys';
import { DEFAULT_USER } from './simulators/iys/options';
import { generateApiKey } from './tenants/apiKeys';

const dataDir = path.resolve(process.env.ROTA_DATA_DIR ?? '.rota');

function isFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** What listens somewhere else than usual because its usual port was taken, e.g. `SMS simulator 4020 → 41873`. */
const moved: string[] = [];

/**
 * The usual port when it is free, any free port otherwise, so a second checkout can run
 * beside the first. What moved is said in the banner, which prints every address.
 */
async function portOr(preferred: number, what: string): Promise<number> {
  if (await isFree(preferred)) return preferred;
  const port = await freePort();
  moved.push(`${what} ${preferred} → ${port}`);
  return port;
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
  // A PORT given is the one the person will call: taken is an error, said before anything starts.
  if (process.env.PORT && /^\d+$/.test(process.env.PORT) && !(await isFree(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1'))) {
    console.error(`rota: PORT ${process.env.PORT} is in use (another npm run dev?): stop what listens there or choose another PORT`);
    process.exit(1);
  }
  const apiPort = process.env.PORT ? Number(process.env.PORT) : await portOr(3000, 'API');
  const stack = await startStack({
    dataDir,
    temporalUi: true,
    ports: {
      temporal: await portOr(7233, 'Temporal'), temporalUi: await portOr(8233, 'Temporal UI'), mongo: await portOr(27017, 'FerretDB'),
      smtp: await portOr(1025, 'SMTP sink'), smtpApi: await portOr(8025, 'SMTP sink API'),
    },
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const sms = await startSmsSimulator({ port: await portOr(4020, 'SMS simulator') });
  // İYS's slow parts shortened for a demo: batches answered after 10 s (not 300 s), citizens' changes in the feed at once (not after 60 min).
  const iys = await startIysSimulator({ port: await portOr(4030, 'İYS simulator'), batchDelayMs: 10_000, changesLagMs: 0 });
  // FCM v1 and APNs with a test service account and .p8-like key, made on the first start and kept in .rota/.
  const pushKeys = loadOrCreateSimPushCredentials(path.join(dataDir, 'sim-push-credentials.json'));
  const fcm = await startFcmSimulator({ port: await portOr(4011, 'FCM simulator'), receiptUrl: `${apiUrl}/v1/receipts`, accounts: [simFcmAccount(pushKeys)] });
  const apns = await startApnsSimulator({ port: await portOr(4012, 'APNs simulator'), receiptUrl: `${apiUrl}/v1/receipts`, keys: [simApnsKey(pushKeys)] });
  // A browser push service: POST /sim/subscriptions makes a subscription (endpoint and keys) to register as a web device.
  const webPush = await startWebPushSimulator({ port: await portOr(4013, 'web push simulator'), receiptUrl: `${apiUrl}/v1/receipts` });
  // Every push goes through FCM, APNs or web push; for apps without credentials of their own the worker uses these, unless told otherwise.
  const pushCredentialsFile = path.join(dataDir, 'push-credentials.json');
  if (!process.env.PUSH_CREDENTIALS_FILE) writeSimPushCredentialsFile(pushCredentialsFile, pushKeys, fcm.tokenUrl);

  let config;
  let env: NodeJS.ProcessEnv;
  try {
    env = {
      ...process.env,
      PORT: String(apiPort),
      MONGODB_URI: stack.mongoUri,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      SMTP_URL: stack.smtpUrl,
      SMS_PROVIDER_URL: process.env.SMS_PROVIDER_URL ?? sms.url,
      FCM_URL: process.env.FCM_URL ?? fcm.url,
      APNS_URL: process.env.APNS_URL ?? apns.url,
      PUSH_CREDENTIALS_FILE: process.env.PUSH_CREDENTIALS_FILE ?? pushCredentialsFile,
      RECEIPT_SECRET: process.env.RECEIPT_SECRET ?? devSecrets().receiptSecret,
      ...(process.env.IYS_URL ? {} : { IYS_URL: iys.url, IYS_USERNAME: DEFAULT_USER.username, IYS_PASSWORD: DEFAULT_USER.password, IYS_BATCH_FIRST_POLL_SECONDS: '10' }),
      // The API seeds the demo app with this key at boot; without one given, the key made on the first run is kept.
      ROTA_DEMO_API_KEY: process.env.ROTA_DEMO_API_KEY ?? readSavedDemoKey() ?? generateApiKey(),
    };
    config = loadConfig(env);
  } catch (err) {
    await stack.stop();
    exitOnConfigError(err);
  }

  const demoKey = config.ROTA_DEMO_API_KEY!;
  saveDemoKey(demoKey);
  const api = await startApi(config, logger);
  // The worker in a process of its own, niced: the API and the console stay quick while a campaign sends (infra/workerProcess.ts).
  const worker = startWorkerProcess(env, dataDir);
  worker.child.stdout?.pipe(process.stdout);
  worker.child.stderr?.pipe(process.stderr);

  console.log(
    [
      '',
      'Rota is running.',
      `  API            ${api.url}`,
      `  API docs       ${api.url}/docs`,
      `  Console        ${api.url}/console/ (sign in with an API key, e.g. the demo key)`,
      `  Temporal UI    ${stack.temporalUiUrl ?? '(external Temporal)'}`,
      `  Demo API key   ${demoKey}`,
      `  FCM simulator  ${fcm.url} (Android)   APNs simulator ${apns.url} (iOS, HTTP/2; test credentials in ${path.join(dataDir, 'sim-push-credentials.json')})`,
      `  SMS simulator  ${sms.url}`,
      `  Web push simulator ${webPush.url} (POST /sim/subscriptions for a browser's subscription)`,
      `  İYS            ${config.IYS_URL}${config.IYS_URL === iys.url ? ` (simulator; iysCode and brandCode ${DEFAULT_USER.iysCode})` : ''}`,
      ...stack.description.map((d) => `  ${d}`),
      ...(moved.length > 0 ? ['', `Usual ports taken, so elsewhere: ${moved.join(', ')}.`] : []),
      '',
      `Try: curl -s ${api.url}/readyz`,
      'The README walkthrough\'s variables, for your shell:',
      `  API=${api.url} KEY=${demoKey} PUSH_SIM=${fcm.url} SMS_SIM=${sms.url} IYS_SIM=${iys.url} FCM_SIM=${fcm.url} APNS_SIM=${apns.url} WEBPUSH_SIM=${webPush.url}`,
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
    await Promise.all([sms.close(), iys.close(), fcm.close(), apns.close(), webPush.close()]);
    await stack.stop();
    process.exit(0);
  };
  const stopOrDie = () => stop().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
  process.once('SIGINT', () => void stopOrDie());
  process.once('SIGTERM', () => void stopOrDie());
  worker.child.once('exit', (code, signal) => {
    if (stopping) return;
    logger.fatal({ code, signal }, 'worker exited');
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
