/**
 * The worker's push channel adapters by device platform, built from its configuration:
 * FCM HTTP v1 (`FCM_URL`) and APNs (`APNS_URL`) with the credentials in
 * `PUSH_CREDENTIALS_FILE` (`{fcm: <the service account key file>, apns: {keyId, teamId,
 * bundleId, privateKey}}`; simulators/pushCredentials.ts writes one for the simulators). A platform left unconfigured has no adapter: its sends are
 * counted as failures by the caller. Adapters are made on first use and reused (one FCM
 * access token, one APNs HTTP/2 session per process).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config';
import type { Device } from '../data/models/profiles';
import { createApnsAdapter } from './apns';
import type { PushChannelAdapter } from './channels';
import { createFcmAdapter, type ServiceAccount } from './fcm';

export interface PushCredentialsFile {
  fcm?: ServiceAccount;
  apns?: { keyId: string; teamId: string; bundleId: string; privateKey: string };
}

export interface PushAdapters {
  forPlatform(platform: Device['platform'] | string): PushChannelAdapter | undefined;
  close(): Promise<void>;
}

export function createPushAdapters(config: Partial<Pick<Config, 'FCM_URL' | 'APNS_URL' | 'PUSH_CREDENTIALS_FILE'>>): PushAdapters {
  let creds: PushCredentialsFile | undefined;
  const credentials = () => (creds ??= JSON.parse(readFileSync(config.PUSH_CREDENTIALS_FILE!, 'utf8')) as PushCredentialsFile);
  const made = new Map<string, PushChannelAdapter>();
  const make = (platform: string): PushChannelAdapter | undefined => {
    if (!config.PUSH_CREDENTIALS_FILE) return undefined;
    const { fcm, apns: k } = credentials();
    if (platform === 'android' && config.FCM_URL && fcm) return createFcmAdapter({ baseUrl: config.FCM_URL, serviceAccount: fcm });
    if (platform === 'ios' && config.APNS_URL && k) {
      return createApnsAdapter({ baseUrl: config.APNS_URL, keyId: k.keyId, teamId: k.teamId, bundleId: k.bundleId, privateKey: k.privateKey });
    }
    return undefined;
  };
  return {
    forPlatform(platform) {
      if (!made.has(platform)) {
        const a = make(platform);
        if (!a) return undefined;
        made.set(platform, a);
      }
      return made.get(platform);
    },
    async close() {
      await Promise.all([...made.values()].map((a) => a.close()));
    },
  };
}
