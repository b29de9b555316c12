/**
 * The frequency-cap claim: how a send takes a slot of a profile's caps, atomically, on
 * MongoDB and on Rota's embedded FerretDB alike.
 *
 * Design. One ledger document per profile (`{profileId}:caps`) holds the profile's commercial
 * sends as an array of claims in the order the database applied them. A claim is one
 * single-document update, filtered by `_id` alone: an upsert that `$addToSet`s the claim
 * `{k, m, c, d, r}` (key, message, channel, local day, the rules that applied) and returns
 * the document after it. Whether a claim is admitted is then computed from that document
 * (gate/frequencyCaps.ts `evaluateLedger`): by replaying the claims before it one at a time,
 * each judged by the rules it carries. Because
 *  - single-document updates are atomic (MongoDB; FerretDB through Rota's front), every
 *    claimer sees every claim applied before its own, in the one order the array records;
 *  - the verdict on a claim depends only on the claims before it and on the rules stored in
 *    them (not on the app's settings at reading time, not on who reads),
 * every claimer, and every later reader, computes the same verdict for every claim: of ten
 * sends racing for the last slot exactly one finds itself within the cap, the nine after it
 * find it admitted before them. A refused claim holds no slot. No lock, no compare-and-set,
 * no second round trip, and every rule of every scope (across channels, per channel) is
 * decided in the same update.
 *
 * Retries and replays: the claim's key is the message id with the channel, so a retried or
 * replayed activity adds the same claim again (`$addToSet` keeps one; a claim repeated on
 * another day is a later duplicate, and the first claim of a key decides) and gets the same
 * verdict: it never takes a second slot. The SMS fallback of an admitted push is another
 * claim, counted under per-channel SMS rules, that already holds its message's slot of a
 * cross-channel rule.
 *
 * Growth: past 32 claims, claims older than every window (firstDayToKeep) are dropped in one
 * `_id`-only update that also writes down (`o`, by key) the verdict of every claim kept, so
 * that no verdict changes once the claims it was computed from are gone. Concurrent droppers
 * write the same verdicts (`$max`: were two ever to differ, admitted wins, which can only
 * count a slot too many, never too few) and remove the same entries (`$pullAll` of exact
 * values is idempotent).
 *
 * A slot is taken when the gate lets a send through; a provider that then refuses it does
 * not give the slot back.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../data/db';
import type { CapLedgerDoc } from '../data/models/capLedgers';
import type { Channel } from '../domain/messages';
import { encodeRules, evaluateLedger, firstDayToKeep, type CapEntry, type CapRule, type CapVerdict } from './frequencyCaps';

/** Claims kept before old ones are dropped. */
const COMPACT_AT = 32;

export interface CapClaim {
  appId: string;
  profileId: string;
  messageId: string;
  channel: Channel;
  /** Local day number in the profile's time zone. */
  day: number;
  /** The rules that apply to this send (gate/frequencyCaps.ts `rulesFor`). */
  rules: CapRule[];
  /** Sent with `overrideCaps`: admitted and counted. */
  override: boolean;
  /** Every rule of the app, for how far back the ledger must reach. */
  allRules: readonly CapRule[];
}

export interface CapLedger {
  claim(claim: CapClaim): Promise<CapVerdict>;
}

export function capLedgerId(profileId: string): string {
  return `${profileId}:caps`;
}

/** One key per message and channel, safe as a field name (no dots, no `$`). */
export function claimKey(messageId: string, channel: Channel): string {
  return `${createHash('sha256').update(messageId).digest('hex').slice(0, 24)}_${channel}`;
}

/** `warn`: where a failed clean-up is reported; the claim it followed stands. */
export function createCapLedger(db: Db, warn: (message: string, attrs: Record<string, unknown>) => void = () => {}): CapLedger {
  const collection = db.capLedgers.collection;
  return {
    async claim(req) {
      const _id = capLedgerId(req.profileId);
      const entry: CapEntry = { k: claimKey(req.messageId, req.channel), m: req.messageId, c: req.channel, d: req.day, r: encodeRules(req.rules), ...(req.override ? { f: 1 as const } : {}) };
      // The raw collection keeps the entry's field order, which $addToSet compares by.
      const doc = (await collection.findOneAndUpdate(
        { _id } as never,
        { $setOnInsert: { appId: req.appId, profileId: req.profileId }, $addToSet: { claims: entry } } as never,
        { upsert: true, returnDocument: 'after' },
      )) as CapLedgerDoc | null;
      if (!doc) throw new Error(`cap ledger ${_id} was not returned by its upsert`);
      const verdicts = evaluateLedger(doc.claims ?? [], doc.o);
      const verdict = verdicts.get(entry.k);
      if (!verdict) throw new Error(`cap ledger ${_id} lacks the claim it was given`);
      if ((doc.claims?.length ?? 0) > COMPACT_AT) {
        // Dropping old claims is housekeeping: when it fails, the next claim tries again.
        await compact(db, doc, verdicts, req).catch((err: unknown) => warn('cap ledger clean-up failed', { ledgerId: _id, error: (err as Error).message }));
      }
      return verdict;
    },
  };
}

/** Drops the claims no window reaches any more, writing down the verdicts of those kept. */
async function compact(db: Db, doc: CapLedgerDoc, verdicts: Map<string, CapVerdict>, req: CapClaim): Promise<void> {
  const claims = doc.claims ?? [];
  const keepFrom = firstDayToKeep(req.day, claims, req.allRules);
  const dropped = claims.filter((e) => e.d < keepFrom);
  if (dropped.length === 0) return;
  const keptKeys = new Set(claims.filter((e) => e.d >= keepFrom).map((e) => e.k));
  const written: Record<string, number> = {};
  for (const k of keptKeys) if (doc.o?.[k] === undefined) written[`o.${k}`] = verdicts.get(k)?.admitted ? 1 : 0;
  const erased: Record<string, ''> = {};
  for (const e of dropped) if (!keptKeys.has(e.k) && doc.o?.[e.k] !== undefined) erased[`o.${e.k}`] = '';
  const update: Record<string, unknown> = { $pullAll: { claims: dropped } };
  if (Object.keys(written).length > 0) update.$max = written;
  if (Object.keys(erased).length > 0) update.$unset = erased;
  await db.capLedgers.collection.updateOne({ _id: doc._id } as never, update as never);
}
