/**
 * The worker as a process of its own at a lower CPU priority (`nice`), as `npm run dev` runs it.
 * On one machine the worker's batches would otherwise take the cores from the API: while a
 * campaign to 100 000 sent, a console page in the same process as the worker took 1–3 s to
 * load on an idle 2-core machine. Niced, the worker still gets every cycle the API and the
 * browser leave. Production runs the worker and the API apart anyway (`npm run worker`,
 * `npm run api`).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startProcess, type ManagedProcess } from './processes';

/** Below the API's priority, enough for the kernel to prefer the API whenever both want a core. */
const WORKER_NICE = 10;
const WORKER_ENTRY = path.join(__dirname, '..', 'worker.ts');
const hasNice = spawnSync('sh', ['-c', 'command -v nice']).status === 0;

/** The command that runs a worker (worker.ts), for every place that starts one as a process. */
export const workerCommand = (): string[] => [process.execPath, '--import', 'tsx', WORKER_ENTRY];

/** `env` is the worker's configuration (config.ts names); its output goes to `{logDir}/rota-worker.log`. */
export function startWorkerProcess(env: NodeJS.ProcessEnv, logDir: string): ManagedProcess {
  const node = workerCommand();
  // `nice` before node starts: every thread it makes (workflow threads, the SDK's core) inherits the priority.
  const [cmd, ...args] = hasNice ? ['nice', '-n', String(WORKER_NICE), ...node] : node;
  return startProcess('rota-worker', cmd!, args, { logDir, env });
}

/** Resolves once a worker polls both kinds of `taskQueue` (so it has bundled its workflows); rejects when `proc` exits first or at the deadline. */
export async function untilWorkerPolls(client: Client, namespace: string, taskQueue: string, proc: ManagedProcess, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`the worker exited (${proc.child.exitCode ?? proc.child.signalCode}); see ${proc.logFile}`);
    const kinds = await Promise.all([1, 2].map((taskQueueType) => client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType }))).catch(() => []);
    if (kinds.length > 0 && kinds.every((k) => (k.pollers ?? []).length > 0)) return;
    if (Date.now() > deadline) throw new Error(`the worker did not poll ${taskQueue} within ${timeoutMs} ms; see ${proc.logFile}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
