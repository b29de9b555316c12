/** An app's uninstall-probe settings: whether the probe runs, how stale a device must be, how often. Off by default. */
import { z } from 'zod';
import type { Db } from '../data/db';
import { retryTransient } from '../data/transient';
import { scopedId } from '../lib/ids';

export const uninstallProbeSettingsSchema = z.strictObject({
  enabled: z.boolean().default(false).describe('whether the scheduled probe runs'),
  staleDays: z.number().int().min(0).max(3650).default(30).describe('devices not seen (registered or updated) for this many days are probed; 0: every installed device'),
  intervalHours: z.number().int().min(1).max(24 * 31).default(24).describe('hours between runs'),
});

export type UninstallProbeSettings = z.infer<typeof uninstallProbeSettingsSchema>;

export const DEFAULT_PROBE_SETTINGS: UninstallProbeSettings = { enabled: false, staleDays: 30, intervalHours: 24 };

export const probeSettingsId = (appId: string) => scopedId(appId, 'uninstall-probe');

export async function probeSettingsOf(db: Db, appId: string): Promise<UninstallProbeSettings> {
  const doc = await db.uninstallProbeSettings.findOne({ _id: probeSettingsId(appId) }).lean();
  return doc ? { enabled: doc.enabled, staleDays: doc.staleDays, intervalHours: doc.intervalHours } : DEFAULT_PROBE_SETTINGS;
}

/** Replaces the app's settings (one upsert by `_id`). */
export async function saveProbeSettings(db: Db, appId: string, settings: UninstallProbeSettings): Promise<void> {
  await retryTransient(() => db.uninstallProbeSettings.updateOne({ _id: probeSettingsId(appId) }, { $set: { appId, ...settings } }, { upsert: true }));
}
