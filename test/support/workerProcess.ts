/** Workers as processes of their own, for tests that SIGKILL one mid-work and let another finish. */
import { spawn, type ChildProcess } from 'node:child_process';
import { diesWithParent } from '../../infra/processes';
import { workerCommand } from '../../infra/workerProcess';
import type { Harness } from './harness';

export function workerProcesses() {
  const running: ChildProcess[] = [];
  return {
    /** A worker joining the harness (its database and task queue); `env` adds to its environment (test hooks). */
    spawn(h: Harness, env: Record<string, string> = {}): ChildProcess {
      // Gone with the jest worker that started it, even when jest is killed before afterAll.
      const [node, ...args] = workerCommand();
      const child = spawn(...diesWithParent(node!, args), {
        env: { ...process.env, ...h.env, LOG_LEVEL: 'error', ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      running.push(child);
      return child;
    },
    /** Kills every worker spawned so far that is still running, and waits for each to exit. */
    async killAll(): Promise<void> {
      for (const w of running.splice(0)) {
        if (w.exitCode === null && w.signalCode === null) {
          w.kill('SIGKILL');
          await new Promise((r) => w.once('exit', r));
        }
      }
    },
  };
}
