/**
 * The stateless checks of one consent (single add, each batch item), in the order and with
 * the codes of the document's examples. Every failing check is reported, as the document's
 * examples do (a 16-digit number gets H160 and H121; an HS_2015 consent dated before
 * 2015-05-01 gets H156 and H155); a check that needs an earlier field valid is skipped.
 */
import {
  CONSENT_STATUSES, CONSENT_TYPES, HS_SOURCES, RECIPIENT_TYPES, normalizeRecipient,
  type ConsentStatus, type ConsentType, type HsSource, type RecipientType,
} from '../../iys/consent';
import { hasIysDateFormat, parseIysDate } from '../../iys/dates';
import { consentDateRuleCodes, sourceStatusRuleCode, type DateRuleOptions } from '../../iys/rules';
import { errorItem, type IysErrorItem } from './errors';

export interface ValidConsent {
  recipient: string;
  recipientType: RecipientType;
  type: ConsentType;
  status: ConsentStatus;
  consentDate?: string;
  source?: HsSource;
  retailerCode?: number;
  retailerAccess?: number[];
}

export interface ValidationContext {
  now: number;
  businessDayLimit: number | null;
  holidays: ReadonlySet<string>;
}

const ALLOWED_KEYS = new Set(['recipientType', 'retailerAccess', 'recipient', 'retailerCode', 'source', 'type', 'consentDate', 'status']);
const E164 = /^\+[1-9]\d{1,14}$/;
// The document: no Turkish letters, no spaces, no special characters but + (and the usual . _ -) in the local part.
const EMAIL = /^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;

const ruleOptions = (ctx: ValidationContext): DateRuleOptions => ({ now: ctx.now, businessDayLimit: ctx.businessDayLimit, holidays: ctx.holidays });
const isBlank = (v: unknown) => v === undefined || v === null || v === '';
const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);

/** E.164 phone checks shared by add and status queries (which name the length rule H166). */
export function phoneErrors(recipient: string, lengthCode: 'H160' | 'H166', at: Partial<IysErrorItem>): IysErrorItem[] {
  const out: IysErrorItem[] = [];
  if (recipient.length > 15) out.push(errorItem(lengthCode, at));
  if (!E164.test(recipient)) out.push(errorItem('H121', at));
  return out;
}

export function isEmail(recipient: string): boolean {
  return recipient.length >= 6 && recipient.length <= 265 && EMAIL.test(recipient);
}

/** Recipient format for a type: H120 for e-mail, H160/H121 (or H166) for phones. */
export function recipientErrors(type: ConsentType, recipient: unknown, lengthCode: 'H160' | 'H166', index?: number): IysErrorItem[] {
  const at = { location: ['recipient'], value: recipient, ...(index === undefined ? {} : { index }) };
  if (typeof recipient !== 'string') return [errorItem(type === 'EPOSTA' ? 'H120' : 'H121', at)];
  if (type === 'EPOSTA') return isEmail(recipient) ? [] : [errorItem('H120', at)];
  return phoneErrors(recipient, lengthCode, at);
}

export function validateConsent(
  raw: Record<string, unknown>,
  ctx: ValidationContext,
  opts: { index?: number; rejectUnknownKeys: boolean },
): { errors: IysErrorItem[]; consent?: ValidConsent } {
  const errors: IysErrorItem[] = [];
  const at = (field: string, value?: unknown) => ({
    location: [field],
    ...(value === undefined ? {} : { value }),
    ...(opts.index === undefined ? {} : { index: opts.index }),
  });
  const add = (code: Parameters<typeof errorItem>[0], field: string, value?: unknown) => errors.push(errorItem(code, at(field, value)));

  if (raw.retailerCode === '') return { errors: [errorItem('H267', at('retailerCode'))] };
  if (raw.retailerCode !== undefined && !Number.isInteger(raw.retailerCode)) return { errors: [errorItem('H085', at('retailerCode', raw.retailerCode))] };
  if (opts.rejectUnknownKeys) for (const key of Object.keys(raw)) if (!ALLOWED_KEYS.has(key)) add('H118', key, raw[key]);

  const recipientType = isBlank(raw.recipientType) ? 'BIREYSEL' : raw.recipientType;
  // TACIR may leave out consentDate and source on its first add; the state rules ask for them on an update (H462/H463).
  const tacir = recipientType === 'TACIR';
  if (isBlank(raw.status)) add('H110', 'status');
  if (isBlank(raw.type)) add('H111', 'type');
  if (isBlank(raw.consentDate) && !tacir) add('H112', 'consentDate');
  if (isBlank(raw.source) && !tacir) add('H113', 'source');
  if (isBlank(raw.recipient)) add('H114', 'recipient');

  if (!isBlank(raw.status) && !oneOf(CONSENT_STATUSES, raw.status)) add('H115', 'status', raw.status);
  if (!oneOf(RECIPIENT_TYPES, recipientType)) add('H116', 'recipientType', recipientType);
  if (!isBlank(raw.type) && !oneOf(CONSENT_TYPES, raw.type)) add('H117', 'type', raw.type);
  if (!isBlank(raw.source) && !oneOf(HS_SOURCES, raw.source)) add('H119', 'source', raw.source);

  if (oneOf(CONSENT_TYPES, raw.type) && !isBlank(raw.recipient)) errors.push(...recipientErrors(raw.type, raw.recipient, 'H160', opts.index));

  if (!isBlank(raw.consentDate)) {
    const text = raw.consentDate;
    let consentAt: number | undefined;
    if (typeof text !== 'string' || !hasIysDateFormat(text)) add('H158', 'consentDate', text);
    else if ((consentAt = parseIysDate(text)) === undefined) add('H157', 'consentDate', text);
    // Only a date that passed the format checks is aged (the document's H156 example carries H156 alone).
    else for (const code of consentDateRuleCodes(consentAt, raw.source as string | undefined, ruleOptions(ctx))) add(code, 'consentDate', text);
  }
  if (sourceStatusRuleCode(raw.source, raw.status)) add('H408', 'status', raw.status);

  const access = raw.retailerAccess;
  if (access !== undefined) {
    if (!Array.isArray(access) || access.some((c) => !Number.isInteger(c))) add('H163', 'retailerAccess', access);
    else if (access.length === 0) add('H163', 'retailerAccess');
    else if (access.length > 3000) add('H126', 'retailerAccess');
  }

  if (errors.length > 0) return { errors };
  const type = raw.type as ConsentType;
  return {
    errors,
    consent: {
      recipient: normalizeRecipient(type, raw.recipient as string),
      recipientType: recipientType as RecipientType,
      type,
      status: raw.status as ConsentStatus,
      ...(isBlank(raw.consentDate) ? {} : { consentDate: raw.consentDate as string }),
      ...(isBlank(raw.source) ? {} : { source: raw.source as HsSource }),
      ...(raw.retailerCode === undefined ? {} : { retailerCode: raw.retailerCode as number }),
      ...(access === undefined ? {} : { retailerAccess: access as number[] }),
    },
  };
}
