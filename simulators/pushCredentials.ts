/**
 * Test credentials for the push simulators, as a real app would have them: a Google service
 * account (RSA key, client_email, project), an APNs .p8 key (P-256, key id, team id) and web
 * push VAPID keys. Made with node:crypto; the simulators get the public halves, the adapters the
 * private ones. `npm run dev` and `npm run simulators` keep them in one file (mode 0600) so
 * a restart keeps credentials saved elsewhere valid.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceAccount } from '../providers/fcm';
import { generateVapidKeys } from '../providers/webPush';
import type { PushCredentialsFile } from '../providers/pushAdapters';
import type { ApnsSimulatorKey } from './apnsSimulator';
import type { FcmSimulatorAccount } from './fcmSimulator';

export interface SimPushCredentials {
  fcm: { projectId: string; clientEmail: string; privateKeyId: string; privateKey: string; publicKey: string };
  apns: { keyId: string; teamId: string; bundleId: string; privateKey: string; publicKey: string };
  /** VAPID keys (base64url) for web push; absent in files made before web push. */
  webpush?: { subject: string; publicKey: string; privateKey: string };
}

export function generateSimPushCredentials(projectId = 'rota-sim'): SimPushCredentials {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return {
    fcm: { projectId, clientEmail: `rota-push@${projectId}.iam.gserviceaccount.com`, privateKeyId: 'simkey0001', privateKey: rsa.privateKey, publicKey: rsa.publicKey },
    apns: { keyId: 'SIMKEY0001', teamId: 'SIMTEAM001', bundleId: 'com.example.rota', privateKey: ec.privateKey, publicKey: ec.publicKey },
    webpush: { subject: 'mailto:push@rota.local', ...generateVapidKeys() },
  };
}

/** The credentials kept in `file`, made and saved there the first time. */
export function loadOrCreateSimPushCredentials(file: string): SimPushCredentials {
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as SimPushCredentials;
    if (kept.webpush) return kept;
    const upgraded = { ...kept, webpush: generateSimPushCredentials().webpush };
    writeFileSync(file, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return upgraded;
  }
  const creds = generateSimPushCredentials();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}

/** The service account JSON an app would be given for the simulator whose token endpoint is `tokenUrl`. */
export function simServiceAccount(creds: SimPushCredentials, tokenUrl: string): ServiceAccount {
  return { client_email: creds.fcm.clientEmail, private_key: creds.fcm.privateKey, private_key_id: creds.fcm.privateKeyId, project_id: creds.fcm.projectId, token_uri: tokenUrl };
}

export function simFcmAccount(creds: SimPushCredentials): FcmSimulatorAccount {
  return { clientEmail: creds.fcm.clientEmail, publicKey: creds.fcm.publicKey, projectId: creds.fcm.projectId };
}

export function simApnsKey(creds: SimPushCredentials): ApnsSimulatorKey {
  return { keyId: creds.apns.keyId, teamId: creds.apns.teamId, publicKey: creds.apns.publicKey };
}

/** The credentials file (PUSH_CREDENTIALS_FILE, providers/pushAdapters.ts) a deployment would have, for these simulators. */
export function simPushCredentialsFile(creds: SimPushCredentials, tokenUrl: string): PushCredentialsFile {
  return {
    fcm: simServiceAccount(creds, tokenUrl),
    apns: { keyId: creds.apns.keyId, teamId: creds.apns.teamId, bundleId: creds.apns.bundleId, privateKey: creds.apns.privateKey },
    ...(creds.webpush ? { webpush: creds.webpush } : {}),
  };
}

/** Writes that file (mode 0600) to `file`. */
export function writeSimPushCredentialsFile(file: string, creds: SimPushCredentials, tokenUrl: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(simPushCredentialsFile(creds, tokenUrl), null, 2), { mode: 0o600 });
}
