/**
 * The send gate: the one decision every channel asks for before a send. Pure: it reads
 * the profile it is given (with its `consents` summary, as the consent store keeps it) and
 * answers allowed or blocked with the reason and, when consent decided it, the consent
 * record it used; the caller writes both to the delivery record.
 *
 * İYS rules (shared/iys/NOTES.md §5): commercial SMS and calls need MESAJ / ARAMA consent,
 * commercial e-mail EPOSTA consent: a BIREYSEL recipient only with ONAY, a TACIR one until
 * it refuses (RET). Without a record Rota cannot know a recipient is TACIR, so no record
 * blocks. Transactional messages are exempt and marked so. Push is not an İYS channel.
 */
import type { Channel, MessageCategory } from '../domain/messages';
import type { Device, ProfileDoc } from '../data/models/profiles';
import { normalizeRecipient, type ConsentStatus, type ConsentType, type RecipientType } from '../iys/consent';

/** The consent record a decision was based on, as the delivery record keeps it. */
export interface ConsentUsed {
  type: ConsentType;
  status: ConsentStatus;
  recipientType: RecipientType;
  consentDate: Date;
}

export interface GateDecision {
  allowed: boolean;
  reason: string;
  consent?: ConsentUsed;
}

export interface GateRequest {
  profile: Pick<ProfileDoc, 'msisdn' | 'email' | 'devices' | 'consents'>;
  channel: Channel;
  category: MessageCategory;
}

const allow = (reason: string, consent?: ConsentUsed): GateDecision => ({ allowed: true, reason, ...(consent ? { consent } : {}) });
const block = (reason: string, consent?: ConsentUsed): GateDecision => ({ allowed: false, reason, ...(consent ? { consent } : {}) });

const WHAT: Record<ConsentType, string> = { MESAJ: 'SMS', ARAMA: 'calls', EPOSTA: 'e-mail' };

export function pushTargets(profile: Pick<ProfileDoc, 'devices'>): Device[] {
  return (profile.devices ?? []).filter((d) => d.pushEnabled);
}

/** İYS's rule for a commercial message of `type` to `recipient`, from the profile's current consent of that type. */
export function commercialConsent(type: ConsentType, recipient: string, consents: ProfileDoc['consents']): GateDecision {
  const c = consents?.[type];
  if (!c) return block(`no_consent: commercial ${WHAT[type]} needs İYS ${type} consent (ONAY)`);
  const used: ConsentUsed = { type, status: c.status, recipientType: c.recipientType, consentDate: c.consentDate };
  // A consent given for a number or address the profile no longer has does not cover the new one.
  if (c.recipient !== undefined && c.recipient !== normalizeRecipient(type, recipient)) {
    return block(`consent_other_recipient: the ${type} consent is for another address than the profile's current one`, used);
  }
  if (c.status === 'RET') return block(`consent_ret: the ${c.recipientType} recipient refused ${WHAT[type]} (${type} RET)`, used);
  if (c.recipientType === 'TACIR') return allow(`tacir_not_refused: a TACIR recipient may get commercial ${WHAT[type]} until RET`, used);
  return allow(`consent_onay: BIREYSEL ${type} ONAY`, used);
}

export function decideSend(req: GateRequest): GateDecision {
  const exempt = req.category === 'transactional' ? ' (transactional: consent-exempt)' : '';
  switch (req.channel) {
    case 'push':
      if (!req.profile.devices?.length) return block('no_device: the profile has no registered device');
      if (pushTargets(req.profile).length === 0) return block('push_disabled: push is disabled on every device of the profile');
      return allow(`push_enabled${exempt}`);
    case 'sms':
      if (!req.profile.msisdn) return block('no_msisdn: the profile has no phone number');
      if (req.category === 'commercial') return commercialConsent('MESAJ', req.profile.msisdn, req.profile.consents);
      return allow(`msisdn_present${exempt}`);
    case 'email':
      if (!req.profile.email) return block('no_email: the profile has no e-mail address');
      if (req.category === 'commercial') return commercialConsent('EPOSTA', req.profile.email, req.profile.consents);
      return allow(`email_present${exempt}`);
  }
}
