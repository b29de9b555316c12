/**
 * `/v1/settings/delivery`: an app's time zone, frequency caps and quiet hours, which the send
 * gate (gate/sendGate.ts) applies to every commercial send. Admins change them; operators
 * read them. Also the rule that only an operator key may override the caps of a send.
 */
import type { Request } from 'express';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema } from '../errors';
import { route } from '../routing';
import { deliverySettingsOf, deliverySettingsSchema, saveDeliverySettings } from '../../gate/settings';
import { mayOverrideCaps } from '../../messages/acceptMessage';

/** POST /v1/messages with `overrideCaps: true` from a key without the operator role: a 403 naming the field. */
export function requireCapOverrideRole(req: Request, body: { overrideCaps?: boolean }): void {
  if (body.overrideCaps && !mayOverrideCaps(req.auth?.roles ?? [])) {
    throw new ApiError(403, 'forbidden', "body.overrideCaps: only a key with the 'operator' role may override frequency caps", [
      { path: 'body.overrideCaps', message: "needs the 'operator' role" },
    ]);
  }
}

export function deliverySettingsRoutes(deps: ApiDeps) {
  const { db } = deps;
  return [
    route({
      method: 'get', path: '/v1/settings/delivery', tag: 'settings', access: 'operator',
      summary: "The app's delivery settings: time zone, frequency caps and quiet hours (defaults until an admin sets them)",
      responses: { 200: { description: 'the settings in effect', schema: deliverySettingsSchema } },
      handler: async ({ req, res }) => {
        res.json(await deliverySettingsOf(db, appIdOf(req)));
      },
    }),
    route({
      method: 'put', path: '/v1/settings/delivery', tag: 'settings', access: 'admin',
      summary:
        'Replace the delivery settings: the app time zone (default Europe/Istanbul), frequency caps such as at most 3 commercial messages per profile per 7 days (calendar days in the profile’s zone), and quiet hours such as 22:00–09:00 (defer or skip). A part left out takes its default. Commercial sends only; in effect for the next send.',
      body: deliverySettingsSchema,
      responses: {
        200: { description: 'the new settings, in effect', schema: deliverySettingsSchema },
        400: { description: 'invalid settings (the field is named)', schema: errorBodySchema },
      },
      handler: async ({ body, req, res }) => {
        await saveDeliverySettings(db, appIdOf(req), body);
        res.json(body);
      },
    }),
  ];
}
