import type { DeliveryDoc } from '../data/models/deliveries';
import type { MessageDoc } from '../data/models/messages';
import { OUTCOME_TEXT, type Channel, type MessageStep } from '../domain/messages';
import { publicProviderError, publicSkipReason } from './providerErrors';
import type { MessageView } from './schemas';
import { localId } from '../lib/ids';
import { messageStatus } from '../data/messageTimeline';

/** Tokens and numbers are personal data: the status view shows only their ends. */
export function maskRecipient(value: string): string {
  return value.length <= 6 ? '***' : `${value.slice(0, 3)}…${value.slice(-3)}`;
}

export function toMessageView(m: MessageDoc, deliveries: DeliveryDoc[]): MessageView {
  const timeline = (Object.entries(m.timeline) as [MessageStep, Date][])
    .map(([step, at]) => ({ step, at: new Date(at).toISOString() }))
    .sort((a, b) => a.at.localeCompare(b.at));
  return {
    id: m.messageId,
    to: { externalId: m.externalId, profileId: localId(m.profileId) },
    category: m.category,
    status: messageStatus(m),
    outcome: OUTCOME_TEXT[messageStatus(m)],
    fallbackAfterSeconds: m.fallbackTimeoutMs / 1000,
    timeline,
    skipped: Object.fromEntries(Object.entries(m.reasons).map(([channel, reason]) => [channel, publicSkipReason(channel as Channel, reason)])),
    deliveries: deliveries.map((d) => ({
      channel: d.channel,
      state: d.state,
      recipient: maskRecipient(d.recipient),
      decision: {
        allowed: d.decision.allowed,
        reason: d.decision.reason,
        ...(d.decision.consent ? { consent: { ...d.decision.consent, consentDate: new Date(d.decision.consent.consentDate).toISOString() } } : {}),
      },
      attempts: d.attempts,
      ...(d.sentAt ? { sentAt: d.sentAt.toISOString() } : {}),
      ...(d.error ? { error: publicProviderError(d.channel, d.error) } : {}),
    })),
    createdAt: m.createdAt.toISOString(),
  };
}
