/**
 * The uninstall probe: the types and ids the API, the activities and the workflow share.
 * Dependency-free (workflow code imports it).
 */

/** What became of the devices a probe run pushed to; every probed device lands in exactly one of the last three. */
export const PROBE_COUNT_KEYS = ['probed', 'uninstalled', 'noAnswer', 'errors'] as const;
export type ProbeCounts = Record<(typeof PROBE_COUNT_KEYS)[number], number>;

export const noProbeCounts = (): ProbeCounts => ({ probed: 0, uninstalled: 0, noAnswer: 0, errors: 0 });

export function addProbeCounts(a: ProbeCounts, b: ProbeCounts): ProbeCounts {
  const sum = noProbeCounts();
  for (const k of PROBE_COUNT_KEYS) sum[k] = a[k] + b[k];
  return sum;
}

export interface ProbeRunInput {
  appId: string;
  /** Profiles per page (default PROBE_PAGE_SIZE; tests ask for small pages). */
  pageSize?: number;
  /** Pages per workflow execution before continueAsNew (default PROBE_PAGES_PER_EXECUTION). */
  pagesPerExecution?: number;
  /** Carried over continueAsNew. */
  carried?: { counts: ProbeCounts; pages: number; after?: string; staleBefore: string; runId: string };
}

export const PROBE_PAGE_SIZE = 100;
export const PROBE_PAGES_PER_EXECUTION = 200;

export interface ProbePageInput {
  appId: string;
  runId: string;
  /** Devices whose `updatedAt` is older than this (ISO) are probed. */
  staleBefore: string;
  /** The last profile `_id` of the page before. */
  after?: string;
  pageSize: number;
}

export interface ProbePageResult {
  counts: ProbeCounts;
  /** The page's last profile `_id`: where the next page starts; absent when the collection is drained. */
  next?: string;
}

/** What the run's start found: the app's settings decide whether and what to probe. */
export interface ProbeRunStart {
  enabled: boolean;
  staleBefore: string;
}

export const PROBE_RUN_STATUSES = ['running', 'completed', 'skipped', 'failed'] as const;
export type ProbeRunStatus = (typeof PROBE_RUN_STATUSES)[number];

export interface ProbeRunEnd {
  status: Exclude<ProbeRunStatus, 'running'>;
  counts: ProbeCounts;
  pages: number;
  reason?: string;
}

/** The schedule of an app's probe and the workflow it starts (Temporal suffixes each start's id with its time). */
export const probeScheduleId = (appId: string) => `uninstall-probe:${appId}`;
export const probeRunWorkflowId = (appId: string) => `uninstall-probe-run:${appId}`;

/** The data of a probe push: the app can tell it from a message and ignore it. */
export const PROBE_PUSH_DATA = { rota_probe: '1' } as const;
