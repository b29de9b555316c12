/** Device registration on profiles: a push token belongs to one profile, the one that registered it last. */
import type { Db } from './db';
import type { Device } from './models/profiles';

/**
 * Removes `token` from every profile of the app holding it. FerretDB 1.x ignores a
 * `$pull` with a condition (`{devices: {token}}` matches but modifies nothing), so each
 * device is pulled by its exact stored value, which both servers honour. The raw
 * collection is used so that mongoose's casting cannot reorder the subdocument's keys.
 */
export async function detachToken(db: Db, appId: string, token: string): Promise<void> {
  const holders = await db.profiles.find({ appId, 'devices.token': token }, { devices: 1 }).lean();
  for (const holder of holders) {
    for (const device of holder.devices.filter((d) => d.token === token)) {
      await db.profiles.collection.updateOne({ _id: holder._id, appId } as never, { $pull: { devices: device } } as never);
    }
  }
}

export async function attachDevice(db: Db, appId: string, profileId: string, device: Omit<Device, 'updatedAt'>): Promise<void> {
  await detachToken(db, appId, device.token);
  await db.profiles.updateOne({ appId, _id: profileId }, { $push: { devices: { ...device, updatedAt: new Date() } } });
}
