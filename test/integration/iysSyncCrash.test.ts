/**
 * Nothing lost, nothing twice when a worker dies mid-sync: the worker runs as its own
 * process and is SIGKILLed after the page's changes and audit entries are written but
 * before the profiles' summaries and the cursor are; a new worker re-pulls the page and
 * completes that write. Every movement ends applied exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { newProfileId } from '../../lib/ids';
import { eventually, startHarness, type Harness } from '../support/harness';
import { awaitNewRun, enterSyncMode, iysAt, publishMovements, runIds, runSyncNow } from '../support/iysSync';

let h: Harness;
const workers: ChildProcess[] = [];

function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../worker.ts')], {
    env: { ...process.env, ...h.env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  h = await startHarness('iyssynccrash', { worker: false, iys: { changesLagMs: 0, batchDelayMs: 200 } });
  await enterSyncMode(h);
});
afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.exitCode === null && w.signalCode === null) {
      w.kill('SIGKILL');
      await new Promise((r) => w.once('exit', r));
    }
  }
});
afterAll(async () => h?.close());

const N = 150;
const msisdn = (i: number) => `+90532777${String(i).padStart(4, '0')}`;
const planted = (i: number) => (i % 2 === 0 ? 'ONAY' : 'RET');

test('a worker killed between applying a page and storing the cursor: the page is re-pulled and every movement is applied once', async () => {
  // Profiles written directly (the API's one-by-one creation is not what is under test); the sync finds them by msisdn.
  const now = new Date();
  await h.db.profiles.collection.insertMany(
    Array.from({ length: N }, (_, i) => ({ _id: newProfileId('demo'), appId: 'demo', externalId: `crash-${i}`, msisdn: msisdn(i), attributes: {}, createdAt: now, updatedAt: now })) as never[],
  );
  for (let i = 0; i < N; i++) {
    h.iys!.citizen({ recipient: msisdn(i), type: 'MESAJ', status: planted(i), source: i % 2 === 0 ? 'IYS_WEB_YENI' : 'IYS_MOBIL', consentDate: iysAt(-3_600_000) });
  }
  publishMovements(h);

  const first = spawnWorker();
  const before = await runIds(h);
  expect((await h.call('POST', '/v1/iys/sync/run')).status).toBe(202);
  // The page's changes and audit entries are in (one bulk insert each); the summaries are being written one profile at a time.
  await eventually(async () => (await h.db.consentAudit.countDocuments({ appId: 'demo', origin: 'iys_sync' })) > 0, 90_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  const summariesAtKill = await h.db.profiles.countDocuments({ appId: 'demo', 'consents.MESAJ': { $exists: true } });
  expect(summariesAtKill).toBeLessThan(N); // killed mid-page, not after it
  expect((await h.db.iysSyncState.findOne({ _id: 'demo:iys-sync' }).lean())?.cursor).toBeUndefined();

  spawnWorker();
  const run = await awaitNewRun(h, before, 120_000);
  expect(run).toMatchObject({ status: 'completed', pages: 1, counts: { pulled: N, applied: N, unchanged: 0, ignored: 0, unmatched: 0, errors: 0 } });

  const changes = await h.db.consentChanges.find({ appId: 'demo', origin: 'iys_sync' }).lean();
  const audit = await h.db.consentAudit.find({ appId: 'demo', origin: 'iys_sync' }).lean();
  const perProfile = (docs: { profileId: string }[]) => [...docs.reduce((m, d) => m.set(d.profileId, (m.get(d.profileId) ?? 0) + 1), new Map<string, number>()).values()];
  expect(changes).toHaveLength(N);
  expect(audit).toHaveLength(N);
  expect(perProfile(changes).every((n) => n === 1)).toBe(true);
  expect(perProfile(audit).every((n) => n === 1)).toBe(true);
  expect(new Set(audit.map((a) => a.changeId)).size).toBe(N);

  const profiles = await h.db.profiles.find({ appId: 'demo' }).lean();
  expect(profiles.map((p) => [p.externalId, p.consents?.MESAJ?.status, p.consents?.MESAJ?.seq])).toEqual(
    expect.arrayContaining(Array.from({ length: N }, (_, i) => [`crash-${i}`, planted(i), 1])),
  );
  expect((await h.db.iysSyncState.findOne({ _id: 'demo:iys-sync' }).lean())?.cursor).toBe(run.cursor);

  // Drained: the next run finds nothing and writes nothing.
  expect((await runSyncNow(h)).counts).toMatchObject({ pulled: 0, applied: 0 });
  expect(await h.db.consentChanges.countDocuments({ appId: 'demo', origin: 'iys_sync' })).toBe(N);
}, 240_000);
