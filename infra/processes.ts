/**
 * Child processes of the embedded stack. Each one is started under `setpriv --pdeathsig`
 * where available, so the kernel kills it when its parent dies, even by SIGKILL; on a
 * normal exit or Ctrl-C the parent stops them itself. Either way no server is left
 * holding a port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

const running = new Set<ManagedProcess>();
const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Last resort on any exit path: synchronous kill of whatever is still running.
  process.on('exit', () => {
    for (const p of running) p.child.kill('SIGKILL');
  });
}

/** `cmd args` under `setpriv --pdeathsig SIGKILL` where available: the kernel kills it when its parent dies, even by SIGKILL. */
export function diesWithParent(cmd: string, args: string[]): [string, string[]] {
  return hasSetpriv ? ['setpriv', ['--pdeathsig', 'SIGKILL', '--', cmd, ...args]] : [cmd, args];
}

export function startProcess(name: string, cmd: string, args: string[], opts: { logDir: string; env?: NodeJS.ProcessEnv }): ManagedProcess {
  installExitHooks();
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = path.join(opts.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const [file, argv] = diesWithParent(cmd, args);
  const child = spawn(file, argv, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Both streams into one file, which closes when the process's last stream has (the first to end must not end it).
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end());

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const managed: ManagedProcess = {
    name,
    child,
    logFile,
    async stop() {
      running.delete(managed);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  child.once('exit', () => running.delete(managed));
  running.add(managed);
  return managed;
}

/** Polls `probe` until it resolves, the process exits, or the deadline passes. */
export async function waitUntilReady(proc: ManagedProcess | undefined, what: string, probe: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) {
      throw new Error(`${what} exited with code ${proc.child.exitCode} before it was ready; see ${proc.logFile}`);
    }
    try {
      await probe();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms (${String(lastError)})${proc ? `; see ${proc.logFile}` : ''}`);
}
