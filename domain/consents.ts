/** İYS consent vocabulary, shared by the consent store, segments and the send gate. */
export const CONSENT_TYPES = ['MESAJ', 'ARAMA', 'EPOSTA'] as const;
export type ConsentType = (typeof CONSENT_TYPES)[number];

export const CONSENT_STATUSES = ['ONAY', 'RET'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export const RECIPIENT_TYPES = ['BIREYSEL', 'TACIR'] as const;
export type RecipientType = (typeof RECIPIENT_TYPES)[number];
