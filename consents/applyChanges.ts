/**
 * The consent store's one write path, for a single PUT and for an import of tens of
 * thousands of rows alike. For each change: İYS's rules (validateChange.ts), then, for the
 * accepted ones, in this order:
 *   1. the change, inserted at the next `seq` of its recipient and type (consentChanges),
 *   2. its audit entry (consentAudit),
 *   3. the profile's `consents` summary, one update per profile.
 * Inserts are bulk and keyed by `_id`; the profile update is the one update per profile
 * (on FerretDB every update costs a scan). There are no transactions: a writer that dies
 * after 1 leaves a change the summary does not show yet, never a summary without its change.
 * A caller that repeats a call after such a death (the İYS sync re-applying a page) passes
 * the same `writeId`: the repeat then finds the first call's changes and completes them
 * instead of adding them again.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../data/db';
import type { ConsentAuditDoc, ConsentSnapshot } from '../data/models/consentAudit';
import type { ConsentActor, ConsentChangeDoc, ConsentOrigin } from '../data/models/consentChanges';
import type { ConsentSummary, ProfileDoc } from '../data/models/profiles';
import { insertAllMissing } from '../data/insertMissing';
import { retryTransient } from '../data/transient';
import { normalizeRecipient, type ConsentType } from '../iys/consent';
import { forEachLimit } from '../lib/forEachLimit';
import { consentChangeId, scopedId, sha256 } from '../lib/ids';
import type { FieldIssue } from '../lib/invalidInput';
import { findProfileId } from '../profiles/profileKeys';
import { decideAgainstCurrent, inputIssues, type ConsentChangeInput, type PathOf, type RuleSet } from './validateChange';

/** Whose consent: a profile by its externalId (API, import), or by its id (the İYS sync, which finds profiles by address). */
export type ChangeTarget = { externalId: string; profileId?: undefined } | { profileId: string; externalId?: undefined };

export type ChangeRequest = ConsentChangeInput & ChangeTarget & {
  /** The caller's position of the change (import row index). */
  index: number;
};

export type ChangeOutcome =
  | { index: number; outcome: 'stored' | 'unchanged'; consent: ConsentSummary; change?: ConsentChangeDoc }
  | { index: number; outcome: 'ignored'; reason: string; message: string }
  | { index: number; outcome: 'rejected'; status: 400 | 404 | 409; code: string; errors: FieldIssue[] };

export interface ApplyContext {
  origin: ConsentOrigin;
  actor: ConsentActor;
  now: number;
  pathOf(index: number): PathOf;
  /**
   * The id of this write, for a caller that may repeat it: the repeat reuses the changes
   * the first try inserted (and their audit entries) and answers `stored` for them. A
   * random one otherwise.
   */
  writeId?: string;
}

const targetKey = (r: ChangeTarget) => (r.profileId !== undefined ? `id:${r.profileId}` : `x:${r.externalId}`);


/** The address a consent of this type is for: the msisdn for MESAJ and ARAMA, the e-mail for EPOSTA. */
export function recipientOf(profile: Pick<ProfileDoc, 'msisdn' | 'email'>, type: ConsentType): string | undefined {
  const address = type === 'EPOSTA' ? profile.email : profile.msisdn;
  return address ? normalizeRecipient(type, address) : undefined;
}

interface Accepted {
  req: ChangeRequest;
  position: number;
  profile: ProfileDoc;
  recipient: string;
  before?: ConsentSummary;
  after: ConsentSummary;
}

export async function applyConsentChanges(db: Db, appId: string, requests: ChangeRequest[], ctx: ApplyContext): Promise<ChangeOutcome[]> {
  const out: ChangeOutcome[] = new Array(requests.length);
  const valid: number[] = [];
  const rules: RuleSet = ctx.origin === 'iys_sync' ? 'iys_record' : 'provider';
  const writeId = ctx.writeId ?? randomUUID();
  for (const [pos, r] of requests.entries()) {
    const issues = inputIssues(r, ctx.now, ctx.pathOf(r.index), rules);
    if (issues.length > 0) out[pos] = { index: r.index, outcome: 'rejected', status: 400, code: 'invalid_request', errors: issues };
    else valid.push(pos);
  }

  const profiles = await loadProfiles(db, appId, valid.map((pos) => requests[pos]!));

  // Rules in request order against the consent as the earlier accepted rows of this request left it.
  const current = new Map<string, ConsentSummary | undefined>();
  const accepted: Accepted[] = [];
  for (const pos of valid) {
    const r = requests[pos]!;
    const pathOf = ctx.pathOf(r.index);
    const profile = profiles.get(targetKey(r));
    if (!profile) {
      const message = r.profileId !== undefined ? `no profile ${r.profileId}` : `no profile with externalId ${r.externalId}`;
      out[pos] = { index: r.index, outcome: 'rejected', status: 404, code: 'not_found', errors: [{ path: pathOf('externalId'), message }] };
      continue;
    }
    const recipient = recipientOf(profile, r.type);
    if (!recipient) {
      const field = r.type === 'EPOSTA' ? 'e-mail address' : 'phone number (msisdn)';
      out[pos] = { index: r.index, outcome: 'rejected', status: 409, code: 'no_recipient', errors: [{ path: pathOf('type'), message: `the profile has no ${field}: a ${r.type} consent is for one` }] };
      continue;
    }
    const key = `${profile._id}|${r.type}`;
    const before = current.has(key) ? current.get(key) : profile.consents?.[r.type];
    const decision = decideAgainstCurrent(before, recipient, r, pathOf, rules);
    if (decision.kind === 'rejected') out[pos] = { index: r.index, outcome: 'rejected', status: 400, code: 'invalid_request', errors: [decision.issue] };
    else if (decision.kind === 'ignored') out[pos] = { index: r.index, outcome: 'ignored', reason: decision.reason, message: decision.message };
    else if (decision.kind === 'unchanged') out[pos] = await unchangedOrOwn(db, r.index, before!, ctx.writeId);
    else {
      const after: ConsentSummary = {
        status: r.status, recipientType: r.recipientType, consentDate: new Date(r.consentAt), recipient, source: r.source, origin: ctx.origin,
      };
      current.set(key, after);
      accepted.push({ req: r, position: pos, profile, recipient, before, after });
    }
  }
  if (accepted.length === 0) return out;

  const changes = await insertChanges(db, appId, accepted, ctx, writeId);
  await insertAudit(db, appId, accepted, ctx, writeId);
  await updateSummaries(db, accepted);
  for (const [i, a] of accepted.entries()) out[a.position] = { index: a.req.index, outcome: 'stored', consent: a.after, change: changes[i] };
  return out;
}

/** A repeated write answers as the first did: a consent this write stored on an earlier try is `stored`, not `unchanged`. */
async function unchangedOrOwn(db: Db, index: number, current: ConsentSummary, writeId: string | undefined): Promise<ChangeOutcome> {
  const change = writeId && current.changeId ? await db.consentChanges.findOne({ _id: current.changeId }).lean() : null;
  return change && change.writeId === writeId ? { index, outcome: 'stored', consent: current, change } : { index, outcome: 'unchanged', consent: current };
}

/** The profiles the requests name, by target key; merged-away and erasing profiles are absent. */
async function loadProfiles(db: Db, appId: string, requests: ChangeTarget[]): Promise<Map<string, ProfileDoc>> {
  const targets = new Map(requests.map((r) => [targetKey(r), r]));
  const found = new Map<string, ProfileDoc>();
  // `_id` lookups only: FerretDB answers them from its index, anything else is a scan.
  await forEachLimit([...targets.entries()], 16, async ([key, target]) => {
    const profileId = target.profileId ?? (await findProfileId(db, appId, { externalId: target.externalId! }));
    const profile = profileId ? await db.profiles.findOne({ _id: profileId }).lean() : null;
    if (profile && profile.appId === appId && !profile.erasing && !profile.mergedInto) found.set(key, profile);
  });
  return found;
}

/**
 * The last `seq` used for a recipient and type: the profile's own count, then probed by
 * `_id` past changes another writer or profile made, or an earlier try of this write
 * (`own`, in `seq` order).
 */
async function probeHead(db: Db, appId: string, type: ConsentType, recipient: string, known: number, writeId: string): Promise<{ seq: number; own: ConsentChangeDoc[] }> {
  let seq = known;
  const own: ConsentChangeDoc[] = [];
  for (;;) {
    const doc = await db.consentChanges.findOne({ _id: consentChangeId(appId, type, recipient, seq + 1) }).lean();
    if (!doc) return { seq, own };
    seq++;
    if (doc.writeId === writeId) own.push(doc);
  }
}

function changeDoc(appId: string, a: Accepted, seq: number, ctx: ApplyContext, writeId: string): ConsentChangeDoc {
  return {
    _id: consentChangeId(appId, a.req.type, a.recipient, seq),
    appId, profileId: a.profile._id, type: a.req.type, recipient: a.recipient, seq,
    recipientType: a.after.recipientType, status: a.after.status, source: a.after.source!, consentDate: a.after.consentDate,
    origin: ctx.origin, actor: ctx.actor, writeId,
    iys: { state: ctx.origin === 'iys_sync' ? 'not_needed' : 'pending', attempts: 0 },
    createdAt: new Date(ctx.now),
  };
}

const sameChange = (doc: ConsentChangeDoc, a: Accepted) =>
  doc.profileId === a.profile._id && doc.status === a.after.status && doc.source === a.after.source && doc.consentDate.getTime() === a.after.consentDate.getTime();

/**
 * Numbers the accepted changes per recipient and type (in request order) and inserts them;
 * a racing writer's `seq` moves ours after it, and a change an earlier try of this write
 * already inserted is reused, not inserted twice.
 */
async function insertChanges(db: Db, appId: string, accepted: Accepted[], ctx: ApplyContext, writeId: string): Promise<ConsentChangeDoc[]> {
  const heads = new Map<string, { seq: number; own: ConsentChangeDoc[] }>();
  const groups = new Map<string, Accepted>();
  for (const a of accepted) if (!groups.has(`${a.req.type}|${a.recipient}`)) groups.set(`${a.req.type}|${a.recipient}`, a);
  await forEachLimit([...groups.entries()], 16, async ([key, a]) => {
    const stored = a.profile.consents?.[a.req.type];
    const known = stored?.recipient === a.recipient ? (stored.seq ?? 0) : 0;
    heads.set(key, await probeHead(db, appId, a.req.type, a.recipient, known, writeId));
  });
  const fresh: number[] = [];
  const docs = accepted.map((a, i) => {
    const head = heads.get(`${a.req.type}|${a.recipient}`)!;
    if (head.own[0] && sameChange(head.own[0], a)) return head.own.shift()!;
    fresh.push(i);
    return changeDoc(appId, a, ++head.seq, ctx, writeId);
  });

  const taken = (await insertAllMissing(db.consentChanges.collection, fresh.map((i) => docs[i]!))).map((k) => fresh[k]!);
  for (const i of taken) {
    // Taken by another writer (not by an earlier try of this one): next free seq.
    const existing = await db.consentChanges.findOne({ _id: docs[i]!._id }, { writeId: 1 }).lean();
    if (existing?.writeId === writeId) continue;
    for (let seq = docs[i]!.seq; ; ) {
      seq = (await probeHead(db, appId, docs[i]!.type, docs[i]!.recipient, seq, writeId)).seq + 1;
      const doc = changeDoc(appId, accepted[i]!, seq, ctx, writeId);
      if ((await insertAllMissing(db.consentChanges.collection, [doc])).length === 0) {
        docs[i] = doc;
        break;
      }
    }
  }
  for (const [i, a] of accepted.entries()) Object.assign(a.after, { changeId: docs[i]!._id, seq: docs[i]!.seq });
  return docs;
}

const snapshot = (s: ConsentSummary): ConsentSnapshot => ({
  status: s.status, recipientType: s.recipientType, consentDate: s.consentDate, recipient: s.recipient ?? '', ...(s.source ? { source: s.source } : {}),
});

async function insertAudit(db: Db, appId: string, accepted: Accepted[], ctx: ApplyContext, writeId: string): Promise<void> {
  const at = new Date(ctx.now);
  const docs: ConsentAuditDoc[] = accepted.map((a) => ({
    // One entry per change however often the write is repeated; hashed with the write's id so it never names the person.
    _id: scopedId(appId, `aud_${sha256(`${writeId}|${a.after.changeId}`).slice(0, 32)}`),
    appId, profileId: a.profile._id, externalId: a.profile.externalId ?? '', type: a.req.type, recipient: a.recipient, changeId: a.after.changeId!,
    ...(a.before ? { before: snapshot(a.before) } : {}),
    after: snapshot(a.after), origin: ctx.origin, actor: ctx.actor, at,
  }));
  // The ids are this write's own, so a duplicate can only be an earlier try of the same write.
  await insertAllMissing(db.consentAudit.collection, docs);
}

/**
 * The summary as `$max` compares it: BSON compares documents field by field in order, so a
 * summary that leads with its date and then its `seq` is greater exactly when it is the newer
 * change. (A summary written before this order led with `status`, a string, which BSON
 * orders below a date, so any new summary replaces it.)
 */
function comparable(s: ConsentSummary): Record<string, unknown> {
  const { consentDate, seq, status, recipientType, recipient, source, origin, changeId } = s;
  return Object.fromEntries(Object.entries({ consentDate, seq, status, recipientType, recipient, source, origin, changeId }).filter(([, v]) => v !== undefined));
}

/**
 * The profile's summary of each type becomes the newest consent (by date, then `seq`)
 * whatever order racing writers finish in: `$max` decides inside the database, with a
 * filter on `_id` alone (the only one FerretDB answers from an index). The raw collection
 * keeps the field order `$max` relies on.
 */
async function updateSummaries(db: Db, accepted: Accepted[]): Promise<void> {
  await summariseNewest(db, accepted.map((a) => ({ profileId: a.profile._id, type: a.req.type, summary: a.after })));
}

export async function summariseNewest(db: Db, items: { profileId: string; type: ConsentType; summary: ConsentSummary }[]): Promise<void> {
  const byProfile = new Map<string, Record<string, unknown>>();
  const now = new Date();
  for (const { profileId, type, summary } of items) {
    const max = byProfile.get(profileId) ?? { updatedAt: now };
    const path = `consents.${type}`;
    const prior = max[path] as Record<string, unknown> | undefined;
    // Within one write, the later accepted change of a type is the newer one.
    if (!prior || (prior.consentDate as Date) <= summary.consentDate) max[path] = comparable(summary);
    byProfile.set(profileId, max);
  }
  await forEachLimit([...byProfile.entries()], 4, async ([profileId, max]) => {
    await retryTransient(() => db.profiles.collection.updateOne({ _id: profileId } as never, { $max: max }));
  });
}
