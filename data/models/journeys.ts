import { Schema } from 'mongoose';
import { JOURNEY_STATES, type JourneyDefinition, type JourneyState } from '../../domain/journeys';
import { tenantScoped } from '../tenantScope';

/**
 * A journey, `_id` `{appId}:{journeyId}`: its editable draft (a checked definition), its state,
 * and the number of its latest published version. `revision` counts the draft's edits, so a
 * publish of a draft already published makes no second version.
 */
export interface JourneyDoc {
  _id: string;
  appId: string;
  journeyId: string;
  draft: JourneyDefinition;
  revision: number;
  state: JourneyState;
  /** 0 until the first publish. */
  latestVersion: number;
  /** The draft revision the latest version was published from. */
  publishedRevision?: number;
  stateChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export const journeySchema = new Schema<JourneyDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    journeyId: { type: String, required: true },
    draft: { type: Schema.Types.Mixed, required: true },
    revision: { type: Number, required: true },
    state: { type: String, enum: JOURNEY_STATES, required: true },
    latestVersion: { type: Number, required: true },
    publishedRevision: Number,
    stateChangedAt: { type: Date, required: true },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
journeySchema.plugin(tenantScoped);

/**
 * One published version, never changed: `_id` `{appId}:{journeyId}:v{version}`, so a run reads
 * the version it entered by `_id`, and two publishes racing for one number cannot both take it.
 * Its send steps name the template version pinned at publish.
 */
export interface JourneyVersionDoc {
  _id: string;
  appId: string;
  journeyId: string;
  version: number;
  revision: number;
  definition: JourneyDefinition;
  publishedAt: Date;
}

export const journeyVersionSchema = new Schema<JourneyVersionDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    journeyId: { type: String, required: true },
    version: { type: Number, required: true },
    revision: { type: Number, required: true },
    definition: { type: Schema.Types.Mixed, required: true },
    publishedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
journeyVersionSchema.plugin(tenantScoped);

export class ImmutableVersionError extends Error {
  override name = 'ImmutableVersionError';
}

// A published version is what running profiles follow: the data layer refuses to change one.
for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'findOneAndReplace'] as const) {
  journeyVersionSchema.pre(op, function () {
    throw new ImmutableVersionError(`journey versions are immutable (${op} on ${this.model.collection.name})`);
  });
}
