/**
 * The embedded MongoDB-wire server behaves like MongoDB where Rota relies on it
 * (infra/ferretdb): concurrent single-document updates from several processes lose
 * nothing, and `_id` lookups are answered from an index on every collection, old or new,
 * also when the filter holds more than `_id` or lists ids with `$in` (infra/ferretdbPatch.ts),
 * and any number of concurrent updates finish (the front lets 32 at a time reach FerretDB).
 * With ROTA_FERRETDB_PLAIN=1 (plain FerretDB 1.24, no front) the atomicity test fails.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { freePort } from '../../infra/stack';
import { startProcess, waitUntilReady } from '../../infra/processes';
import { resolveFerretDb } from '../../infra/tools';
import { testDbUri } from '../support/testDb';

const runsOnTheLauncherServer = JSON.parse(process.env.ROTA_TEST_SOURCES ?? '{}').mongo === 'tool';
const onLauncher = runsOnTheLauncherServer ? test : test.skip;

function writerProcess(uri: string, docId: string, tag: string): Promise<{ tickets: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../support/concurrentWriter.ts'), uri, docId, tag], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { tickets: number[] }) : reject(new Error(`writer ${tag} exited with ${code}`))));
  });
}

interface PlanLine {
  Database: string;
  Collection: string;
  Plan: string;
}

async function idPlans(sqliteDir: string): Promise<PlanLine[]> {
  const ferret = await resolveFerretDb();
  const { stdout } = await promisify(execFile)(ferret!.path, ['--sqlite-dir', sqliteDir, '--report-id-index']);
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as PlanLine);
}

describe('the embedded database', () => {
  const uri = testDbUri('atomic');
  let conn: mongoose.Connection;
  beforeAll(async () => {
    conn = await mongoose.createConnection(uri).asPromise();
  });
  afterAll(async () => {
    await conn.db!.dropDatabase();
    await conn.close();
  });

  test('concurrent single-document updates from two processes lose nothing', async () => {
    const docs = conn.db!.collection<Record<string, unknown>>('atomic');
    const unsetFields = Object.fromEntries(['a', 'b'].flatMap((t) => Array.from({ length: 25 }, (_, i) => [`unset_${t}_${i}`, 1])));
    const toPull = ['a', 'b'].flatMap((t) => Array.from({ length: 25 }, (_, i) => `${t}-${i}`));
    await docs.insertOne({ _id: 'doc1' as never, count: 0, ticket: 0, pushed: [], toPull: [...toPull, 'stays'], ...unsetFields });

    const [a, b] = await Promise.all([writerProcess(uri, 'doc1', 'a'), writerProcess(uri, 'doc1', 'b')]);

    const doc = (await docs.findOne({ _id: 'doc1' as never }))!;
    const sets = Object.keys(doc).filter((k) => k.startsWith('set_'));
    expect(sets).toHaveLength(2 * 20 * 10);
    expect(doc.count).toBe(200);
    const pushed = ['a', 'b'].flatMap((t) => Array.from({ length: 50 }, (_, i) => `${t}-${i}`));
    expect((doc.pushed as string[]).slice().sort()).toEqual(pushed.sort());
    expect(doc.toPull).toEqual(['stays']);
    expect(Object.keys(doc).filter((k) => k.startsWith('unset_'))).toEqual([]);
    // Each findOneAndUpdate saw its own increment: 100 distinct values, 1..100.
    expect(doc.ticket).toBe(100);
    expect([...a.tickets, ...b.tickets].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  onLauncher('an `_id` lookup uses an index on every collection, also one created just now', async () => {
    const name = `fresh_${Date.now().toString(36)}`;
    await conn.db!.collection(name).insertOne({ _id: 'x' as never });
    const dbName = conn.db!.databaseName;
    const plans = (await idPlans(path.join(process.env.ROTA_TEST_DATA_DIR!, 'ferretdb'))).filter((p) => p.Database === dbName);
    expect(plans.map((p) => p.Collection)).toEqual(expect.arrayContaining(['atomic', name]));
    for (const p of plans) expect(p.Plan).toMatch(/USING INDEX \S+__id_rota/);
  });

  test('a filter that pins `_id` among other conditions, or lists ids with $in, answers exactly what MongoDB does', async () => {
    const docs = conn.db!.collection<{ _id: string; state: string; n: number }>('pinned');
    await docs.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `d${i}`, state: i % 2 ? 'pending' : 'sent', n: i })));
    // Compare-and-set: only the document whose state still matches changes.
    expect((await docs.updateOne({ _id: 'd1', state: 'pending' }, { $set: { state: 'sent' } })).modifiedCount).toBe(1);
    expect((await docs.updateOne({ _id: 'd1', state: 'pending' }, { $set: { state: 'sent' } })).modifiedCount).toBe(0);
    expect((await docs.updateOne({ _id: { $eq: 'd3' }, n: { $gt: 2 } }, { $set: { state: 'x' } })).modifiedCount).toBe(1);
    const found = await docs.find({ _id: { $in: ['d2', 'd3', 'd4', 'nope'] }, n: { $lt: 4 } }).sort({ _id: 1 }).toArray();
    expect(found.map((d) => [d._id, d.state])).toEqual([['d2', 'sent'], ['d3', 'x']]);
    expect(await docs.countDocuments({ _id: { $in: ['d5', 'd6'], $nin: ['d6'] } })).toBe(1);
    expect((await docs.deleteMany({ _id: { $in: ['d7', 'd8'] }, state: 'pending' })).deletedCount).toBe(1);
    expect(await docs.countDocuments({})).toBe(49);
  });

  test('250 updates at once from warm connections all finish (FerretDB alone deadlocks: each holds a SQLite connection and waits for a second)', async () => {
    const wide = await mongoose.createConnection(uri, { maxPoolSize: 300, minPoolSize: 250, maxConnecting: 50 }).asPromise();
    try {
      const docs = wide.db!.collection<{ _id: string; state: string }>('wide');
      await docs.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: `w${i}`, state: 'pending' })));
      // Connections opened first, so that the updates reach the server together.
      for (let k = 0; k < 3; k++) await Promise.all(Array.from({ length: 250 }, () => docs.find({}).toArray()));
      const results = await Promise.all(Array.from({ length: 250 }, (_, i) => docs.updateOne({ _id: `w${i}`, state: 'pending' }, { $set: { state: 'sent' } })));
      expect(results.reduce((n, r) => n + r.modifiedCount, 0)).toBe(250);
      expect(await docs.countDocuments({ state: 'sent' })).toBe(250);
    } finally {
      await wide.close();
    }
  });


  test('bulk writes of many updates by `_id` finish: one of 1000 statements, and 20 of 50 at once (FerretDB alone held a SQLite connection per statement until the command ended)', async () => {
    const docs = conn.db!.collection<{ _id: string; state: string }>('bulk');
    await docs.insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: `b${i}`, state: 'pending' })));
    const sent = (ids: number[]) => ids.map((i) => ({ updateOne: { filter: { _id: `b${i}` }, update: { $set: { state: 'sent' } } } }));
    const one = await docs.bulkWrite(sent(Array.from({ length: 1000 }, (_, i) => i)), { ordered: false });
    expect(one.modifiedCount).toBe(1000);
    const many = await Promise.all(Array.from({ length: 20 }, (_, k) => docs.bulkWrite(sent(Array.from({ length: 50 }, (_, i) => 1000 + k * 50 + i)), { ordered: false })));
    expect(many.reduce((n, r) => n + r.modifiedCount, 0)).toBe(1000);
    expect(await docs.countDocuments({ state: 'sent' })).toBe(2000);
  });
  onLauncher('filters that pin `_id` besides other fields, and `_id: {$in}` lists, are pushed down to the index', async () => {
    const docs = conn.db!.collection<{ _id: string; state: string }>('pushdown');
    await docs.insertMany([{ _id: 'a', state: 's' }, { _id: 'b', state: 's' }]);
    const pushed = async (filter: object) => ((await docs.find(filter).explain()) as { filterPushdown?: boolean }).filterPushdown;
    expect(await pushed({ _id: 'a' })).toBe(true);
    expect(await pushed({ _id: 'a', state: 's' })).toBe(true);
    expect(await pushed({ _id: { $in: ['a', 'b'] }, state: 's' })).toBe(true);
    // Neither pins ids: read in full and matched in Go, as before.
    expect(await pushed({ state: 's' })).toBe(false);
    expect(await pushed({ _id: { $gt: 'a' } })).toBe(false);
  });

  onLauncher('collections made before the front ran get the index when it starts', async () => {
    const ferret = (await resolveFerretDb())!;
    const dir = mkdtempSync(path.join(tmpdir(), 'rota-fdb-'));
    const sqliteDir = path.join(dir, 'data');
    const start = async (extra: string[]) => {
      const port = await freePort();
      const proc = startProcess('ferretdb-idx', ferret.path, ['--listen-addr', `127.0.0.1:${port}`, '--sqlite-dir', sqliteDir, ...extra], { logDir: dir });
      const u = `mongodb://127.0.0.1:${port}/old`;
      await waitUntilReady(proc, 'FerretDB', async () => {
        const c = await mongoose.createConnection(u, { serverSelectionTimeoutMS: 1000 }).asPromise();
        await c.close();
      });
      return { proc, u };
    };
    const plain = await start(['--atomic-writes=false', '--id-index=false']);
    const c = await mongoose.createConnection(plain.u).asPromise();
    await c.db!.collection('before').insertMany([{ _id: 'a' as never }, { _id: 'b' as never }]);
    await c.close();
    await plain.proc.stop();
    expect((await idPlans(sqliteDir)).map((p) => p.Plan)).toEqual([expect.stringMatching(/^SCAN/)]);

    const fronted = await start([]);
    try {
      expect((await idPlans(sqliteDir)).map((p) => p.Plan)).toEqual([expect.stringMatching(/USING INDEX \S+__id_rota/)]);
    } finally {
      await fronted.proc.stop();
    }
  });
});
