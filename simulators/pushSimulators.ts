/**
 * The push providers a test or a benchmark talks to over real HTTP: the FCM v1 simulator (Android) and
 * the APNs simulator (iOS, HTTP/2), with fresh credentials in a file the worker's default
 * adapters read (PUSH_CREDENTIALS_FILE), as a deployment would configure them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApnsSimulator, type ApnsSimulator } from './apnsSimulator';
import { startFcmSimulator, type FcmSimulator } from './fcmSimulator';
import { generateSimPushCredentials, simApnsKey, simFcmAccount, simPushCredentialsFile, type SimPushCredentials } from './pushCredentials';

export interface PushSimulators {
  fcm: FcmSimulator;
  apns: ApnsSimulator;
  credentials: SimPushCredentials;
  /** FCM_URL, APNS_URL and PUSH_CREDENTIALS_FILE for a worker using these simulators. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** `alsoAccept`: more credentials the simulators take (an app's own, saved through the API), beside the deployment's default ones they are made with. */
export async function startPushSimulators(opts: { receiptUrl?: string; receiptDelayMs?: number; alsoAccept?: SimPushCredentials[] } = {}): Promise<PushSimulators> {
  const { alsoAccept = [], ...devices } = opts;
  const credentials = generateSimPushCredentials();
  const all = [credentials, ...alsoAccept];
  const fcm = await startFcmSimulator({ accounts: all.map(simFcmAccount), ...devices });
  const apns = await startApnsSimulator({ keys: all.map(simApnsKey), ...devices });
  const dir = mkdtempSync(path.join(tmpdir(), 'rota-push-'));
  const file = path.join(dir, 'push-credentials.json');
  writeFileSync(file, JSON.stringify(simPushCredentialsFile(credentials, fcm.tokenUrl)), { mode: 0o600 });
  return {
    fcm, apns, credentials,
    env: { FCM_URL: fcm.url, APNS_URL: apns.url, PUSH_CREDENTIALS_FILE: file },
    async close() {
      await Promise.all([fcm.close(), apns.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
