/**
 * The send gate: the one decision every channel asks for before a send. Pure: it reads
 * the profile it is given and answers allowed or blocked with the reason, which the
 * caller writes to the delivery record. Consent (İYS) rules extend it here.
 */
import type { Channel, MessageCategory } from '../domain/messages';
import type { Device, ProfileDoc } from '../data/models/profiles';

export interface GateDecision {
  allowed: boolean;
  reason: string;
}

export interface GateRequest {
  profile: Pick<ProfileDoc, 'msisdn' | 'email' | 'devices'>;
  channel: Channel;
  category: MessageCategory;
}

const allow = (reason: string): GateDecision => ({ allowed: true, reason });
const block = (reason: string): GateDecision => ({ allowed: false, reason });

export function pushTargets(profile: Pick<ProfileDoc, 'devices'>): Device[] {
  return (profile.devices ?? []).filter((d) => d.pushEnabled);
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
      // Commercial SMS needs İYS consent (ONAY); until the consent store answers, none is assumed.
      if (req.category === 'commercial') return block('no_consent: commercial SMS needs İYS MESAJ consent (ONAY)');
      return allow(`msisdn_present${exempt}`);
    case 'email':
      if (!req.profile.email) return block('no_email: the profile has no e-mail address');
      if (req.category === 'commercial') return block('no_consent: commercial e-mail needs İYS EPOSTA consent (ONAY)');
      return allow(`email_present${exempt}`);
  }
}
