/**
 * `npm run bench`: starts the stack like the tests do (or uses TEMPORAL_ADDRESS /
 * MONGODB_URI) and runs each benchmark, printing its ratio against the raw floor measured
 * in the same run. `npm run bench -- messages` (or `customerData`, `iys`, `database`) runs one.
 * BENCH_DB_SIZES, BENCH_DB_PLAIN, BENCH_MESSAGES, BENCH_CONCURRENCY, BENCH_EVENTS, BENCH_PROFILES, BENCH_RUNS, BENCH_IYS_PEOPLE
 * BENCH_IYS_BATCH_DELAY_MS, BENCH_BATCH_RECIPIENTS, BENCH_BATCH_RATE, BENCH_CAMPAIGN, BENCH_CONSOLE, BENCH_CONSOLE_RUNS,
 * BENCH_JOURNEY_EVENTS, BENCH_JOURNEY_RATE and BENCH_JOURNEY_WAITING size them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startStack, type Stack } from '../infra/stack';
import { benchCustomerData } from './customerData';
import { benchMessages } from './messages';
import { benchIysIntegrator } from './iysIntegrator';
import { benchDatabase } from './database';
import { benchBatchSend } from './batchSend';
import { benchCampaign } from './campaign';
import { benchConsole } from './console';
import { benchJourneys } from './journeys';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const BENCHMARKS: Record<string, (stack: Stack) => Promise<string[]>> = {
  messages: (stack) => benchMessages(stack, env('BENCH_MESSAGES', 300), env('BENCH_CONCURRENCY', 20)),
  iys: (stack) => benchIysIntegrator(stack, env('BENCH_IYS_PEOPLE', 2500), env('BENCH_IYS_BATCH_DELAY_MS', 1000)),
  database: (stack) => benchDatabase(stack, (process.env.BENCH_DB_SIZES ?? '10000,100000').split(',').map(Number), process.env.BENCH_DB_PLAIN !== '0'),
  batchSend: (stack) => benchBatchSend(stack, env('BENCH_BATCH_RECIPIENTS', 20_000), env('BENCH_BATCH_RATE', 10_000)),
  campaign: (stack) => benchCampaign(stack, env('BENCH_CAMPAIGN', 100_000)),
  journeys: (stack) => benchJourneys(stack, env('BENCH_JOURNEY_EVENTS', 1000), env('BENCH_JOURNEY_RATE', 50), env('BENCH_JOURNEY_WAITING', 2000)),
  console: (stack) => benchConsole(stack, env('BENCH_CONSOLE', 100_000), env('BENCH_CONSOLE_RUNS', 5)),
  customerData: (stack) => benchCustomerData(stack, { events: env('BENCH_EVENTS', 50_000), profiles: env('BENCH_PROFILES', 100_000), concurrency: env('BENCH_CONCURRENCY', 2) }),
};

async function main(): Promise<void> {
  const chosen = process.argv.slice(2);
  const unknown = chosen.filter((c) => !(c in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const stack = await startStack({ dataDir: mkdtempSync(path.join(tmpdir(), 'rota-bench-')) });
  console.log(stack.description.join('\n'));
  try {
    for (const name of chosen.length > 0 ? chosen : Object.keys(BENCHMARKS)) {
      const lines = await BENCHMARKS[name]!(stack);
      if (lines.length > 0) console.log(lines.join('\n'));
    }
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
