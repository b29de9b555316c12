/** Every workflow the worker registers. Workflow code only: no I/O, no Node built-ins (lint-enforced). */
export { pushWithSmsFallback } from './pushWithSmsFallback';
export { iysOutbox } from './iysOutbox';
export { iysSyncRun } from './iysSyncRun';
export { iysDriftReport } from './iysDriftReport';
export { uninstallProbeRun } from './uninstallProbeRun';
export { sendBatchRun } from './sendBatchRun';
export { campaignRun } from './campaignRun';
export { journeyRun } from './journeyRun';
export { journeyBroadcast } from './journeyBroadcast';
