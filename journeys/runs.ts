/**
 * Journey runs in the database: entering (state, duplicate entry events, re-entry policy,
 * caps), recording each transition once (the profile's run state and path, and the
 * version's per-step counts), and reading both back. Every read and write is by `_id`.
 *
 * A transition is numbered within its entry, and both records it touches are conditional on
 * that number: an activity retried after a partial write leaves each record as one write would.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import { findByIds } from '../data/findByIds';
import type { JourneyProfileDoc, JourneyTallyDoc, PathEntry, RunState } from '../data/models/journeyRuns';
import { NO_ENTRY_KEY, journeyRunKey, type ExitReason, type RunStatus } from '../domain/journeyRuns';
import { startStepId } from '../domain/journeys';
import { localId, scopedId } from '../lib/ids';
import { findJourney, findVersion } from './store';

/** Per-step counts live in this many documents per version (a run always in the same one). */
export const TALLY_BUCKETS = 128;
const PATH_KEPT = 100;
const ENTRY_EVENTS_KEPT = 20;
const WRITE_ATTEMPTS = 5;

export const journeyProfileDocId = (appId: string, journeyId: string, profileId: string) => scopedId(appId, `${journeyId}:${localId(profileId)}`);
const tallyId = (appId: string, journeyId: string, version: number, bucket: number) => scopedId(appId, `${journeyId}:v${version}:b${bucket}`);
const countId = (appId: string, journeyId: string) => scopedId(appId, journeyId);

/** A run's short stable name for the tally's `applied` map, and its bucket. */
function runHash(journeyId: string, runKey: string): { key: string; bucket: number } {
  const h = createHash('sha256').update(`${journeyId}\u0000${runKey}`).digest('hex');
  return { key: `r${h.slice(0, 20)}`, bucket: parseInt(h.slice(20, 28), 16) % TALLY_BUCKETS };
}

export interface RunRef {
  appId: string;
  journeyId: string;
  profileId: string;
  entryKey?: string;
}

const keyOf = (ref: RunRef) => ref.entryKey ?? NO_ENTRY_KEY;

export type EnterOutcome =
  | { entered: true; version: number; entryNo: number; start: string }
  | { entered: false; reason: 'journey_not_active' | 'duplicate' | 'already_active' | 'reentry_never' | 'reentry_too_soon' | 'cap_reached' | 'profile_gone' };

/** Enters the profile on the journey's latest version, or says why not. A retry of the same entry event answers the same entry. */
export async function enterJourney(db: Db, ref: RunRef, entryEventId: string, now = new Date()): Promise<EnterOutcome> {
  const { appId, journeyId, profileId } = ref;
  const key = keyOf(ref);
  const _id = journeyProfileDocId(appId, journeyId, profileId);
  for (let attempt = 1; ; attempt++) {
    const doc = await db.journeyProfiles.findOne({ _id }).lean<JourneyProfileDoc>();
    const run = doc?.runs?.[key];
    if (run?.entryEventIds.includes(entryEventId)) {
      if (run.status !== 'active') return { entered: false, reason: 'duplicate' };
      const v = await findVersion(db, appId, journeyId, run.version);
      return { entered: true, version: run.version, entryNo: run.entryNo, start: startStepId(v!.definition)! };
    }
    if (run?.status === 'active') return { entered: false, reason: 'already_active' };
    const journey = await findJourney(db, appId, journeyId);
    if (!journey || journey.state !== 'active' || journey.latestVersion === 0) return { entered: false, reason: 'journey_not_active' };
    const version = await findVersion(db, appId, journeyId, journey.latestVersion);
    if (!version) return { entered: false, reason: 'journey_not_active' };
    const def = version.definition;
    if (run && def.reEntry.policy === 'never') return { entered: false, reason: 'reentry_never' };
    if (run?.exitedAt && def.reEntry.policy === 'afterDays' && now.getTime() < run.exitedAt.getTime() + def.reEntry.days * 86_400_000) {
      return { entered: false, reason: 'reentry_too_soon' };
    }
    if (!(await db.profiles.exists({ _id: profileId }))) return { entered: false, reason: 'profile_gone' };
    if (!(await takeCapSlot(db, appId, journeyId, def.caps))) return { entered: false, reason: 'cap_reached' };

    const next: RunState = {
      entryNo: (run?.entryNo ?? 0) + 1, version: version.version, status: 'active', enteredAt: now, seq: 0, path: [],
      entryEventIds: [...(run?.entryEventIds ?? []), entryEventId].slice(-ENTRY_EVENTS_KEPT),
    };
    try {
      const res = await db.journeyProfiles.updateOne(
        { _id, [`runs.${key}.entryNo`]: run ? run.entryNo : { $exists: false } },
        { $set: { [`runs.${key}`]: next }, $inc: { entries: 1 }, $setOnInsert: { appId, journeyId, profileId } },
        { upsert: true },
      );
      if (res.matchedCount + res.upsertedCount > 0) return { entered: true, version: version.version, entryNo: next.entryNo, start: startStepId(def)! };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    // Another entry of this profile moved the record between the read and the write: give the slot back, look again.
    await releaseCapSlot(db, appId, journeyId);
    if (attempt >= WRITE_ATTEMPTS) throw new Error(`journey entry of ${profileId} kept racing`);
  }
}

/** One slot under the journey's caps; always counted, so caps added in a later version see the runs before them. */
async function takeCapSlot(db: Db, appId: string, journeyId: string, caps: { maxConcurrent?: number; maxTotal?: number } | undefined): Promise<boolean> {
  const filter: Record<string, unknown> = { _id: countId(appId, journeyId) };
  if (caps?.maxConcurrent !== undefined) filter.active = { $lt: caps.maxConcurrent };
  if (caps?.maxTotal !== undefined) filter.total = { $lt: caps.maxTotal };
  try {
    await db.journeyCounts.updateOne(filter, { $inc: { active: 1, total: 1 }, $setOnInsert: { appId } }, { upsert: true });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false; // the record exists and is at a cap
    throw err;
  }
}

async function releaseCapSlot(db: Db, appId: string, journeyId: string, leftTotal = false): Promise<void> {
  await db.journeyCounts.updateOne({ _id: countId(appId, journeyId) }, { $inc: { active: -1, ...(leftTotal ? {} : { total: -1 }) } });
}

/**
 * One move of a run: out of `left` (by `via`, with the send's outcome or gate reason), into
 * `to`, or out of the journey (`end`). Times in epoch ms (the workflow's clock).
 */
export interface Transition extends RunRef {
  version: number;
  entryNo: number;
  seq: number;
  at: number;
  left?: { stepId: string; since: number; via: string; outcome?: string; gatedOut?: string };
  to?: string;
  end?: { status: Exclude<RunStatus, 'active'>; reason?: ExitReason };
}

export async function recordTransition(db: Db, t: Transition): Promise<void> {
  const key = keyOf(t);
  const runKey = journeyRunKey(localId(t.profileId), t.entryKey);
  const { key: applied, bucket } = runHash(t.journeyId, runKey);

  const inc: Record<string, number> = {};
  if (t.seq === 1) inc['n.entered'] = 1;
  if (t.to) inc[`n.steps.${t.to}.entered`] = 1;
  if (t.left) {
    const at = `n.steps.${t.left.stepId}`;
    if (t.end?.status === 'converted') inc[`${at}.converted`] = 1;
    else if (t.end?.status === 'exited') inc[`${at}.exited`] = 1;
    else inc[`${at}.left.${t.to ?? t.left.via}`] = 1; // by the step it went to (or how it ended)
    if (t.left.gatedOut) inc[`${at}.gatedOut.${t.left.gatedOut}`] = 1;
  }
  if (t.end) inc[`n.${t.end.status}`] = 1;
  try {
    await db.journeyTallies.updateOne(
      { _id: tallyId(t.appId, t.journeyId, t.version, bucket), [`applied.${applied}`]: { $ne: `${t.entryNo}:${t.seq}` } },
      { $set: { [`applied.${applied}`]: `${t.entryNo}:${t.seq}` }, $inc: inc, $setOnInsert: { appId: t.appId, journeyId: t.journeyId, version: t.version } },
      { upsert: true },
    );
  } catch (err) {
    if (!isDuplicateKey(err)) throw err; // counted by an earlier attempt of this activity
  }

  const run = `runs.${key}`;
  const at = new Date(t.at);
  const set: Record<string, unknown> = { [`${run}.seq`]: t.seq };
  if (t.to) Object.assign(set, { [`${run}.currentStep`]: t.to, [`${run}.currentSince`]: at });
  if (t.end) Object.assign(set, { [`${run}.status`]: t.end.status, [`${run}.exitedAt`]: at, [`${run}.currentStep`]: null, ...(t.end.reason ? { [`${run}.exitReason`]: t.end.reason } : {}) });
  const entry: PathEntry | undefined = t.left ? { stepId: t.left.stepId, at: new Date(t.left.since), via: t.left.via, ...(t.left.outcome ? { outcome: t.left.outcome } : {}) } : undefined;
  const res = await db.journeyProfiles.updateOne(
    { _id: journeyProfileDocId(t.appId, t.journeyId, t.profileId), [`${run}.entryNo`]: t.entryNo, [`${run}.seq`]: t.seq - 1 },
    { $set: set, ...(entry ? { $push: { [`${run}.path`]: { $each: [entry], $slice: -PATH_KEPT } } } : {}) },
  );
  // The run's cap slot is given back once: by the attempt whose write moved the record.
  if (t.end && res.modifiedCount === 1) await releaseCapSlot(db, t.appId, t.journeyId, true);
}

export interface StepStats {
  entered: number;
  waiting: number;
  left: Record<string, number>;
  gatedOut: Record<string, number>;
  converted: number;
  exited: number;
}

export interface VersionStats {
  version: number;
  totals: { entered: number; active: number; completed: number; converted: number; exited: number };
  steps: Record<string, StepStats>;
}

type Counts = { entered?: number; completed?: number; converted?: number; exited?: number; steps?: Record<string, { entered?: number; left?: Record<string, number>; gatedOut?: Record<string, number>; converted?: number; exited?: number }> };

function addInto(into: Record<string, number>, from: Record<string, number> | undefined): void {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
}

const emptyStep = (): StepStats => ({ entered: 0, waiting: 0, left: {}, gatedOut: {}, converted: 0, exited: 0 });

/** Adds one step's counts into another's (a bucket into a version, a version into the sum). */
function addStep(into: StepStats, s: Partial<StepStats>): void {
  into.entered += s.entered ?? 0;
  into.waiting += s.waiting ?? 0;
  into.converted += s.converted ?? 0;
  into.exited += s.exited ?? 0;
  addInto(into.left, s.left);
  addInto(into.gatedOut, s.gatedOut);
}

/** Versions summed: a step id present in several versions adds up. */
export function summedStats(versions: VersionStats[]): Omit<VersionStats, 'version'> {
  const all: Omit<VersionStats, 'version'> = { totals: { entered: 0, active: 0, completed: 0, converted: 0, exited: 0 }, steps: {} };
  for (const v of versions) {
    for (const k of Object.keys(all.totals) as (keyof VersionStats['totals'])[]) all.totals[k] += v.totals[k];
    for (const [id, s] of Object.entries(v.steps)) addStep((all.steps[id] ??= emptyStep()), s);
  }
  return all;
}

/** A version's counts: its buckets summed; `waiting` at a step is who entered it and has not left. */
export async function versionStats(db: Db, appId: string, journeyId: string, version: number, stepIds: string[]): Promise<VersionStats> {
  const ids = Array.from({ length: TALLY_BUCKETS }, (_, b) => tallyId(appId, journeyId, version, b));
  const tallies = await findByIds<JourneyTallyDoc>(db.journeyTallies, ids, { n: 1 });
  const totals = { entered: 0, active: 0, completed: 0, converted: 0, exited: 0 };
  const steps: Record<string, StepStats> = Object.fromEntries(stepIds.map((id) => [id, emptyStep()]));
  for (const t of tallies.values()) {
    const n = t.n as Counts;
    totals.entered += n.entered ?? 0;
    totals.completed += n.completed ?? 0;
    totals.converted += n.converted ?? 0;
    totals.exited += n.exited ?? 0;
    for (const [id, s] of Object.entries(n.steps ?? {})) addStep((steps[id] ??= emptyStep()), s);
  }
  totals.active = totals.entered - totals.completed - totals.converted - totals.exited;
  for (const s of Object.values(steps)) s.waiting = s.entered - s.converted - s.exited - Object.values(s.left).reduce((a, b) => a + b, 0);
  return { version, totals, steps };
}

export async function findJourneyProfile(db: Db, appId: string, journeyId: string, profileId: string): Promise<JourneyProfileDoc | null> {
  return db.journeyProfiles.findOne({ _id: journeyProfileDocId(appId, journeyId, profileId) }).lean<JourneyProfileDoc>();
}

/** The profile's runs in the journey, the active ones first. */
export function journeyProfileView(doc: JourneyProfileDoc) {
  const runs = Object.entries(doc.runs ?? {}).map(([key, r]) => ({
    ...(key === NO_ENTRY_KEY ? {} : { entryKey: key }),
    entryNo: r.entryNo, version: r.version, status: r.status, enteredAt: r.enteredAt.toISOString(),
    ...(r.exitedAt ? { exitedAt: r.exitedAt.toISOString() } : {}),
    ...(r.exitReason ? { exitReason: r.exitReason } : {}),
    ...(r.currentStep ? { currentStep: r.currentStep } : {}),
    path: r.path.map((p) => ({ stepId: p.stepId, at: p.at.toISOString(), ...(p.via ? { via: p.via } : {}), ...(p.outcome ? { outcome: p.outcome } : {}) })),
  }));
  runs.sort((a, b) => Number(b.status === 'active') - Number(a.status === 'active') || b.enteredAt.localeCompare(a.enteredAt));
  return { journeyId: doc.journeyId, entries: doc.entries, runs };
}
