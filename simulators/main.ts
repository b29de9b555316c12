/**
 * `npm run simulators`: the push, SMS and İYS simulators as their own process (docker-compose
 * runs them this way; `npm run dev` starts them in-process).
 */
import { startIysSimulator } from './iys';
import { startPushSimulator } from './pushSimulator';
import { startSmsSimulator } from './smsSimulator';

async function main(): Promise<void> {
  const host = process.env.SIM_HOST ?? '127.0.0.1';
  const receiptUrl = process.env.ROTA_RECEIPT_URL ?? 'http://127.0.0.1:3000/v1/receipts';
  const push = await startPushSimulator({ host, port: Number(process.env.SIM_PUSH_PORT ?? 4010), receiptUrl });
  const sms = await startSmsSimulator({ host, port: Number(process.env.SIM_SMS_PORT ?? 4020) });
  const iys = await startIysSimulator({ host, port: Number(process.env.SIM_IYS_PORT ?? 4030) });
  console.log(`push simulator ${push.url} (receipts to ${receiptUrl}), SMS simulator ${sms.url}, İYS simulator ${iys.url} (user ${iys.users[0]!.username})`);
  const stop = () => void Promise.all([push.close(), sms.close(), iys.close()]).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
