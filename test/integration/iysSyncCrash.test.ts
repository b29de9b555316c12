/**
 * Nothing lost, nothing twice when a worker dies mid-sync: the worker runs as its own
 * process and is SIGKILLed after the page's changes and audit entries are written but
 * before all the profiles' summaries and the cursor are; a new worker re-pulls the page and
 * completes that write. Every movement ends applied exactly once. The first worker holds
 * the page there by a test hook (activities/iysSync.ts), so the kill lands mid-page however
 * fast the database is.
 */
import { SYNC_HOLD_ENV } from '../../activities/iysSync';
import { newProfileId } from '../../lib/ids';
import { workerProcesses } from '../support/workerProcess';
import { eventually, startHarness, type Harness } from '../support/harness';
import { awaitNewRun, createTestApp, enterSyncMode, iysAt, publishMovements, runIds, runSyncNow, type TestApp } from '../support/iysSync';

let h: Harness;
let app: TestApp;
const workers = workerProcesses();
const spawnWorker = () => workers.spawn(h);

beforeAll(async () => {
  h = await startHarness('iyssynccrash', { worker: false, iys: { changesLagMs: 0, batchDelayMs: 200 } });
  app = await createTestApp(h, 'crash');
  await enterSyncMode(app);
});
afterEach(() => workers.killAll());
afterAll(async () => h?.close());

const N = 200;
/** Summaries the first worker writes before it holds the page. */
const HELD = 10;
const msisdn = (i: number) => `+90532777${String(i).padStart(4, '0')}`;
const planted = (i: number) => (i % 2 === 0 ? 'ONAY' : 'RET');

test('a worker killed between applying a page and storing the cursor: the page is re-pulled and every movement is applied once', async () => {
  // Profiles written directly (the API's one-by-one creation is not what is under test); the sync finds them by msisdn.
  const now = new Date();
  await h.db.profiles.collection.insertMany(
    Array.from({ length: N }, (_, i) => ({ _id: newProfileId(app.appId), appId: app.appId, externalId: `crash-${i}`, msisdn: msisdn(i), attributes: {}, createdAt: now, updatedAt: now })) as never[],
  );
  for (let i = 0; i < N; i++) {
    h.iys!.citizen({ recipient: msisdn(i), type: 'MESAJ', status: planted(i), source: i % 2 === 0 ? 'IYS_WEB_YENI' : 'IYS_MOBIL', consentDate: iysAt(-3_600_000) });
  }
  publishMovements(h);

  // This worker writes the summaries of the page's first HELD profiles, then holds every other profile write.
  const first = workers.spawn(h, { [SYNC_HOLD_ENV]: String(HELD) });
  const before = await runIds(app);
  expect((await app.call('POST', '/v1/iys/sync/run')).status).toBe(202);
  // Summaries are written after the page's changes and audit entries: HELD of them means the page is held mid-way.
  const summaries = () => h.db.profiles.countDocuments({ appId: app.appId, 'consents.MESAJ': { $exists: true } });
  await eventually(async () => (await summaries()) === HELD, 120_000, 50);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  // Killed mid-page: every change and audit entry in, HELD summaries of N, no cursor.
  expect(await h.db.consentChanges.countDocuments({ appId: app.appId, origin: 'iys_sync' })).toBe(N);
  expect(await h.db.consentAudit.countDocuments({ appId: app.appId, origin: 'iys_sync' })).toBe(N);
  expect(await summaries()).toBe(HELD);
  expect((await h.db.iysSyncState.findOne({ _id: `${app.appId}:iys-sync` }).lean())?.cursor).toBeUndefined();

  spawnWorker();
  const run = await awaitNewRun(app, before, 120_000);
  expect(run).toMatchObject({ status: 'completed', pages: 1, counts: { pulled: N, applied: N, unchanged: 0, ignored: 0, unmatched: 0, errors: 0 } });

  const changes = await h.db.consentChanges.find({ appId: app.appId, origin: 'iys_sync' }).lean();
  const audit = await h.db.consentAudit.find({ appId: app.appId, origin: 'iys_sync' }).lean();
  const perProfile = (docs: { profileId: string }[]) => [...docs.reduce((m, d) => m.set(d.profileId, (m.get(d.profileId) ?? 0) + 1), new Map<string, number>()).values()];
  expect(changes).toHaveLength(N);
  expect(audit).toHaveLength(N);
  expect(perProfile(changes).every((n) => n === 1)).toBe(true);
  expect(perProfile(audit).every((n) => n === 1)).toBe(true);
  expect(new Set(audit.map((a) => a.changeId)).size).toBe(N);

  const profiles = await h.db.profiles.find({ appId: app.appId }).lean();
  expect(profiles.map((p) => [p.externalId, p.consents?.MESAJ?.status, p.consents?.MESAJ?.seq])).toEqual(
    expect.arrayContaining(Array.from({ length: N }, (_, i) => [`crash-${i}`, planted(i), 1])),
  );
  expect((await h.db.iysSyncState.findOne({ _id: `${app.appId}:iys-sync` }).lean())?.cursor).toBe(run.cursor);

  // Drained: the next run finds nothing and writes nothing.
  expect((await runSyncNow(app)).counts).toMatchObject({ pulled: 0, applied: 0 });
  expect(await h.db.consentChanges.countDocuments({ appId: app.appId, origin: 'iys_sync' })).toBe(N);
}, 240_000);
