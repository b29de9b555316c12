/** A server the launcher started dies with its parent, even when the parent is SIGKILLed: no orphans holding ports. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '../support/harness';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test.each(['SIGKILL', 'SIGTERM'] as const)('FerretDB stops when its parent gets %s', async (signal) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rota-orphan-'));
  const parent = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../support/startMongoAndWait.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const pid = await eventually(async () => Number(/FERRETDB_PID=(\d+)/.exec(out)?.[1]) || undefined, 60_000);
  expect(alive(pid)).toBe(true);
  parent.kill(signal);
  await eventually(async () => !alive(pid) || isZombie(pid), 10_000);
});

function isZombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z';
  } catch {
    return true;
  }
}
