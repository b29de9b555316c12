/**
 * `npm run bench -- database`: what the embedded MongoDB-wire server costs per operation
 * Rota relies on, beside the raw floor of the same run: `insertMany` of the same documents.
 * At each size (BENCH_DB_SIZES, default 10000,100000): `updateOne` and `findOne` by `_id`
 * one at a time, and 20 concurrent updaters (`$inc` by `_id`, counted afterwards: a lost
 * update shows). With BENCH_DB_PLAIN=1 (default when the stack runs Rota's FerretDB) the
 * same on plain FerretDB 1.24 (no front, no `_id` index) in the same run, to show what the
 * front changes; plain FerretDB gets fewer samples, since each of its updates scans.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startProcess, waitUntilReady, type ManagedProcess } from '../infra/processes';
import { freePort, type Stack } from '../infra/stack';
import { resolveFerretDb } from '../infra/tools';

interface Target {
  name: string;
  uri: string;
  samples: number;
  concurrentMs: number;
  /** `$inc`s per updater on the one hot document. */
  hotIncs: number;
  stop(): Promise<void>;
}

const UPDATERS = 20;

function profileDoc(i: number) {
  return {
    _id: `bench:p${i}`, appId: 'bench', externalId: `user-${i}`, count: 0,
    attributes: { plan: i % 3 === 0 ? 'gold' : 'free', score: i % 100, city: ['İstanbul', 'Ankara', 'İzmir'][i % 3] },
    devices: [{ token: `tok-${i}`, platform: i % 2 ? 'ios' : 'android', pushEnabled: true, updatedAt: new Date() }],
    createdAt: new Date(), updatedAt: new Date(),
  };
}

async function plainFerretDb(): Promise<Target | undefined> {
  const ferret = await resolveFerretDb();
  if (!ferret) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'rota-bench-plain-'));
  const port = await freePort();
  const proc: ManagedProcess = startProcess('ferretdb-plain', ferret.path, ['--listen-addr', `127.0.0.1:${port}`, '--sqlite-dir', path.join(dir, 'data'), '--atomic-writes=false', '--id-index=false'], { logDir: dir });
  const uri = `mongodb://127.0.0.1:${port}/benchdb`;
  await waitUntilReady(proc, 'plain FerretDB', async () => {
    const c = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 1000 }).asPromise();
    await c.close();
  });
  return { name: 'plain FerretDB 1.24', uri, samples: 10, concurrentMs: 10_000, hotIncs: 2, stop: () => proc.stop() };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(target: Target, size: number): Promise<string> {
  const conn = await mongoose.createConnection(target.uri.replace(/\/([^/?]*)(\?|$)/, `/bench_db_${size}_${Date.now()}$2`), { maxPoolSize: UPDATERS + 2 }).asPromise();
  const docs = conn.db!.collection<{ _id: string; count: number }>('profiles');
  try {
    let t = performance.now();
    for (let from = 0; from < size; from += 1000) await docs.insertMany(Array.from({ length: Math.min(1000, size - from) }, (_, k) => profileDoc(from + k)) as never);
    const insertPerDocMs = (performance.now() - t) / size;

    const pick = (k: number) => `bench:p${(k * 7919) % size}`;
    const updates: number[] = [];
    const reads: number[] = [];
    for (let k = 0; k < target.samples; k++) {
      t = performance.now();
      await docs.updateOne({ _id: pick(k) }, { $inc: { count: 1 } });
      updates.push(performance.now() - t);
      t = performance.now();
      await docs.findOne({ _id: pick(k + 1) });
      reads.push(performance.now() - t);
    }

    // 20 updaters on distinct documents for a fixed time; then the counters must add up to the acknowledged updates.
    const before = target.samples;
    let acknowledged = 0;
    let failed = 0;
    const end = performance.now() + target.concurrentMs;
    t = performance.now();
    await Promise.all(Array.from({ length: UPDATERS }, async (_, w) => {
      for (let k = 0; performance.now() < end; k++) {
        try {
          await docs.updateOne({ _id: `bench:p${(w * 31 + k * UPDATERS) % size}` }, { $inc: { count: 1 } });
          acknowledged++;
        } catch {
          failed++;
        }
      }
    }));
    const perSecond = acknowledged / ((performance.now() - t) / 1000);
    const [{ total } = { total: 0 }] = await docs.aggregate<{ total: number }>([{ $group: { _id: null, total: { $sum: '$count' } } }]).toArray();
    const lost = before + acknowledged - total;

    // One hot document: 20 updaters × hotIncs `$inc` at once; MongoDB keeps them all.
    await docs.insertOne({ _id: 'hot', count: 0 } as never);
    await Promise.all(Array.from({ length: UPDATERS }, async () => {
      for (let k = 0; k < target.hotIncs; k++) await docs.updateOne({ _id: 'hot' }, { $inc: { count: 1 } }).catch(() => undefined);
    }));
    const hot = (await docs.findOne({ _id: 'hot' }))?.count ?? 0;

    const ratio = (ms: number) => `${(ms / insertPerDocMs).toFixed(1)}x`;
    return [
      `  ${target.name}, ${size.toLocaleString('en')} documents: insertMany ${(1000 / insertPerDocMs).toFixed(0)} docs/s (${insertPerDocMs.toFixed(3)} ms/doc, the floor)`,
      `    updateOne by _id ${median(updates).toFixed(1)} ms (${ratio(median(updates))} an inserted doc), findOne by _id ${median(reads).toFixed(1)} ms (${ratio(median(reads))}), median of ${target.samples}`,
      `    ${UPDATERS} concurrent updaters: ${perSecond.toFixed(0)} updates/s (${(perSecond * insertPerDocMs / 1000).toFixed(2)} of the insert rate), ${failed} failed, ${lost} lost`,
      `    one document, ${UPDATERS} updaters × ${target.hotIncs} $inc at once: ${hot} of ${UPDATERS * target.hotIncs} kept`,
    ].join('\n');
  } finally {
    await conn.db!.dropDatabase();
    await conn.close();
  }
}

export async function benchDatabase(stack: Pick<Stack, 'mongoUri' | 'sources'>, sizes: number[], withPlain: boolean): Promise<string[]> {
  const targets: Target[] = [{ name: stack.sources.mongo === 'tool' ? "Rota's FerretDB (front + _id index)" : 'the stack\'s MongoDB', uri: stack.mongoUri, samples: 200, concurrentMs: 10_000, hotIncs: 25, stop: async () => {} }];
  if (withPlain && stack.sources.mongo === 'tool') {
    const plain = await plainFerretDb();
    if (plain) targets.push(plain);
  }
  const lines = ['database (bench/database.ts):'];
  try {
    for (const size of sizes) for (const target of targets) lines.push(await measure(target, size));
  } finally {
    for (const t of targets) await t.stop();
  }
  return lines;
}
