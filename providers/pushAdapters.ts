/**
 * The worker's push channel adapters, per app and device platform: Android → FCM HTTP v1,
 * iOS → APNs, web → Web Push. An app's own credentials (`PUT /v1/settings/channels/{channel}`,
 * channels/credentials.ts) come first; without them the deployment's default credentials in
 * `PUSH_CREDENTIALS_FILE` (`{fcm: <service account key file>, apns: {keyId, teamId, bundleId,
 * privateKey}, webpush: {subject, publicKey, privateKey}}`; `npm run dev` writes one for its
 * simulators); without either the platform has no adapter and its pushes fail as `no_adapter`.
 *
 * Adapters are made on first use and reused (one FCM access token, one APNs HTTP/2 session
 * per app). An app's stored version is read again every `recheckMs` (30 s) in batches and
 * before every single message, so rotated credentials are picked up without a restart; the
 * replaced adapter is closed a little later, after the sends it has in flight.
 */
import { readFileSync } from 'node:fs';
import { credentialsSecret, type Config } from '../config';
import { channelCredentialsId, channelCredentialsOf, type ApnsCredentials, type ChannelCredentials, type CredentialChannel, type WebPushCredentials } from '../channels/credentials';
import type { Db } from '../data/db';
import { createSecretBox, UnreadableSecretError } from '../lib/sealedSecrets';
import { createApnsAdapter } from './apns';
import type { PushChannelAdapter } from './channels';
import { createFcmAdapter, type ServiceAccount } from './fcm';
import { createWebPushAdapter } from './webPush';

export interface PushCredentialsFile {
  fcm?: ServiceAccount;
  apns?: Omit<ApnsCredentials, 'environment'> & { environment?: ApnsCredentials['environment'] };
  webpush?: WebPushCredentials;
}

export interface PushAdapters {
  /**
   * The adapter for a device of `platform` in app `appId`, or undefined when neither the app nor the deployment has
   * credentials for it. `maxAgeMs`: how old the check of the app's stored credentials may be (default `recheckMs`;
   * 0 reads their version now, one `_id` read, so a single message always uses the credentials saved last).
   */
  forApp(appId: string, platform: string, maxAgeMs?: number): Promise<PushChannelAdapter | undefined>;
  close(): Promise<void>;
}

export type PushAdaptersConfig = Partial<Pick<Config, 'FCM_URL' | 'APNS_URL' | 'PUSH_CREDENTIALS_FILE' | 'CREDENTIALS_KEY' | 'RECEIPT_SECRET'>>;

export const FCM_PRODUCTION_URL = 'https://fcm.googleapis.com';
const APNS_URLS = { production: 'https://api.push.apple.com', development: 'https://api.sandbox.push.apple.com' } as const;
const PROVIDER_OF_PLATFORM: Record<string, CredentialChannel> = { android: 'fcm', ios: 'apns', web: 'webpush' };
/** How long a replaced adapter stays open for the sends that still hold it. */
const RETIRE_AFTER_MS = 60_000;

type Cached = { version: number; adapter: PushChannelAdapter | undefined; checkedAt: number };

export function createPushAdapters(config: PushAdaptersConfig, opts: { db?: Db; recheckMs?: number } = {}): PushAdapters {
  const recheckMs = opts.recheckMs ?? 30_000;
  const box = opts.db && config.RECEIPT_SECRET ? createSecretBox(credentialsSecret({ CREDENTIALS_KEY: config.CREDENTIALS_KEY, RECEIPT_SECRET: config.RECEIPT_SECRET })) : undefined;
  let file: PushCredentialsFile | undefined;
  const fileCredentials = () => (file ??= config.PUSH_CREDENTIALS_FILE ? (JSON.parse(readFileSync(config.PUSH_CREDENTIALS_FILE, 'utf8')) as PushCredentialsFile) : {});
  const cache = new Map<string, Promise<Cached>>();
  const retiring = new Set<NodeJS.Timeout>();
  const everMade = new Set<PushChannelAdapter>();

  function build<C extends CredentialChannel>(provider: C, creds: ChannelCredentials[C] | undefined): PushChannelAdapter | undefined {
    if (!creds) return undefined;
    let adapter: PushChannelAdapter | undefined;
    if (provider === 'fcm') {
      adapter = createFcmAdapter({ baseUrl: config.FCM_URL ?? FCM_PRODUCTION_URL, serviceAccount: (creds as ChannelCredentials['fcm']).serviceAccount });
    } else if (provider === 'apns') {
      const k = creds as ApnsCredentials;
      adapter = createApnsAdapter({ baseUrl: config.APNS_URL ?? APNS_URLS[k.environment ?? 'production'], keyId: k.keyId, teamId: k.teamId, bundleId: k.bundleId, privateKey: k.privateKey });
    } else {
      adapter = createWebPushAdapter({ vapid: creds as WebPushCredentials });
    }
    if (adapter) everMade.add(adapter);
    return adapter;
  }

  function defaultCredentials<C extends CredentialChannel>(provider: C): ChannelCredentials[C] | undefined {
    const f = fileCredentials();
    if (provider === 'fcm') return f.fcm ? ({ serviceAccount: f.fcm } as ChannelCredentials[C]) : undefined;
    if (provider === 'apns') return f.apns ? ({ environment: 'production', ...f.apns } as ChannelCredentials[C]) : undefined;
    return f.webpush as ChannelCredentials[C] | undefined;
  }

  /** The app's stored version of `provider`'s credentials: 0 when it has none (the default ones then apply). */
  async function storedVersion(appId: string, provider: CredentialChannel): Promise<number> {
    if (!opts.db) return 0;
    const doc = await opts.db.channelCredentials.findOne({ _id: channelCredentialsId(appId, provider) }, { version: 1 }).lean();
    return doc?.version ?? 0;
  }

  async function load(appId: string, provider: CredentialChannel, previous: Cached | undefined): Promise<Cached> {
    const version = await storedVersion(appId, provider);
    if (previous && previous.version === version) return { ...previous, checkedAt: Date.now() };
    if (previous?.adapter && previous.version !== 0) retire(previous.adapter);
    if (version === 0) return { version, adapter: await defaultAdapter(provider), checkedAt: Date.now() };
    let stored: Awaited<ReturnType<typeof channelCredentialsOf>>;
    try {
      stored = await channelCredentialsOf(opts.db!, box!, appId, provider);
    } catch (err) {
      // Sealed under another CREDENTIALS_KEY (or damaged): no adapter, so the app's pushes fail at once as no_adapter
      // (not retried for an hour) until an admin saves the credentials again.
      if (err instanceof UnreadableSecretError) return { version, adapter: undefined, checkedAt: Date.now() };
      throw err;
    }
    return { version: stored?.version ?? 0, adapter: build(provider, stored?.credentials), checkedAt: Date.now() };
  }

  /** The deployment's default adapters are shared by every app without its own credentials. */
  const defaults = new Map<CredentialChannel, PushChannelAdapter | undefined>();
  async function defaultAdapter(provider: CredentialChannel): Promise<PushChannelAdapter | undefined> {
    if (!defaults.has(provider)) defaults.set(provider, build(provider, defaultCredentials(provider)));
    return defaults.get(provider);
  }

  function retire(adapter: PushChannelAdapter): void {
    const t = setTimeout(() => {
      retiring.delete(t);
      void adapter.close();
    }, RETIRE_AFTER_MS);
    t.unref();
    retiring.add(t);
  }

  return {
    async forApp(appId, platform, maxAgeMs = recheckMs) {
      const provider = PROVIDER_OF_PLATFORM[platform];
      if (!provider) return undefined;
      const key = `${appId}/${provider}`;
      let entry = cache.get(key);
      if (entry) {
        const current = await entry.catch(() => undefined);
        if (current && Date.now() - current.checkedAt < maxAgeMs) return current.adapter;
        // One reload at a time per app and provider; a failed read is tried again by the next send.
        if (cache.get(key) === entry) cache.set(key, (entry = load(appId, provider, current)));
        else entry = cache.get(key)!;
      } else {
        cache.set(key, (entry = load(appId, provider, undefined)));
      }
      try {
        return (await entry).adapter;
      } catch (err) {
        if (cache.get(key) === entry) cache.delete(key);
        throw err;
      }
    },
    async close() {
      for (const t of retiring) clearTimeout(t);
      retiring.clear();
      await Promise.all([...everMade].map((a) => a.close()));
    },
  };
}
