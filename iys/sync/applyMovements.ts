/**
 * One page of İYS's changes feed applied to Rota's consents. İYS is the master: each
 * movement goes through the consent store's one write path as a record İYS already holds
 * (origin `iys_sync`: only the older-date rule applies, and it is never pushed back), for
 * every profile whose address it is. One profile query per page.
 */
import { applyConsentChanges, type ChangeOutcome, type ChangeRequest } from '../../consents/applyChanges';
import type { Db } from '../../data/db';
import { noCounts, type SyncCounts } from '../../domain/iysSync';
import { normalizeRecipient, type ConsentMovement, type ConsentType } from '../consent';
import { parseIysDate } from '../dates';

export interface PageWrite {
  runId: string;
  /** The same for a repeat of the same page, so a repeat after a crash completes the first write instead of doubling it. */
  writeId: string;
  now: number;
}

const addressKey = (type: ConsentType, recipient: string) => `${type === 'EPOSTA' ? 'email' : 'msisdn'}:${normalizeRecipient(type, recipient)}`;

/** The live profiles (not merged away, not being erased) holding each address of the page. */
async function profilesByAddress(db: Db, appId: string, movements: readonly ConsentMovement[]): Promise<Map<string, string[]>> {
  const phones = new Set<string>();
  const emails = new Set<string>();
  for (const m of movements) (m.type === 'EPOSTA' ? emails : phones).add(normalizeRecipient(m.type, m.recipient));
  const or = [...(phones.size ? [{ msisdn: { $in: [...phones] } }] : []), ...(emails.size ? [{ email: { $in: [...emails] } }] : [])];
  const found = await db.profiles.find({ appId, $or: or }, { _id: 1, msisdn: 1, email: 1, mergedInto: 1, erasing: 1 }).lean();
  const byAddress = new Map<string, string[]>();
  const add = (key: string, id: string) => byAddress.set(key, [...(byAddress.get(key) ?? []), id]);
  for (const p of found) {
    if (p.mergedInto || p.erasing) continue;
    if (p.msisdn && phones.has(p.msisdn)) add(addressKey('MESAJ', p.msisdn), p._id);
    if (p.email && emails.has(p.email.toLowerCase())) add(addressKey('EPOSTA', p.email), p._id);
  }
  return byAddress;
}

/**
 * A movement's date. A TACIR line closure (IYS_AHS_HAT_KAPATMA) may carry an empty
 * consentDate; İYS recorded it at its creationDate, which then stands in.
 */
function consentAtOf(m: ConsentMovement): number | undefined {
  return parseIysDate(m.consentDate) ?? (m.consentDate === '' ? parseIysDate(m.creationDate) : undefined);
}

/** One movement's result over all its profiles: an error wins, then a stored change, then unchanged. */
function movementOutcome(outcomes: ChangeOutcome[]): keyof SyncCounts {
  if (outcomes.some((o) => o.outcome === 'rejected')) return 'errors';
  if (outcomes.some((o) => o.outcome === 'stored')) return 'applied';
  if (outcomes.some((o) => o.outcome === 'unchanged')) return 'unchanged';
  return 'ignored';
}

export async function applyMovements(db: Db, appId: string, movements: readonly ConsentMovement[], w: PageWrite): Promise<SyncCounts> {
  const counts = noCounts();
  counts.pulled = movements.length;
  const byAddress = await profilesByAddress(db, appId, movements);
  const requests: ChangeRequest[] = [];
  for (const [index, m] of movements.entries()) {
    const consentAt = consentAtOf(m);
    const profileIds = byAddress.get(addressKey(m.type, m.recipient)) ?? [];
    if (consentAt === undefined) counts.errors++;
    else if (profileIds.length === 0) counts.unmatched++;
    else for (const profileId of profileIds) requests.push({ index, profileId, type: m.type, status: m.status, recipientType: m.recipientType, source: m.source, consentAt });
  }
  const outcomes = await applyConsentChanges(db, appId, requests, {
    origin: 'iys_sync', actor: { job: `iys-sync:${w.runId}` }, now: w.now, writeId: w.writeId,
    pathOf: (index) => (field) => `movements.${index}.${field}`,
  });
  const perMovement = new Map<number, ChangeOutcome[]>();
  for (const o of outcomes) perMovement.set(o.index, [...(perMovement.get(o.index) ?? []), o]);
  for (const list of perMovement.values()) counts[movementOutcome(list)]++;
  return counts;
}
