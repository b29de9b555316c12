/**
 * İYS's consent rules as pure functions over parsed values, answering with İYS's H-codes.
 * The simulator answers requests with them; Rota's consent store checks them before it
 * stores a change, so that nothing it later pushes to İYS is refused for a rule it could
 * have known.
 */
import { HS_2015_DATE, type ConsentStatus, type RecipientType } from './consent';
import { isTooOldToRegister, parseIysDate } from './dates';

/** 2015-05-01 00:00:00 Turkey time: HS_2015's fixed date and the earliest date İYS accepts. */
export const EARLIEST_CONSENT_AT = parseIysDate(HS_2015_DATE)!;

export interface DateRuleOptions {
  now: number;
  /** Business days a consent may be old when registered (İYS: 3); null turns the rule off. */
  businessDayLimit: number | null;
  holidays?: ReadonlySet<string>;
}

export type DateRuleCode = 'H162' | 'H156' | 'H155' | 'H467';

/**
 * The rules on a well-formed consentDate: not in the future (H162), not before 2015-05-01
 * (H156), exactly 2015-05-01 00:00:00 for HS_2015 (H155), and, for a date that passed
 * those, not more than the business-day limit old (H467). HS_2015 consents carry their
 * fixed 2015 date by definition, so the age rule cannot apply to them.
 */
export function consentDateRuleCodes(consentAt: number, source: string | undefined, opts: DateRuleOptions): DateRuleCode[] {
  const codes: DateRuleCode[] = [];
  if (consentAt > opts.now) codes.push('H162');
  if (consentAt < EARLIEST_CONSENT_AT) codes.push('H156');
  if (source === 'HS_2015' && consentAt !== EARLIEST_CONSENT_AT) codes.push('H155');
  if (codes.length === 0 && source !== 'HS_2015' && opts.businessDayLimit !== null && isTooOldToRegister(consentAt, opts.now, opts.businessDayLimit, opts.holidays)) {
    codes.push('H467');
  }
  return codes;
}

/** H408: HS_KARAR (the provider's own decision to stop) can only record a RET. */
export function sourceStatusRuleCode(source: unknown, status: unknown): 'H408' | undefined {
  return source === 'HS_KARAR' && status === 'ONAY' ? 'H408' : undefined;
}

/** The stored record a new write is checked against (one per recipientType, type and recipient). */
export interface RecordState {
  status: ConsentStatus;
  /** Absent on a TACIR record added without a date. */
  consentAt?: number;
}

export interface IncomingState {
  status: ConsentStatus;
  recipientType: RecipientType;
  consentAt?: number;
  source?: string;
}

export type StateRuleCode = 'H175' | 'H462' | 'H463' | 'H174' | 'H178';

/**
 * İYS's rules of a provider's write against the stored record: the first record cannot be
 * RET (H175); a TACIR update needs consentDate and source (H462/H463); RET on RET changes
 * nothing (H174; ONAY on ONAY is a valid re-registration since 1.1.0); an older consentDate
 * never overwrites a newer one (H178, and an equal one too when `rejectEqualDate`).
 */
export function stateRuleCode(existing: RecordState | undefined, incoming: IncomingState, opts: { rejectEqualDate: boolean }): StateRuleCode | undefined {
  if (!existing) return incoming.status === 'RET' ? 'H175' : undefined;
  if (incoming.recipientType === 'TACIR') {
    if (incoming.consentAt === undefined) return 'H462';
    if (incoming.source === undefined) return 'H463';
  }
  if (existing.status === 'RET' && incoming.status === 'RET') return 'H174';
  const stored = existing.consentAt;
  const next = incoming.consentAt;
  if (stored !== undefined && next !== undefined && (next < stored || (opts.rejectEqualDate && next === stored))) return 'H178';
  return undefined;
}
