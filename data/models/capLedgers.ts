import { Schema } from 'mongoose';
import type { CapEntry } from '../../gate/frequencyCaps';
import { tenantScoped } from '../tenantScope';

/**
 * A profile's frequency-cap ledger: its commercial sends in the order they were claimed
 * (gate/capLedger.ts). `_id` is `{profileId}:caps` (tenant-scoped, as profile ids are), and
 * every read and write of it names that `_id` alone.
 */
export interface CapLedgerDoc {
  _id: string;
  appId: string;
  profileId: string;
  claims: CapEntry[];
  /** Verdicts written down when older entries were dropped, by claim key: 1 admitted, 0 refused. */
  o?: Record<string, number>;
}

export const capLedgerSchema = new Schema<CapLedgerDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    profileId: { type: String, required: true },
    // Written and read through the raw collection only (gate/capLedger.ts), which keeps each claim's field order.
    claims: { type: Schema.Types.Mixed, default: undefined },
    o: { type: Schema.Types.Mixed, default: undefined },
  },
  { versionKey: false, minimize: false },
);
capLedgerSchema.plugin(tenantScoped);
