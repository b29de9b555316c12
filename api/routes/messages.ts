import { ApiError, errorBodySchema } from '../errors';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { route } from '../routing';
import { acceptMessage, IdempotencyConflictError, ProfileNotFoundError } from '../../messages/acceptMessage';
import { requireCapOverrideRole } from './deliverySettings';
import { toMessageView } from '../../messages/messageView';
import { RECEIPT_CLOCK_SKEW_MS, recordDeliveryReceipt, recordReceipt } from '../../messages/recordReceipt';
import { messageAcceptedSchema, messageCreateSchema, messageIdParams, messageViewSchema, receiptSchema } from '../../messages/schemas';
import { verifyReceiptToken } from '../../lib/receiptTokens';
import { messageDocId } from '../../lib/ids';
import { messageStatus } from '../../data/messageTimeline';
import { z } from 'zod';
import { profileOr404 } from '../profileOr404';
import { externalIdSchema } from '../../profiles/schemas';

const recentMessageSchema = messageViewSchema.pick({ id: true, status: true, outcome: true, category: true, createdAt: true });

export function messageRoutes(deps: ApiDeps) {
  const { db, config, metrics } = deps;
  return [
    route({
      method: 'post', path: '/v1/messages', tag: 'messages', access: 'operator',
      summary: 'Send one message from a template or inline content over a channel order (default push, then SMS if the device does not confirm delivery in time)',
      body: messageCreateSchema,
      responses: {
        202: { description: 'accepted; follow statusUrl', schema: messageAcceptedSchema },
        200: { description: 'the same idempotencyKey was seen before: the first message', schema: messageAcceptedSchema },
        404: { description: 'no profile with that externalId' },
        400: { description: 'invalid: names the field (a channel of the order without content, an unknown or unpublished template, Liquid errors in inline content)', schema: errorBodySchema },
        409: { description: 'the idempotencyKey was used before with a different body' },
      },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        requireCapOverrideRole(req, body);
        try {
          const { message, created } = await acceptMessage(deps, appId, body);
          if (created) metrics.messagesAccepted.inc({ category: message.category });
          res.status(created ? 202 : 200).json({ id: message.messageId, status: messageStatus(message), statusUrl: `/v1/messages/${message.messageId}` });
        } catch (err) {
          if (err instanceof IdempotencyConflictError) {
            throw new ApiError(409, 'conflict', 'this idempotencyKey was used for a different message', [{ path: 'body.idempotencyKey', message: 'reused with a different body' }]);
          }
          if (err instanceof ProfileNotFoundError) {
            throw new ApiError(404, 'not_found', `no profile with externalId ${body.to.externalId}`, [{ path: 'body.to.externalId', message: 'no such profile' }]);
          }
          throw err;
        }
      },
    }),
    route({
      method: 'get', path: '/v1/messages/:id', tag: 'messages', access: 'operator',
      summary: 'A message with its status, the time of each step, and each delivery with the gate decision',
      params: messageIdParams,
      responses: { 200: { description: 'the message', schema: messageViewSchema }, 404: { description: 'no such message' } },
      handler: async ({ params, req, res }) => {
        const appId = appIdOf(req);
        const message = await db.messages.findOne({ _id: messageDocId(appId, params.id) }).lean();
        if (!message) throw new ApiError(404, 'not_found', `no message ${params.id}`);
        const deliveries = await db.deliveries.find({ appId, messageId: params.id }).sort({ createdAt: 1 }).lean();
        res.json(toMessageView(message, deliveries));
      },
    }),
    route({
      method: 'get', path: '/v1/profiles/:externalId/messages', tag: 'messages', access: 'operator',
      summary: "A profile's recent messages, newest first: id, status and outcome (GET /v1/messages/{id} has each one's timeline and deliveries)",
      params: z.object({ externalId: externalIdSchema }),
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      responses: { 200: { description: 'the messages', schema: z.object({ messages: z.array(recentMessageSchema) }) }, 400: { description: 'a bad limit', schema: errorBodySchema }, 404: { description: 'no such profile' } },
      handler: async ({ params, query, req, res }) => {
        const appId = appIdOf(req);
        const profile = await profileOr404(db, appId, params.externalId);
        const docs = await db.messages.find({ appId, profileId: profile._id }).sort({ createdAt: -1 }).limit(query.limit).lean();
        res.json({ messages: docs.map((m) => {
          const v = toMessageView(m, []);
          return { id: v.id, status: v.status, outcome: v.outcome, category: v.category, createdAt: v.createdAt };
        }) });
      },
    }),
    route({
      method: 'post', path: '/v1/receipts', tag: 'messages', access: 'public',
      summary: "Device SDK: report a push as delivered or opened (authenticated by the receipt token in the payload): a message's (messageId) or a campaign's or journey's delivery (deliveryId)",
      body: receiptSchema,
      responses: {
        202: { description: 'recorded', schema: z.object({ accepted: z.literal(true) }) },
        400: { description: `invalid; or \`at\` before the message was accepted or in the future (by more than ${RECEIPT_CLOCK_SKEW_MS / 60_000} minutes of clock skew)`, schema: errorBodySchema },
        401: { description: 'bad receipt token' },
        404: { description: 'no such message' },
      },
      handler: async ({ body, res }) => {
        const about = body.messageId ?? body.deliveryId!;
        if (!verifyReceiptToken(config.RECEIPT_SECRET, body.appId, about, body.token)) {
          throw new ApiError(401, 'unauthorized', 'invalid receipt token', [{ path: 'body.token', message: `does not match the ${body.messageId ? 'message' : 'delivery'}` }]);
        }
        const at = body.at ? new Date(body.at) : new Date();
        const recorded = body.messageId
          ? await recordReceipt(deps, { appId: body.appId, messageId: body.messageId, status: body.status, at })
          : await recordDeliveryReceipt(deps.db, { appId: body.appId, deliveryId: about, status: body.status, at });
        if (recorded.outcome === 'not_found') throw new ApiError(404, 'not_found', `no ${body.messageId ? 'message' : 'delivery'} ${about}`);
        if (recorded.outcome === 'out_of_range') {
          const message = `must be between ${recorded.earliest.toISOString()} (when the message was accepted, less the clock skew allowed) and ${recorded.latest.toISOString()} (now, plus the skew)`;
          throw new ApiError(400, 'invalid_request', `body.at: ${message}`, [{ path: 'body.at', message }]);
        }
        metrics.receipts.inc({ status: body.status });
        res.status(202).json({ accepted: true });
      },
    }),
  ];
}
