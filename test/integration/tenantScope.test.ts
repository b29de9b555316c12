/** Tenant isolation is enforced by the data layer: a query without appId never reaches the database. */
import { connectDb, type Db } from '../../data/db';
import { TenantScopeError } from '../../data/tenantScope';
import { testDbUri } from '../support/testDb';

let db: Db;
beforeAll(async () => {
  db = await connectDb(testDbUri('scope'));
  await db.profiles.create({ _id: 'p1', appId: 'a', externalId: 'same' });
  await db.profiles.create({ _id: 'p2', appId: 'b', externalId: 'same' });
});
afterAll(async () => {
  await db?.conn.dropDatabase();
  await db?.close();
});

test.each([
  ['find', () => db.profiles.find({ externalId: 'same' }).lean()],
  ['findOne', () => db.profiles.findOne({ _id: 'p1' }).lean()],
  ['countDocuments', () => db.profiles.countDocuments({})],
  ['updateOne', () => db.profiles.updateOne({ externalId: 'same' }, { $set: { email: 'x@y.z' } })],
  ['deleteMany', () => db.messages.deleteMany({})],
  ['aggregate', () => db.deliveries.aggregate([{ $match: {} }])],
])('%s without appId is refused', async (_op, run) => {
  await expect(run()).rejects.toBeInstanceOf(TenantScopeError);
});

test('a filter on tenant-scoped _ids ({appId}:…) is allowed without appId', async () => {
  await db.profiles.create({ _id: 'a:p3', appId: 'a', externalId: 'scoped' });
  expect((await db.profiles.findOne({ _id: 'a:p3' }).lean())?.externalId).toBe('scoped');
  expect(await db.profiles.countDocuments({ _id: { $in: ['a:p3', 'b:p3'] } })).toBe(1);
  await expect(db.profiles.countDocuments({ _id: { $in: ['a:p3', 'p1'] } })).rejects.toBeInstanceOf(TenantScopeError);
});

test('the same externalId in two apps is two profiles, each seen only by its app', async () => {
  expect(await db.profiles.countDocuments({ appId: 'a', externalId: 'same' })).toBe(1);
  expect((await db.profiles.findOne({ appId: 'b', externalId: 'same' }).lean())?._id).toBe('p2');
});
