/**
 * `/v1/settings/channels`: an app's push provider credentials (FCM service account, APNs
 * .p8 key, web push VAPID keys). Admins save and delete them; operators see which are set.
 * A saved secret is never shown again: answers carry only the public summary.
 */
import { z } from 'zod';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema, validationError } from '../errors';
import { route } from '../routing';
import { credentialsSecret } from '../../config';
import {
  CHANNEL_CREDENTIAL_SCHEMAS, CREDENTIAL_CHANNELS, channelSummarySchema, deleteChannelCredentials, listChannelCredentials, normalise, saveChannelCredentials,
  type CredentialChannel,
} from '../../channels/credentials';
import { createSecretBox } from '../../lib/sealedSecrets';

const PATH = '/v1/settings/channels';
const channelParams = z.object({ channel: z.enum(CREDENTIAL_CHANNELS).describe('fcm (Android), apns (iOS) or webpush') });

export function channelSettingsRoutes(deps: ApiDeps) {
  const { db } = deps;
  const box = createSecretBox(credentialsSecret(deps.config));
  return [
    route({
      method: 'get', path: PATH, tag: 'settings', access: 'operator',
      summary: "Which push providers the app has credentials for, with their public parts (project, key id, VAPID public key); never a private key",
      responses: { 200: { description: 'one entry per channel', schema: z.object({ channels: z.array(channelSummarySchema) }) } },
      handler: async ({ req, res }) => {
        res.json({ channels: await listChannelCredentials(db, appIdOf(req)) });
      },
    }),
    route({
      method: 'put', path: `${PATH}/:channel`, tag: 'settings', access: 'admin',
      summary:
        "Save the app's credentials for a push provider (replacing any), checked before they are stored: fcm `{serviceAccount: <the key file's JSON>}`; apns `{keyId, teamId, bundleId, privateKey: <the .p8 file>, environment}`; webpush `{subject, publicKey?, privateKey?}` (leave the keys out to have a pair made; the answer gives the public key for the browser's applicationServerKey). Stored encrypted; the answer and every later read show only the public parts. The next message uses them; batches already sending pick them up within 30 seconds.",
      params: channelParams,
      // The channel (a path parameter) decides the body's schema: parsed as any object, then checked in the handler.
      body: z.looseObject({}),
      bodyDoc: z.union([CHANNEL_CREDENTIAL_SCHEMAS.fcm, CHANNEL_CREDENTIAL_SCHEMAS.apns, CHANNEL_CREDENTIAL_SCHEMAS.webpush]),
      bodyLimit: '64kb',
      responses: {
        200: { description: 'saved: the public summary', schema: channelSummarySchema },
        400: { description: 'invalid credentials (the field is named, its value never repeated)', schema: errorBodySchema },
      },
      handler: async ({ params, body, req, res }) => {
        const channel = params.channel as CredentialChannel;
        const parsed = CHANNEL_CREDENTIAL_SCHEMAS[channel].safeParse(body);
        if (!parsed.success) throw validationError('body', parsed.error);
        res.json(await saveChannelCredentials(db, box, appIdOf(req), channel, normalise(channel, parsed.data)));
      },
    }),
    route({
      method: 'delete', path: `${PATH}/:channel`, tag: 'settings', access: 'admin',
      summary: "Delete the app's credentials for a push provider: its pushes then use the deployment's default credentials, if it has any, or fail as `no_adapter`",
      params: channelParams,
      responses: { 204: { description: 'deleted' }, 404: { description: 'none were saved', schema: errorBodySchema } },
      handler: async ({ params, req, res }) => {
        if (!(await deleteChannelCredentials(db, appIdOf(req), params.channel as CredentialChannel))) throw new ApiError(404, 'not_found', `no ${params.channel} credentials saved`);
        res.status(204).end();
      },
    }),
  ];
}
