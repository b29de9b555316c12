/**
 * `npm run simulators`: the FCM, APNs, web push, SMS and İYS simulators as their own process
 * (docker-compose runs them this way; `npm run dev` starts them in-process). The ports are
 * fixed (4011, 4012, 4013, 4020, 4030 unless SIM_*_PORT says otherwise): one that is taken
 * stops it with a line saying which. The FCM and APNs simulators check credentials made on
 * the first start and kept in SIM_PUSH_CREDENTIALS (default .rota/sim-push-credentials.json);
 * with SIM_ADAPTER_CREDENTIALS it also writes the file a worker's PUSH_CREDENTIALS_FILE
 * reads, its service account's token_uri being SIM_FCM_TOKEN_URL (default the simulator's).
 */
import { startApnsSimulator } from './apnsSimulator';
import { startFcmSimulator } from './fcmSimulator';
import { startIysSimulator } from './iys';
import { loadOrCreateSimPushCredentials, simApnsKey, simFcmAccount, writeSimPushCredentialsFile } from './pushCredentials';
import { startSmsSimulator } from './smsSimulator';
import { startWebPushSimulator } from './webPushSimulator';

async function main(): Promise<void> {
  const host = process.env.SIM_HOST ?? '127.0.0.1';
  const receiptUrl = process.env.ROTA_RECEIPT_URL ?? 'http://127.0.0.1:3000/v1/receipts';
  const port = (name: string, fallback: number) => {
    current = name;
    return Number(process.env[name] ?? fallback);
  };
  const sms = await startSmsSimulator({ host, port: port('SIM_SMS_PORT', 4020) });
  const iys = await startIysSimulator({ host, port: port('SIM_IYS_PORT', 4030) });
  const credentialsFile = process.env.SIM_PUSH_CREDENTIALS ?? '.rota/sim-push-credentials.json';
  const keys = loadOrCreateSimPushCredentials(credentialsFile);
  const fcm = await startFcmSimulator({ host, port: port('SIM_FCM_PORT', 4011), receiptUrl, accounts: [simFcmAccount(keys)] });
  const apns = await startApnsSimulator({ host, port: port('SIM_APNS_PORT', 4012), receiptUrl, keys: [simApnsKey(keys)] });
  const webPush = await startWebPushSimulator({ host, port: port('SIM_WEBPUSH_PORT', 4013), receiptUrl });
  const adapterFile = process.env.SIM_ADAPTER_CREDENTIALS;
  if (adapterFile) writeSimPushCredentialsFile(adapterFile, keys, process.env.SIM_FCM_TOKEN_URL ?? fcm.tokenUrl);
  console.log(`receipts to ${receiptUrl}; SMS simulator ${sms.url}, İYS simulator ${iys.url} (user ${iys.users[0]!.username})`);
  console.log(`FCM simulator ${fcm.url} (token endpoint ${fcm.tokenUrl}), APNs simulator ${apns.url} (HTTP/2, h2c); their test credentials: ${credentialsFile}`);
  console.log(`web push simulator ${webPush.url} (POST /sim/subscriptions for a browser's subscription)`);
  const stop = () => void Promise.all([sms.close(), iys.close(), fcm.close(), apns.close(), webPush.close()]).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The port variable of the simulator being started, for the message when its port is taken. */
let current = '';

main().catch((err: unknown) => {
  const e = err as { code?: string; address?: string; port?: number };
  if (e.code === 'EADDRINUSE') console.error(`rota: ${e.address}:${e.port} is in use: stop what listens there or set ${current} to another port`);
  else console.error(err);
  process.exit(1);
});
