/** Activities of the uninstall probe run: its record and settings, and one page of stale devices at a time. */
import type { Db } from '../data/db';
import type { ProbePageInput, ProbePageResult, ProbeRunEnd, ProbeRunStart } from '../domain/uninstallProbe';
import type { PushAdapters } from '../providers/pushAdapters';
import { probePage } from '../uninstallProbe/probePage';
import { finishProbeRunRecord, startProbeRunRecord, type ProbeRunRef } from '../uninstallProbe/runs';
import { probeSettingsOf } from '../uninstallProbe/settings';
import { heartbeat } from './heartbeat';

export interface UninstallProbeDeps {
  db: Db;
  /** The push adapters (providers/pushAdapters.ts); a platform without one counts its probes as errors. */
  pushAdapters: PushAdapters;
}

const DAY_MS = 24 * 3600 * 1000;

export function createUninstallProbeActivities(deps: UninstallProbeDeps) {
  const push = deps.pushAdapters;
  return {
    /** Records the run's start and answers what it is to probe (devices not seen since staleBefore), as the settings say now. */
    async startProbeRun(run: ProbeRunRef): Promise<ProbeRunStart> {
      const settings = await probeSettingsOf(deps.db, run.appId);
      const staleBefore = new Date(Date.now() - settings.staleDays * DAY_MS);
      await startProbeRunRecord(deps.db, { ...run, staleBefore });
      return { enabled: settings.enabled, staleBefore: staleBefore.toISOString() };
    },
    async probePage(input: ProbePageInput): Promise<ProbePageResult> {
      return probePage({ db: deps.db, push, beat: heartbeat }, input);
    },
    async finishProbeRun(run: ProbeRunRef & ProbeRunEnd): Promise<void> {
      await finishProbeRunRecord(deps.db, run);
    },
  };
}
