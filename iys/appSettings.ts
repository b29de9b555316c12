/**
 * An app's İYS settings: which mode Rota runs in for it and which İYS brand it writes to.
 *   off        consents are stored and gated locally; changes wait (pending) for a mode.
 *   integrator Rota is the master: every local change is pushed to İYS, in order.
 *   sync       İYS is the master: a scheduled job pulls İYS's changes; local changes are
 *              pushed only for records İYS already has.
 * The İYS account (URL, username, password) is the deployment's, from the environment.
 */
import { z } from 'zod';
import type { Db } from '../data/db';

export const IYS_MODES = ['off', 'integrator', 'sync'] as const;
export type IysMode = (typeof IYS_MODES)[number];

export interface IysSettings {
  mode: IysMode;
  iysCode?: number;
  brandCode?: number;
  /** Sync mode: minutes between scheduled pulls of İYS's changes feed. */
  syncIntervalMinutes: number;
}

export const DEFAULT_IYS_SETTINGS: IysSettings = { mode: 'off', syncIntervalMinutes: 60 };

const code = z.number().int().min(1).max(99_999_999);

/**
 * An app names its brand (`iysCode`, `brandCode`) here, and may name only a brand the
 * platform administrator assigned to it (tenants/iysBrands.ts).
 */
export const iysSettingsSchema = z
  .object({
    mode: z.enum(IYS_MODES),
    iysCode: code.optional(),
    brandCode: code.optional(),
    syncIntervalMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
  })
  .strict()
  .superRefine((s, ctx) => {
    const given = (['iysCode', 'brandCode'] as const).filter((field) => s[field] !== undefined);
    for (const field of ['iysCode', 'brandCode'] as const) {
      if (s[field] !== undefined) continue;
      if (s.mode !== 'off') ctx.addIssue({ code: 'custom', path: [field], message: `required when mode is ${s.mode}` });
      else if (given.length) ctx.addIssue({ code: 'custom', path: [field], message: 'iysCode and brandCode name a brand together' });
    }
  });

/** A brand of the deployment's İYS account, as the platform administrator assigns it. */
export const iysBrandBody = z.strictObject({ iysCode: code, brandCode: code });

export const iysBrandView = z.object({ appId: z.string(), iysCode: z.number(), brandCode: z.number(), assignedAt: z.iso.datetime() });

export const toIysBrandView = (b: { appId: string; iysCode: number; brandCode: number; assignedAt: Date }) => ({
  appId: b.appId, iysCode: b.iysCode, brandCode: b.brandCode, assignedAt: b.assignedAt.toISOString(),
});

/** The app's settings, defaults filled in. */
export async function iysSettingsOf(db: Db, appId: string): Promise<IysSettings> {
  const app = await db.apps.findOne({ _id: appId }).lean();
  return { ...DEFAULT_IYS_SETTINGS, ...(app?.settings?.iys ?? {}) };
}

/** The settings of an app whose mode talks to İYS; brand codes are then present. */
export type ActiveIysSettings = IysSettings & { mode: 'integrator' | 'sync'; iysCode: number; brandCode: number };

export function isActive(s: IysSettings): s is ActiveIysSettings {
  return s.mode !== 'off' && s.iysCode !== undefined && s.brandCode !== undefined;
}
