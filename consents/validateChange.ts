/**
 * Rota's local check of a consent change, with İYS's own rules (iys/rules.ts) so that a
 * change Rota stores is one İYS will take. Pure: the caller passes the current consent
 * and the clock. Rule failures name the field; a change that is older than (or the same
 * as) the stored one is not an error of the input but is not applied either.
 */
import type { ConsentStatus, ConsentType, HsSource, IysSource, RecipientType } from '../iys/consent';
import { consentDateRuleCodes, sourceStatusRuleCode, stateRuleCode, type RecordState } from '../iys/rules';
import { formatIysDate } from '../iys/dates';
import type { FieldIssue } from '../lib/invalidInput';
import type { ConsentSummary } from '../data/models/profiles';

/** İYS registers a consent at most this many business days after it was given (H467). */
export const BUSINESS_DAY_LIMIT = 3;

export interface ConsentChangeInput {
  type: ConsentType;
  status: ConsentStatus;
  recipientType: RecipientType;
  /** HS_* for a provider's write; İYS's own IYS_* sources only on records İYS already holds (the sync). */
  source: HsSource | IysSource;
  /** ms, whole seconds. */
  consentAt: number;
}

/**
 * Which rules a change answers to. A provider's write (Rota's API and import) must pass
 * İYS's rules for registering a consent, since Rota pushes it there. A record İYS already
 * holds (pulled by the sync) was accepted by İYS and İYS is the master: only the rule that
 * an older consent never overwrites a newer one still applies.
 */
export type RuleSet = 'provider' | 'iys_record';

const MESSAGES = {
  H162: 'consentDate is in the future (İYS H162)',
  H156: 'consentDate is before 2015-05-01, the earliest date İYS accepts (İYS H156)',
  H155: 'an HS_2015 consent must be dated exactly 2015-05-01 00:00:00 Turkey time (İYS H155)',
  H467: `consentDate is more than ${BUSINESS_DAY_LIMIT} business days ago: İYS no longer registers it (İYS H467)`,
  H408: 'source HS_KARAR (the provider\'s own decision) can only record RET (İYS H408)',
  H175: 'the first consent of a recipient cannot be RET: there is nothing to refuse yet (İYS H175)',
} as const;

/** Where a field of the change sits in the request, e.g. `body.status` or `rows.7.status`. */
export type PathOf = (field: 'externalId' | 'type' | 'status' | 'consentDate' | 'source' | 'recipientType') => string;

/** The rules that need no stored state: dates, and HS_KARAR only with RET. */
export function inputIssues(c: ConsentChangeInput, now: number, pathOf: PathOf, rules: RuleSet = 'provider'): FieldIssue[] {
  if (rules === 'iys_record') return [];
  const issues: FieldIssue[] = consentDateRuleCodes(c.consentAt, c.source, { now, businessDayLimit: BUSINESS_DAY_LIMIT }).map((code) => ({
    path: pathOf('consentDate'),
    message: MESSAGES[code],
  }));
  if (sourceStatusRuleCode(c.source, c.status)) issues.push({ path: pathOf('status'), message: MESSAGES.H408 });
  return issues;
}

export type StateDecision =
  | { kind: 'apply' }
  /** The same consent again (a retried request): nothing to do, and nothing wrong. */
  | { kind: 'unchanged' }
  /** Older than (or as old as) the stored consent, or a RET on a RET: not applied. */
  | { kind: 'ignored'; reason: 'stale' | 'already_ret'; message: string }
  | { kind: 'rejected'; issue: FieldIssue };

/**
 * The change against the profile's current consent of its type. İYS keeps one record per
 * recipientType and recipient, so a current consent for another number or recipientType
 * is no record at all for this change (its first record cannot be RET).
 */
export function decideAgainstCurrent(current: ConsentSummary | undefined, recipient: string, c: ConsentChangeInput, pathOf: PathOf, rules: RuleSet = 'provider'): StateDecision {
  const same = current && current.recipient === recipient && current.recipientType === c.recipientType ? current : undefined;
  if (same && same.status === c.status && same.source === c.source && same.consentDate.getTime() === c.consentAt) return { kind: 'unchanged' };
  // İYS's record: a first RET, a RET on a RET and an equal date (a line closure keeps the last consentDate) are all İYS's state to mirror.
  if (rules === 'iys_record') return same && c.consentAt < same.consentDate.getTime() ? stale(same) : { kind: 'apply' };
  const existing: RecordState | undefined = same && { status: same.status, consentAt: same.consentDate.getTime() };
  const code = stateRuleCode(existing, { status: c.status, recipientType: c.recipientType, consentAt: c.consentAt, source: c.source }, { rejectEqualDate: true });
  switch (code) {
    case undefined:
      return { kind: 'apply' };
    case 'H175':
      return { kind: 'rejected', issue: { path: pathOf('status'), message: MESSAGES.H175 } };
    case 'H174':
      return { kind: 'ignored', reason: 'already_ret', message: 'the consent is already RET; İYS takes a status update only when the status changes (İYS H174)' };
    default:
      // H178; H462/H463 cannot happen, the API requires consentDate and source.
      return stale(same!);
  }
}

function stale(stored: ConsentSummary): StateDecision {
  return {
    kind: 'ignored',
    reason: 'stale',
    message: `consentDate is not newer than the stored consent's (${formatIysDate(stored.consentDate)}): an older change never overwrites a newer one (İYS H178)`,
  };
}
