/** İYS consent vocabulary, as the official API document defines it. Shared by the simulator and the client. */

export const CONSENT_TYPES = ['ARAMA', 'MESAJ', 'EPOSTA'] as const;
export const CONSENT_STATUSES = ['ONAY', 'RET'] as const;
export const RECIPIENT_TYPES = ['BIREYSEL', 'TACIR'] as const;
/** Sources a service provider may send. */
export const HS_SOURCES = [
  'HS_FIZIKSEL_ORTAM', 'HS_ISLAK_IMZA', 'HS_WEB', 'HS_CAGRI_MERKEZI', 'HS_SOSYAL_MEDYA', 'HS_EPOSTA', 'HS_MESAJ',
  'HS_MOBIL', 'HS_EORTAM', 'HS_ETKINLIK', 'HS_2015', 'HS_ATM', 'HS_KARAR',
] as const;
/** Sources only İYS writes: citizen actions on İYS channels and line closures. */
export const IYS_SOURCES = [
  'IYS_KISAMESAJ', 'IYS_CM', 'IYS_WEB', 'IYS_WEB_YENI', 'IYS_MOBIL', 'IYS_EPOSTA', 'IYS_AHS_HAT_KAPATMA', 'IYS_FRAME_EPOSTA', 'IYS_FRAME_SMS',
] as const;

export type ConsentType = (typeof CONSENT_TYPES)[number];
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];
export type RecipientType = (typeof RECIPIENT_TYPES)[number];
export type HsSource = (typeof HS_SOURCES)[number];
export type IysSource = (typeof IYS_SOURCES)[number];

/** The fixed consentDate of HS_2015 ("1 Mayıs 2015 öncesi") consents, and the earliest date İYS accepts. */
export const HS_2015_DATE = '2015-05-01 00:00:00';

/** The body of single and batch add (`Consent` schema). Optional fields are omitted, never null or "". */
export interface Consent {
  recipient: string;
  type: ConsentType;
  status: ConsentStatus;
  /** Turkey time, `YYYY-MM-DD HH:mm:ss`; optional only on a TACIR record's first add. */
  consentDate?: string;
  /** Optional only on a TACIR record's first add. */
  source?: HsSource;
  /** İYS default: BIREYSEL. */
  recipientType?: RecipientType;
  retailerCode?: number;
  retailerAccess?: number[];
}

/** One consent movement, as the changes feed (pull) lists it. */
export interface ConsentMovement {
  consentDate: string;
  creationDate: string;
  source: HsSource | IysSource;
  recipient: string;
  recipientType: RecipientType;
  status: ConsentStatus;
  type: ConsentType;
  transactionId: string;
  citizenName?: string;
}

/** The single status query's answer. */
export interface ConsentRecord {
  consentDate: string;
  source: HsSource | IysSource;
  recipientType: RecipientType;
  status: ConsentStatus;
  type: ConsentType;
  recipient: string;
  creationDate: string;
  transactionId: string;
  retailerCode?: number;
  retailerTitle?: string;
  retailerAccessCount?: number;
}

/** Batch, multi-status and pull page limits. */
export const MAX_BATCH = 1000;
export const MAX_MULTI_STATUS = 1000;
export const MAX_PULL_LIMIT = 1000;

/** E-mails are stored lower-cased; the key a recipient is stored under. */
export function normalizeRecipient(type: ConsentType, recipient: string): string {
  return type === 'EPOSTA' ? recipient.trim().toLowerCase() : recipient.trim();
}

/** The identity of one consent within a brand: one record per (recipientType, type, recipient). */
export function consentKey(recipientType: RecipientType, type: ConsentType, recipient: string): string {
  return `${recipientType}|${type}|${normalizeRecipient(type, recipient)}`;
}
