/** The consent store over HTTP: app backends set consents (ingest); compliance reads them and the audit log. */
import { z } from 'zod';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema } from '../errors';
import { route } from '../routing';
import type { Request } from 'express';
import type { ConsentActor } from '../../data/models/consentChanges';
import { CONSENT_TYPES } from '../../iys/consent';
import { InvalidInputError } from '../../lib/invalidInput';
import { applyConsentChanges } from '../../consents/applyChanges';
import { readAudit } from '../../consents/auditLog';
import { importConsents, importRows } from '../../consents/importConsents';
import {
  auditPageSchema, auditQuerySchema, consentParamsSchema, consentPutSchema, importBodyDoc, importResultSchema, MAX_IMPORT_ROWS, profileConsentsSchema, putResultSchema,
} from '../../consents/schemas';
import { toAuditView, toConsentView } from '../../consents/views';
import { externalIdSchema } from '../../profiles/schemas';
import { profileOr404 } from '../profileOr404';
import { wakeOutbox } from '../../iys/outbox/wake';

const actorOf = (req: Request): ConsentActor => ({ keyId: req.auth!.keyId });

export function consentRoutes(deps: ApiDeps) {
  const { db } = deps;
  return [
    route({
      method: 'put', path: '/v1/profiles/:externalId/consents/:type', tag: 'consents', access: 'ingest',
      summary: 'Record a consent change (İYS rules checked first); queued in order for İYS and audited',
      params: consentParamsSchema,
      body: consentPutSchema,
      responses: {
        200: { description: 'stored, or unchanged (the same consent again)', schema: putResultSchema },
        400: { description: 'an İYS rule failed (future or too old consentDate, HS_2015 date, HS_KARAR with ONAY, a first RET): nothing stored', schema: errorBodySchema },
        404: { description: 'no such profile' },
        409: { description: 'not applied: older than the stored consent (stale) or RET on RET; or the profile has no address for this type' },
      },
      handler: async ({ params, body, req, res }) => {
        const outcome = (await applyConsentChanges(db, appIdOf(req), [{ index: 0, externalId: params.externalId, type: params.type, ...body, consentAt: body.consentDate }], {
          origin: 'api', actor: actorOf(req), now: Date.now(),
          pathOf: () => (field) => (field === 'externalId' || field === 'type' ? `params.${field}` : `body.${field}`),
        }))[0]!;
        switch (outcome.outcome) {
          case 'rejected':
            if (outcome.status === 400) throw new InvalidInputError(outcome.errors);
            throw new ApiError(outcome.status, outcome.code, outcome.errors[0]!.message, outcome.errors);
          case 'ignored':
            throw new ApiError(409, outcome.reason === 'stale' ? 'stale_consent' : 'already_ret', outcome.message, [{ path: outcome.reason === 'stale' ? 'body.consentDate' : 'body.status', message: outcome.message }]);
          default:
            if (outcome.change) await wakeOutbox(deps, appIdOf(req), { changeIds: [outcome.change._id] });
            res.json({ outcome: outcome.outcome, consent: toConsentView(params.type, outcome.consent, outcome.change ?? (await db.consentChanges.findOne({ _id: outcome.consent.changeId }).lean())) });
        }
      },
    }),
    route({
      method: 'get', path: '/v1/profiles/:externalId/consents', tag: 'consents', access: 'compliance',
      summary: 'The current consent of each İYS type, with its origin and İYS delivery state',
      params: z.object({ externalId: externalIdSchema }),
      responses: { 200: { description: 'the consents', schema: profileConsentsSchema }, 404: { description: 'no such profile' } },
      handler: async ({ params, req, res }) => {
        const profile = await profileOr404(db, appIdOf(req), params.externalId);
        const consents: Record<string, unknown> = {};
        await Promise.all(
          CONSENT_TYPES.map(async (type) => {
            const summary = profile.consents?.[type];
            if (!summary) return;
            const [change, outcome] = summary.changeId
              ? await Promise.all([db.consentChanges.findOne({ _id: summary.changeId }).lean(), db.iysOutcomes.findOne({ _id: summary.changeId }).lean()])
              : [null, null];
            consents[type] = toConsentView(type, summary, change, outcome);
          }),
        );
        res.json({ externalId: params.externalId, consents });
      },
    }),
    route({
      method: 'post', path: '/v1/consents/import', tag: 'consents', access: 'ingest',
      summary: `Import up to ${MAX_IMPORT_ROWS} consent changes as {"rows": [...]} (JSON) or text/csv with a header; each row is answered by its index`,
      body: z.union([z.string(), z.record(z.string(), z.unknown())]),
      bodyDoc: importBodyDoc,
      responses: {
        200: { description: 'valid rows stored; every row answered (stored, unchanged, ignored or rejected with the reason)', schema: importResultSchema },
        400: { description: 'not an import body, or no rows', schema: errorBodySchema },
      },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        const { result, writeIds } = await importConsents(db, appId, importRows(body), { ...actorOf(req), job: 'import' });
        await wakeOutbox(deps, appId, { writeIds });
        res.json(result);
      },
    }),
    route({
      method: 'get', path: '/v1/consents/audit', tag: 'consents', access: 'compliance',
      summary: 'The consent audit log: every change with before and after, origin, and the API key or job that made it; oldest first, paged',
      query: auditQuerySchema,
      responses: { 200: { description: 'a page of entries', schema: auditPageSchema } },
      handler: async ({ query, req, res }) => {
        const page = await readAudit(db, appIdOf(req), query);
        res.json({ entries: page.entries.map(toAuditView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
      },
    }),
  ];
}
