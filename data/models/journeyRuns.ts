import { Schema } from 'mongoose';
import type { ExitReason, RunStatus } from '../../domain/journeyRuns';
import { tenantScoped } from '../tenantScope';

/** A step a run passed: when it got there, and how it left (`via`: the next step, the outcome or the branch taken). */
export interface PathEntry {
  stepId: string;
  at: Date;
  via?: string;
  outcome?: string;
}

/** One entry key's run, latest entry first: where it is, what it took, how it ended. */
export interface RunState {
  entryNo: number;
  version: number;
  status: RunStatus;
  enteredAt: Date;
  exitedAt?: Date;
  exitReason?: ExitReason;
  currentStep?: string;
  currentSince?: Date;
  /** Transitions recorded for this entry: the next one's `seq` is this plus one. */
  seq: number;
  /** The last 100 steps of this entry's path. */
  path: PathEntry[];
  /** The events (or API enrolments) this key entered on, the last 20: a duplicate enters once. */
  entryEventIds: string[];
}

/**
 * A profile in one journey: `_id` `{appId}:{journeyId}:{profile}`, a run per entry key
 * (`runs.-` without one). Read by `_id` for re-entry, routing and the per-profile view.
 */
export interface JourneyProfileDoc {
  _id: string;
  appId: string;
  journeyId: string;
  profileId: string;
  /** Entries of all keys, ever. */
  entries: number;
  runs: Record<string, RunState>;
  /** Segment entry: whether the profile was in the entry segment when last looked at, and how often it came in. */
  segmentMember?: boolean;
  segmentEntries?: number;
}

export const journeyProfileSchema = new Schema<JourneyProfileDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    journeyId: { type: String, required: true },
    profileId: { type: String, required: true },
    entries: { type: Number, default: 0 },
    runs: { type: Schema.Types.Mixed, default: {} },
    segmentMember: Boolean,
    segmentEntries: Number,
  },
  { versionKey: false, minimize: false },
);
journeyProfileSchema.plugin(tenantScoped);

/**
 * Per-step counts of one journey version, in buckets so no document grows with the audience:
 * `_id` `{appId}:{journeyId}:v{version}:b{bucket}`, a run always in the same bucket. `applied`
 * holds each run's last counted transition (`{entryNo}:{seq}`), so a transition whose
 * activity ran twice counts once; `n` holds the counters by dotted name
 * (`entered`, `steps.<id>.entered`, `steps.<id>.left.<via>`, `steps.<id>.gatedOut.<reason>`, …).
 */
export interface JourneyTallyDoc {
  _id: string;
  appId: string;
  journeyId: string;
  version: number;
  applied: Record<string, string>;
  n: Record<string, unknown>;
}

export const journeyTallySchema = new Schema<JourneyTallyDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    journeyId: { type: String, required: true },
    version: { type: Number, required: true },
    applied: { type: Schema.Types.Mixed, default: {} },
    n: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, minimize: false },
);
journeyTallySchema.plugin(tenantScoped);

/** A journey's entry counts for its caps: `_id` `{appId}:{journeyId}`. */
export interface JourneyCountDoc {
  _id: string;
  appId: string;
  active: number;
  total: number;
}

export const journeyCountSchema = new Schema<JourneyCountDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    active: { type: Number, default: 0 },
    total: { type: Number, default: 0 },
  },
  { versionKey: false },
);
journeyCountSchema.plugin(tenantScoped);
