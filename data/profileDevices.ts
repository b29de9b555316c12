/** Device registration on profiles: a push token belongs to one profile, the one that registered it last. */
import type { Db } from './db';
import type { Device } from './models/profiles';

/** What segments match devices on (see ProfileDoc.deviceTags). */
export function deviceTags(devices: Pick<Device, 'platform' | 'pushEnabled' | 'uninstalledAt'>[]): string[] {
  const tags = new Set<string>();
  for (const d of devices) {
    if (d.uninstalledAt) {
      for (const t of ['uninstalled', `uninstalled:${d.platform}`]) tags.add(t);
      continue;
    }
    const push = d.pushEnabled ? 'push' : 'nopush';
    for (const t of ['any', `platform:${d.platform}`, push, `${push}:${d.platform}`]) tags.add(t);
  }
  return [...tags].sort();
}

/**
 * Recomputes `deviceTags` from `devices`. Every change of `devices` also increments
 * `devicesVersion`; a writer whose tags were computed from a version that is no longer the
 * stored one computes them again, so racing writers converge on the tags of the newest
 * devices whatever order they finish in (single-document updates are atomic).
 */
async function refreshDeviceTags(db: Db, profileId: string): Promise<void> {
  for (;;) {
    const profile = await db.profiles.findOne({ _id: profileId }, { devices: 1, devicesVersion: 1 }).lean();
    if (!profile) return;
    await db.profiles.updateOne({ _id: profileId }, { $set: { deviceTags: deviceTags(profile.devices ?? []) } });
    const now = await db.profiles.findOne({ _id: profileId }, { devicesVersion: 1 }).lean();
    if (!now || now.devicesVersion === profile.devicesVersion) return;
  }
}

/**
 * Removes `token` from the app's profiles holding it, except `keep` and except copies
 * registered after `olderThan`. FerretDB 1.x ignores a `$pull` with a condition
 * (`{devices: {token}}` matches but modifies nothing), so each device is pulled by its
 * exact stored value, which both servers honour; the raw collection keeps mongoose's
 * casting from reordering the subdocument's keys.
 */
async function pullExact(db: Db, profileId: string, devices: Device[]): Promise<void> {
  if (devices.length === 0) return;
  for (const device of devices) await db.profiles.collection.updateOne({ _id: profileId } as never, { $pull: { devices: device }, $inc: { devicesVersion: 1 } } as never);
  await refreshDeviceTags(db, profileId);
}

async function detachToken(db: Db, appId: string, token: string, opts: { keep?: string; olderThan?: Date } = {}): Promise<void> {
  const holders = await db.profiles.find({ appId, 'devices.token': token }, { devices: 1 }).lean();
  for (const holder of holders) {
    if (holder._id === opts.keep) continue;
    await pullExact(db, holder._id, (holder.devices ?? []).filter((d) => d.token === token && (!opts.olderThan || d.updatedAt <= opts.olderThan)));
  }
}

/** Unregisters `token` from one profile. */
export async function detachDevice(db: Db, appId: string, profileId: string, token: string): Promise<void> {
  const profile = await db.profiles.findOne({ _id: profileId }, { devices: 1 }).lean();
  await pullExact(db, profileId, (profile?.devices ?? []).filter((d) => d.token === token));
}

export async function attachDevice(db: Db, appId: string, profileId: string, device: Omit<Device, 'updatedAt'>): Promise<void> {
  const registered = { ...device, updatedAt: new Date() };
  await detachToken(db, appId, device.token);
  await db.profiles.updateOne({ _id: profileId, 'devices.token': { $ne: device.token } }, { $push: { devices: registered }, $inc: { devicesVersion: 1 } });
  // Two registrations of one token may race through the lines above; the older copy gives way.
  await detachToken(db, appId, device.token, { keep: profileId, olderThan: registered.updatedAt });
  await refreshDeviceTags(db, profileId);
}

/**
 * A provider answered that `token` is dead (FCM `UNREGISTERED`, APNs 410): every copy of it in
 * the app is marked uninstalled at `at` (the provider's time where it gives one), so it gets
 * no more pushes and segments can find it. The marked copy is added before the old one is
 * removed, so a crash in between leaves a duplicate the next registration or answer clears,
 * never a lost device. A token registered again after `at` is a new install and stays.
 * Answers the profiles changed.
 */
export async function markTokenUninstalled(db: Db, appId: string, token: string, at: Date): Promise<string[]> {
  const holders = await db.profiles.find({ appId, 'devices.token': token }, { devices: 1 }).lean();
  const changed: string[] = [];
  for (const holder of holders) {
    const live = (holder.devices ?? []).filter((d) => d.token === token && !d.uninstalledAt && d.updatedAt <= at);
    if (live.length === 0) continue;
    const newest = live.reduce((a, b) => (b.updatedAt > a.updatedAt ? b : a));
    await db.profiles.collection.updateOne({ _id: holder._id } as never, { $push: { devices: { ...newest, uninstalledAt: at } }, $inc: { devicesVersion: 1 } } as never);
    await pullExact(db, holder._id, live);
    changed.push(holder._id);
  }
  return changed;
}
