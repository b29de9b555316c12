/**
 * Where Rota's consent and İYS's disagree, for one chunk of profiles and one type. İYS's
 * multi-status query answers only which recipients are ONAY (RET and unknown look alike),
 * so the two differences it can tell are: Rota ONAY but İYS not, and Rota RET but İYS ONAY.
 */
import type { DriftItem } from '../../data/models/iysDrift';
import type { ConsentSummary } from '../../data/models/profiles';
import type { DriftKind } from '../../domain/iysSync';
import type { ConsentType, RecipientType } from '../consent';

export interface Held {
  externalId?: string;
  consent: ConsentSummary & { recipient: string };
}

export type ApprovedLookup = (recipientType: RecipientType, type: ConsentType, recipients: string[]) => Promise<Set<string>>;

export async function compareWithIys(type: ConsentType, held: readonly Held[], approvedAtIys: ApprovedLookup): Promise<{ kind: DriftKind; item: DriftItem }[]> {
  const byRecipientType = new Map<RecipientType, Held[]>();
  for (const h of held) byRecipientType.set(h.consent.recipientType, [...(byRecipientType.get(h.consent.recipientType) ?? []), h]);
  const out: { kind: DriftKind; item: DriftItem }[] = [];
  for (const [recipientType, group] of byRecipientType) {
    const approved = await approvedAtIys(recipientType, type, group.map((h) => h.consent.recipient));
    for (const h of group) {
      const onayAtIys = approved.has(h.consent.recipient);
      const kind: DriftKind | undefined = h.consent.status === 'ONAY' && !onayAtIys ? 'rota_onay_iys_not' : h.consent.status === 'RET' && onayAtIys ? 'rota_ret_iys_onay' : undefined;
      if (!kind) continue;
      out.push({
        kind,
        item: {
          recipient: h.consent.recipient, ...(h.externalId ? { externalId: h.externalId } : {}), type, recipientType,
          rotaStatus: h.consent.status, rotaConsentDate: h.consent.consentDate,
        },
      });
    }
  }
  return out;
}
