/** Many profiles at once, written straight to the store (key and profile documents), for tests that import thousands of consents. */
import type { Db } from '../../data/db';

/** `count` profiles `{prefix}-{i}` with msisdn `{msisdnPrefix}{i, 7 digits}` and e-mail `{prefix}{i}@example.com`, in the demo app. */
export async function seedProfiles(db: Db, prefix: string, count: number, msisdnPrefix: string): Promise<void> {
  const keys = [];
  const docs = [];
  for (let i = 0; i < count; i++) {
    const profileId = `demo:prf_${prefix}${i}`;
    keys.push({ _id: `demo:x:${prefix}-${i}`, appId: 'demo', profileId });
    docs.push({ _id: profileId, appId: 'demo', externalId: `${prefix}-${i}`, msisdn: `${msisdnPrefix}${String(i).padStart(7, '0')}`, email: `${prefix}${i}@example.com`, attributes: {} });
  }
  await db.profileKeys.insertMany(keys);
  await db.profiles.insertMany(docs);
}
