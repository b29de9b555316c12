/** What the API shows of stored consents and audit entries: dates in İYS format (Turkey time), plus ISO for machines. */
import type { ConsentAuditDoc, ConsentSnapshot } from '../data/models/consentAudit';
import type { ConsentChangeDoc, ConsentOrigin } from '../data/models/consentChanges';
import type { ConsentSummary } from '../data/models/profiles';
import type { IysOutcomeDoc } from '../data/models/iysOutcomes';
import type { ConsentType } from '../iys/consent';
import { formatIysDate } from '../iys/dates';
import { localId } from '../lib/ids';
import type { ConsentView } from './schemas';

/** Where a change stands with İYS: its outcome when İYS answered, else what the change itself says. */
export function iysDeliveryView(change?: Pick<ConsentChangeDoc, 'iys'> | null, outcome?: IysOutcomeDoc | null): ConsentView['iys'] {
  if (!outcome) return { state: change?.iys?.state ?? 'pending' };
  return {
    state: outcome.state, via: outcome.via,
    ...(outcome.transactionId ? { transactionId: outcome.transactionId } : {}),
    ...(outcome.code ? { code: outcome.code } : {}),
    ...(outcome.message ? { message: outcome.message } : {}),
    at: outcome.at.toISOString(),
  };
}

export function toConsentView(type: ConsentType, s: ConsentSummary, change?: Pick<ConsentChangeDoc, 'iys'> | null, outcome?: IysOutcomeDoc | null): ConsentView {
  return {
    type,
    recipient: s.recipient ?? '',
    recipientType: s.recipientType,
    status: s.status,
    source: s.source ?? '',
    consentDate: formatIysDate(s.consentDate),
    consentDateIso: s.consentDate.toISOString(),
    origin: (s.origin ?? 'api') as ConsentOrigin,
    seq: s.seq ?? 0,
    iys: iysDeliveryView(change, outcome),
  };
}

const snapshotView = (s: ConsentSnapshot) => ({
  status: s.status, recipientType: s.recipientType, consentDate: formatIysDate(s.consentDate), recipient: s.recipient, ...(s.source ? { source: s.source } : {}),
});

export function toAuditView(e: ConsentAuditDoc) {
  return {
    id: localId(e._id),
    externalId: e.externalId,
    type: e.type,
    recipient: e.recipient,
    ...(e.before ? { before: snapshotView(e.before) } : {}),
    after: snapshotView(e.after),
    origin: e.origin,
    actor: { ...(e.actor?.keyId ? { keyId: e.actor.keyId } : {}), ...(e.actor?.job ? { job: e.actor.job } : {}) },
    at: e.at.toISOString(),
  };
}
