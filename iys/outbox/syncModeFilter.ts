/**
 * Which changes have no record at İYS to update. The multi-status query (1000 recipients a
 * call) names the ONAY ones; only the rest cost a single status query each, which İYS
 * limits to 1000 an hour (H086, retried later by the caller).
 */
import type { ConsentChangeDoc } from '../../data/models/consentChanges';
import type { IysClient } from '../client';

export async function recordsMissingAtIys(client: IysClient, changes: ConsentChangeDoc[]): Promise<Set<string>> {
  const missing = new Set<string>();
  const groups = new Map<string, ConsentChangeDoc[]>();
  for (const c of changes) groups.set(`${c.recipientType}|${c.type}`, [...(groups.get(`${c.recipientType}|${c.type}`) ?? []), c]);
  for (const group of groups.values()) {
    const { recipientType, type } = group[0]!;
    const approved = await client.approvedRecipients(recipientType, type, group.map((c) => c.recipient));
    for (const c of group) {
      if (approved.has(c.recipient)) continue;
      if (!(await client.consentStatus({ recipient: c.recipient, recipientType, type }))) missing.add(c._id);
    }
  }
  return missing;
}
