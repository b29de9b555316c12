import { Schema } from 'mongoose';
import { PROBE_RUN_STATUSES, type ProbeCounts, type ProbeRunStatus } from '../../domain/uninstallProbe';
import { tenantScoped } from '../tenantScope';

/** An app's uninstall-probe settings, `_id` `{appId}:uninstall-probe`; absent means the defaults (off). */
export interface UninstallProbeSettingsDoc {
  _id: string;
  appId: string;
  enabled: boolean;
  staleDays: number;
  intervalHours: number;
  updatedAt: Date;
}

export const uninstallProbeSettingsSchema = new Schema<UninstallProbeSettingsDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    enabled: { type: Boolean, required: true },
    staleDays: { type: Number, required: true },
    intervalHours: { type: Number, required: true },
  },
  { timestamps: { createdAt: false, updatedAt: true }, versionKey: false },
);
uninstallProbeSettingsSchema.plugin(tenantScoped);

/** One probe run, `_id` `{appId}:{runId}`: inserted when it starts, completed once with its totals. */
export interface UninstallProbeRunDoc {
  _id: string;
  appId: string;
  runId: string;
  workflowId: string;
  status: ProbeRunStatus;
  startedAt: Date;
  finishedAt?: Date;
  /** Devices last seen before this were probed. */
  staleBefore?: Date;
  pages: number;
  counts: ProbeCounts;
  reason?: string;
}

const countsSchema = new Schema<ProbeCounts>(
  { probed: Number, uninstalled: Number, noAnswer: Number, errors: Number },
  // `errors` is a count here, not mongoose's validation errors.
  { _id: false, suppressReservedKeysWarning: true },
);

export const uninstallProbeRunSchema = new Schema<UninstallProbeRunDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    runId: { type: String, required: true },
    workflowId: { type: String, required: true },
    status: { type: String, enum: PROBE_RUN_STATUSES, required: true },
    startedAt: { type: Date, required: true },
    finishedAt: Date,
    staleBefore: Date,
    pages: { type: Number, default: 0 },
    counts: { type: countsSchema, required: true },
    reason: String,
  },
  { versionKey: false },
);
uninstallProbeRunSchema.index({ appId: 1, startedAt: -1 });
uninstallProbeRunSchema.plugin(tenantScoped);
