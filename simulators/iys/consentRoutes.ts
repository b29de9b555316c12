/**
 * The consent endpoints of the İYS API: single add, batch add and its result query, single
 * and multi status queries, the changes feed. `v2` routes carry the idempotent single add
 * (same path and body → same transactionId) and the v2 batch.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { CONSENT_TYPES, MAX_BATCH, MAX_MULTI_STATUS, RECIPIENT_TYPES, consentKey, normalizeRecipient, type ConsentType } from '../../iys/consent';
import { pullChanges } from './changes';
import type { SimContext } from './context';
import { SimHttpError, errorItem, type IysErrorItem } from './errors';
import { brandOf, publicRecord } from './store';
import { isEmail, recipientErrors, validateConsent, type ValidConsent } from './validation';

const BRAND = '/sps/:iysCode/brands/:brandCode';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const brandOfReq = (req: Request) => {
  const { iysCode, brandCode } = req.params as { iysCode: string; brandCode: string };
  return brandOf(iysCode, brandCode);
};

/** H180 for retailer codes the brand does not have (when the simulator was given its retailers). */
function retailerErrors(ctx: SimContext, c: ValidConsent, index?: number): IysErrorItem[] {
  const known = ctx.opts.retailerCodes;
  if (!known) return [];
  const where = index === undefined ? {} : { index };
  const out: IysErrorItem[] = [];
  if (c.retailerCode !== undefined && !known.includes(c.retailerCode)) out.push(errorItem('H180', { ...where, location: ['retailerCode'], value: c.retailerCode }));
  (c.retailerAccess ?? []).forEach((code, i) => {
    if (!known.includes(code)) out.push(errorItem('H180', { ...where, location: ['retailerAccess', i], value: code }));
  });
  return out;
}

export function consentRoutes(ctx: SimContext, v2: boolean): Router {
  const r = Router();
  const guard = ctx.tokens.guard();
  /** v2 single add: the answer each (path, body) got the first time it succeeded. */
  const idempotent = new Map<string, { transactionId: string; creationDate: string }>();

  r.post(`${BRAND}/consents`, guard, (req, res) => {
    if (!isObject(req.body)) throw SimHttpError.code('H085');
    const { errors, consent } = validateConsent(req.body, ctx.validation(), { rejectUnknownKeys: true });
    if (!consent) throw SimHttpError.of(errors);
    const retailer = retailerErrors(ctx, consent);
    if (retailer.length > 0) throw SimHttpError.of(retailer);
    const key = v2 ? createHash('sha256').update(`${req.path}\u0000${JSON.stringify(req.body)}`).digest('hex') : undefined;
    const seen = key && idempotent.get(key);
    if (seen) return void res.json(seen);
    const written = ctx.store.write(brandOfReq(req), consent);
    if (!written.ok) throw SimHttpError.of([written.error]);
    const answer = { transactionId: written.record.transactionId, creationDate: written.record.creationDate };
    if (key) idempotent.set(key, answer);
    res.json(answer);
  });

  r.post(`${BRAND}/consents/request`, guard, (req, res) => {
    const list: unknown = req.body;
    if (!Array.isArray(list) || list.length === 0) throw SimHttpError.code('H092');
    if (list.length > MAX_BATCH) throw SimHttpError.code('H091');
    const brand = brandOfReq(req);
    const errors: IysErrorItem[] = [];
    const consents: ValidConsent[] = [];
    const seen = new Set<string>();
    list.forEach((raw, index) => {
      if (!isObject(raw)) return void errors.push(errorItem('H092', { index }));
      const v = validateConsent(raw, ctx.validation(), { index, rejectUnknownKeys: false });
      errors.push(...v.errors);
      if (!v.consent) return;
      const key = consentKey(v.consent.recipientType, v.consent.type, v.consent.recipient);
      if (seen.has(key)) errors.push(errorItem('H194', { index, location: ['recipient'], value: v.consent.recipient }));
      seen.add(key);
      consents.push(v.consent);
    });
    if (errors.length > 0) throw SimHttpError.of(errors);
    const retailer = consents.flatMap((c, i) => retailerErrors(ctx, c, i));
    if (retailer.length > 0) throw SimHttpError.of(retailer);
    const limit = ctx.opts.consentLimit;
    if (limit !== undefined) {
      const fresh = consents.filter((c) => !ctx.store.get(brand, c.recipientType, c.type, c.recipient)).length;
      if (ctx.store.list(brand).length + fresh > limit) throw SimHttpError.code('H525');
    }
    res.status(202).json(ctx.batches.submit(brand, consents, v2));
  });

  r.get(`${BRAND}/consents/request/:requestId`, guard, (req, res) => {
    const requestId = (req.params as { requestId: string }).requestId;
    const at = { location: ['requestId'], value: requestId };
    if (requestId.length > 36) throw SimHttpError.code('H198', at);
    if (/^[A-Za-z]+$/.test(requestId)) throw SimHttpError.code('H199', at);
    if (/^\d+$/.test(requestId)) throw SimHttpError.code('H400', at);
    res.json(ctx.batches.results(brandOfReq(req), requestId));
  });

  if (v2) return r;

  r.post(`${BRAND}/consents/status`, guard, (req, res) => {
    if (!ctx.limits.status.take(req.ip ?? '', ctx.clock.now())) throw SimHttpError.code('H086');
    const b: unknown = req.body;
    if (!isObject(b)) throw SimHttpError.code('H097');
    const errors: IysErrorItem[] = [];
    if (b.recipientType === undefined) errors.push(errorItem('H170', { location: ['recipientType'] }));
    else if (!RECIPIENT_TYPES.includes(b.recipientType as never)) errors.push(errorItem('H116', { location: ['recipientType'], value: b.recipientType }));
    if (b.type === undefined) errors.push(errorItem('H111', { location: ['type'] }));
    else if (!CONSENT_TYPES.includes(b.type as never)) errors.push(errorItem('H117', { location: ['type'], value: b.type }));
    if (b.recipient === undefined || b.recipient === '') errors.push(errorItem('H114', { location: ['recipient'] }));
    else if (CONSENT_TYPES.includes(b.type as never)) errors.push(...recipientErrors(b.type as ConsentType, b.recipient, 'H166'));
    if (errors.length > 0) throw SimHttpError.of(errors);
    const record = ctx.store.get(brandOfReq(req), b.recipientType as never, b.type as ConsentType, b.recipient as string);
    if (record) return void res.json(publicRecord(record));
    // The document gives no answer for an unknown consent; see the statusNotFound option.
    if (ctx.opts.statusNotFound === 'empty200') return void res.json({});
    throw new SimHttpError(404, { errors: [{ message: 'İzin bulunamadı.' }] });
  });

  r.post(`${BRAND}/consents/:recipientType/status/:type`, guard, (req, res) => {
    const { recipientType, type } = req.params as { recipientType: string; type: string };
    if (!RECIPIENT_TYPES.includes(recipientType as never)) throw SimHttpError.code('H116', { location: ['recipientType'], value: recipientType });
    if (!CONSENT_TYPES.includes(type as never)) throw SimHttpError.code('H117', { location: ['type'], value: type });
    if (!isObject(req.body)) throw SimHttpError.code('H014');
    const recipients = req.body.recipients;
    if (recipients === undefined) throw SimHttpError.code('H168', { location: ['recipients'] });
    if (!Array.isArray(recipients)) throw SimHttpError.code('H478', { location: ['recipients'], value: recipients });
    if (recipients.length === 0) throw SimHttpError.code('H164', { location: ['recipients'], value: recipients });
    // The document states the 1000 cap but no code for it.
    if (recipients.length > MAX_MULTI_STATUS) throw SimHttpError.code('H091', { message: 'Sorgulanabilecek alıcı sayısı en fazla 1000 olmalıdır.' });
    const seen = new Set<string>();
    const errors: IysErrorItem[] = [];
    recipients.forEach((rc: unknown, i) => {
      const at = { location: ['recipients', i], value: rc };
      const wantsEmail = type === 'EPOSTA';
      if (typeof rc !== 'string' || (wantsEmail ? !isEmail(rc) : recipientErrors(type as ConsentType, rc, 'H160').length > 0)) {
        const message = `İzin tipi (type) ${type} için, alıcı (recipient) ${wantsEmail ? 'e-posta' : 'telefon'} formatında olmalıdır.`;
        return void errors.push(errorItem('H464', { ...at, message }));
      }
      const key = normalizeRecipient(type as ConsentType, rc);
      if (seen.has(key)) errors.push(errorItem('H193', at));
      seen.add(key);
    });
    if (errors.length > 0) throw SimHttpError.of(errors);
    const brand = brandOfReq(req);
    const list = (recipients as string[]).filter((rc) => ctx.store.get(brand, recipientType as never, type as ConsentType, rc)?.status === 'ONAY');
    res.json({ requestId: randomUUID(), list });
  });

  r.get(`${BRAND}/consents/changes`, guard, (req, res) => {
    const page = pullChanges(ctx.store.movements, { brand: brandOfReq(req), ...req.query }, {
      now: ctx.clock.now(), lagMs: ctx.opts.changesLagMs, windowMs: ctx.opts.changesWindowMs,
    });
    if (!page) return void res.status(204).end();
    res.json(page);
  });

  return r;
}
