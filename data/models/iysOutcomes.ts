import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/** What became of a consent change sent to İYS (or held back from it). */
export const IYS_OUTCOME_STATES = ['delivered', 'rejected', 'skipped'] as const;
export type IysOutcomeState = (typeof IYS_OUTCOME_STATES)[number];

/**
 * İYS's final answer to one consent change: `_id` is the change's `_id`, and the document
 * is inserted once, never updated. A change without an outcome is still on its way. Kept
 * apart from the change (rather than updating it) because FerretDB pays ~40 ms per
 * updated document: recording a 10 000-row import's batch results would take minutes,
 * inserting them takes a second.
 */
export interface IysOutcomeDoc {
  _id: string;
  appId: string;
  /** The apply call that wrote the change: an import's outcomes are found by it. */
  writeId: string;
  state: IysOutcomeState;
  transactionId?: string;
  /** İYS's refusal (H-code) or why Rota held the change back (`not_in_iys` in Sync mode). */
  code?: string;
  message?: string;
  via: 'single' | 'batch';
  /** The batch's İYS requestId. */
  requestId?: string;
  at: Date;
}

export const iysOutcomeSchema = new Schema<IysOutcomeDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    writeId: { type: String, required: true },
    state: { type: String, enum: IYS_OUTCOME_STATES, required: true },
    transactionId: String,
    code: String,
    message: String,
    via: { type: String, enum: ['single', 'batch'], required: true },
    requestId: String,
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
iysOutcomeSchema.index({ appId: 1, writeId: 1 });
iysOutcomeSchema.plugin(tenantScoped);
