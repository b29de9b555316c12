/**
 * İYS Sync mode and drift report: the types and ids the API, the activities and the
 * workflows share. Dependency-free (workflow code imports it).
 */

/** What became of the movements a sync run pulled; every movement lands in exactly one. */
export const SYNC_COUNT_KEYS = ['pulled', 'applied', 'unchanged', 'ignored', 'unmatched', 'errors'] as const;
export type SyncCounts = Record<(typeof SYNC_COUNT_KEYS)[number], number>;

export const noCounts = (): SyncCounts => ({ pulled: 0, applied: 0, unchanged: 0, ignored: 0, unmatched: 0, errors: 0 });

export function addCounts(a: SyncCounts, b: SyncCounts): SyncCounts {
  const sum = noCounts();
  for (const k of SYNC_COUNT_KEYS) sum[k] = a[k] + b[k];
  return sum;
}

export interface SyncRunInput {
  appId: string;
  /** Movements per pull (İYS's maximum, 1000, unless a test asks for small pages). */
  pageSize?: number;
  /** Carried over continueAsNew: the run's totals so far. */
  carried?: SyncCounts;
  pages?: number;
}

export interface SyncPageResult {
  counts: SyncCounts;
  /** A full page: the feed may hold more. */
  more: boolean;
  /** Why nothing was pulled, when the app is not (or no longer) in sync mode. */
  skipped?: 'not_in_sync_mode';
}

export const SYNC_RUN_STATUSES = ['running', 'completed', 'skipped', 'failed'] as const;
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number];

/** How a run ended, as its workflow records it. */
export interface SyncRunEnd {
  status: Exclude<SyncRunStatus, 'running'>;
  counts: SyncCounts;
  pages: number;
  /** Why a run failed or was skipped. */
  reason?: string;
}

/** The schedule of an app's sync and the workflow it starts (Temporal suffixes each start's id with its time). */
export const syncScheduleId = (appId: string) => `iys-sync:${appId}`;
export const syncRunWorkflowId = (appId: string) => `iys-sync-run:${appId}`;

/** Drift: where Rota's consent and İYS's disagree. */
export const DRIFT_KINDS = ['rota_onay_iys_not', 'rota_ret_iys_onay'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export const DRIFT_STATUSES = ['running', 'completed', 'failed'] as const;
export type DriftStatus = (typeof DRIFT_STATUSES)[number];

export const driftWorkflowId = (appId: string, reportId: string) => `iys-drift:${appId}:${reportId}`;
