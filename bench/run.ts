/**
 * `npm run bench`: starts the stack like the tests do (or uses TEMPORAL_ADDRESS /
 * MONGODB_URI) and runs each benchmark, printing its ratio against the raw floor measured
 * in the same run. BENCH_MESSAGES and BENCH_CONCURRENCY size the message benchmark.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startStack } from '../infra/stack';
import { benchMessages } from './messages';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const stack = await startStack({ dataDir: mkdtempSync(path.join(tmpdir(), 'rota-bench-')) });
  console.log(stack.description.join('\n'));
  try {
    const lines = await benchMessages(stack, Number(process.env.BENCH_MESSAGES ?? 300), Number(process.env.BENCH_CONCURRENCY ?? 20));
    console.log(lines.join('\n'));
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
