/**
 * The send gate: the one decision every channel asks for before a send. `decideSend` is the
 * pure part: it reads the profile it is given (with its `consents` summary, as the consent
 * store keeps it) and answers allowed or blocked with the reason and, when consent decided it,
 * the consent record it used. `gateSend` is the whole gate: that, then for commercial sends
 * the app's quiet hours (defer or skip) and frequency caps (a slot claimed in the profile's
 * cap ledger, gate/capLedger.ts), last so that only a send that passes everything takes a
 * slot. The caller writes the decision and its reason to the delivery record, or the reason
 * to the message when the gate says no.
 *
 * İYS rules (shared/iys/NOTES.md §5): commercial SMS and calls need MESAJ / ARAMA consent,
 * commercial e-mail EPOSTA consent: a BIREYSEL recipient only with ONAY, a TACIR one until
 * it refuses (RET). Without a record Rota cannot know a recipient is TACIR, so no record
 * blocks. Transactional messages are exempt and marked so; they are never capped and never
 * wait for quiet hours. Push is not an İYS channel.
 */
import type { Channel, MessageCategory } from '../domain/messages';
import type { Device, ProfileDoc } from '../data/models/profiles';
import { normalizeRecipient, type ConsentStatus, type ConsentType, type RecipientType } from '../iys/consent';
import type { CapLedger } from './capLedger';
import { capReason, rulesFor } from './frequencyCaps';
import { localDayNumber, profileTimeZone } from './localTime';
import { describeWindow, quietHoursAt } from './quietHours';
import type { DeliverySettings } from './settings';

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
  return (profile.devices ?? []).filter((d) => d.pushEnabled && !d.uninstalledAt);
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
      if (req.profile.devices.every((d) => d.uninstalledAt)) return block('uninstalled: the app is uninstalled from every device of the profile (the provider said its tokens are dead)');
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

/** What the whole gate needs beyond the pure request: the time, the app's settings, the message and how it may be sent. */
export interface SendContext {
  appId: string;
  profileId: string;
  messageId: string;
  now: Date;
  settings: DeliverySettings;
  /** POST /v1/messages `overrideCaps` (operators only): the send is admitted whatever the caps, and counted. */
  overrideCaps?: boolean;
  /** When this send already waited for quiet hours: until when (recorded with the decision). */
  deferredUntil?: string;
}

/** A decision to wait: not sent now, asked again at `deferUntil`. */
export interface GateOutcome extends GateDecision {
  deferUntil?: Date;
}

/**
 * The whole gate for one send: consent and device, then (commercial only) quiet hours, then
 * the frequency caps, whose slot is claimed last. A refusal's reason begins with its code
 * (`frequency_cap:`, `quiet_hours:`, `consent_ret:`…); an admitted send's reason lists what
 * let it through, e.g. `consent_onay: BIREYSEL MESAJ ONAY; frequency_cap_ok: 2 of at most 3 …`.
 */
export async function gateSend(req: GateRequest, ctx: SendContext, ledger: CapLedger): Promise<GateOutcome> {
  const base = decideSend(req);
  if (!base.allowed || req.category === 'transactional') return base;
  const { consent } = base;
  const { timeZone, source } = profileTimeZone(req.profile.devices, ctx.settings.timeZone);
  const whose = source === 'device' ? "the device's zone" : "the app's zone";

  const quiet = ctx.settings.quietHours;
  if (quiet) {
    const state = quietHoursAt(ctx.now, timeZone, quiet);
    if (state.inside) {
      const window = `${describeWindow(quiet)} in ${timeZone}`;
      if (quiet.policy === 'skip') return block(`quiet_hours: commercial sends are not made during quiet hours ${window} (${whose}; policy skip)`, consent);
      const until = `${quiet.end} in ${timeZone} (${state.endsAt.toISOString()})`;
      return { ...block(`quiet_hours: deferred until ${until}, the end of quiet hours ${window} (${whose})`, consent), deferUntil: state.endsAt };
    }
  }

  const verdict = await ledger.claim({
    appId: ctx.appId,
    profileId: ctx.profileId,
    messageId: ctx.messageId,
    channel: req.channel,
    day: localDayNumber(ctx.now.getTime(), timeZone),
    rules: rulesFor(req.channel, ctx.settings.frequencyCaps),
    allRules: ctx.settings.frequencyCaps,
    override: ctx.overrideCaps === true,
  });
  if (!verdict.admitted) return block(`${capReason(verdict)} (calendar days in ${timeZone}, ${whose})`, consent);
  const waited = ctx.deferredUntil ? `; quiet_hours_waited: held until ${ctx.deferredUntil}, the end of quiet hours in ${timeZone}` : '';
  return allow(`${base.reason}; ${capReason(verdict)}${waited}`, consent);
}
