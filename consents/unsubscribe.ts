/**
 * An e-mail recipient's unsubscribe: an `EPOSTA` `RET` through the consent store's one write
 * path (so it is audited and, in Integrator mode, reaches İYS), sourced `HS_EPOSTA` since
 * it was given through the e-mail itself.
 */
import type { Db } from '../data/db';
import { applyConsentChanges } from './applyChanges';

export type UnsubscribeOutcome =
  | { outcome: 'unsubscribed'; changeId: string }
  /** Already RET, or no EPOSTA consent at all: commercial e-mail is blocked either way. */
  | { outcome: 'already'; reason: 'ret' | 'no_consent' }
  | { outcome: 'unknown_profile' }
  /** The consent it refuses was given this very second: İYS dates are seconds, so a RET can only follow in the next one. */
  | { outcome: 'retry' };

export async function unsubscribeEmail(db: Db, appId: string, profileId: string, now = Date.now()): Promise<UnsubscribeOutcome> {
  const profile = await db.profiles.findOne({ _id: profileId }, { appId: 1, consents: 1, erasing: 1, mergedInto: 1 }).lean();
  if (!profile || profile.appId !== appId || profile.erasing) return { outcome: 'unknown_profile' };
  const current = profile.consents?.EPOSTA;
  if (!current) return { outcome: 'already', reason: 'no_consent' };
  if (current.status === 'RET') return { outcome: 'already', reason: 'ret' };
  // İYS dates are whole seconds and a RET must be newer than the consent it refuses.
  const consentAt = Math.max(Math.floor(now / 1000) * 1000, current.consentDate.getTime() + 1000);
  const [result] = await applyConsentChanges(
    db, appId,
    [{ index: 0, profileId: profile.mergedInto ?? profileId, type: 'EPOSTA', status: 'RET', recipientType: current.recipientType, source: 'HS_EPOSTA', consentAt }],
    { origin: 'api', actor: { job: 'unsubscribe_link' }, now, pathOf: () => (field) => field },
  );
  if (result?.outcome === 'stored' && result.change) return { outcome: 'unsubscribed', changeId: result.change._id };
  if (result?.outcome === 'unchanged' || (result?.outcome === 'ignored' && result.reason !== 'stale')) return { outcome: 'already', reason: 'ret' };
  return { outcome: 'retry' };
}
