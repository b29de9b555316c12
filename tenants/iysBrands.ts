/**
 * İYS brands and the apps they belong to. The deployment's İYS account (IYS_USERNAME) may
 * hold several brands; each is assigned to one app by the platform administrator, and an
 * app's İYS settings can name only a brand assigned to it. Otherwise one app's admin could
 * send its consent changes to İYS under another app's brand.
 *
 * A brand is held once because its record's `_id` is the brand: the first insert wins, on
 * MongoDB and on the embedded server alike, however many ask at once.
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { IysBrandDoc } from '../data/models/apps';

export interface IysBrand {
  iysCode: number;
  brandCode: number;
}

export const iysBrandId = (iysCode: number, brandCode: number) => `${iysCode}:${brandCode}`;

/** The brand records. Bound on first use; its place is with the other models in data/db.ts. */
export function iysBrands(db: Db): Db['iysBrands'] {
  return db.iysBrands;
}

export type AssignOutcome = { outcome: 'assigned' | 'already_assigned'; brand: IysBrandDoc } | { outcome: 'taken' };

/** Assigns `brand` to `appId`; idempotent for the app that holds it, `taken` when another app does. */
export async function assignIysBrand(db: Db, appId: string, brand: IysBrand): Promise<AssignOutcome> {
  const model = iysBrands(db);
  const _id = iysBrandId(brand.iysCode, brand.brandCode);
  try {
    const created = await model.create({ _id, appId, iysCode: brand.iysCode, brandCode: brand.brandCode });
    return { outcome: 'assigned', brand: created.toObject() };
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const holder = await model.findById(_id).lean();
  if (holder?.appId === appId) return { outcome: 'already_assigned', brand: holder };
  return { outcome: 'taken' };
}

/** Who holds `brand`: this app, another app, or nobody. */
export async function iysBrandHolder(db: Db, appId: string, brand: IysBrand): Promise<'this_app' | 'other_app' | 'none'> {
  const holder = await iysBrands(db).findById(iysBrandId(brand.iysCode, brand.brandCode)).lean();
  return !holder ? 'none' : holder.appId === appId ? 'this_app' : 'other_app';
}

/** The brands assigned to `appId`, in the order they were assigned. */
export async function iysBrandsOf(db: Db, appId: string): Promise<IysBrandDoc[]> {
  return iysBrands(db).find({ appId }).sort({ assignedAt: 1, _id: 1 }).lean();
}
