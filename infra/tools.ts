/**
 * Finds or builds the server binaries Rota's embedded stack needs, from the package
 * registries only: the Temporal CLI (dev server) from Go modules, FerretDB from this
 * repo's small Go module, and Temporal's time-skipping test server from Maven.
 *
 * Binaries live in one cache outside the repo, keyed by version, so a second run builds
 * nothing. Resolution order per tool: PATH → cache → build. The caller falls back to the
 * SDK's own downloads when this answers `undefined` (no Go / no Java on the machine).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, chmodSync, renameSync, rmSync } from 'node:fs';
import os, { homedir } from 'node:os';
import path from 'node:path';
import { PUSHDOWN_SOURCE, patchedFerretDbModFile } from './ferretdbPatch';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const FERRETDB_VERSION = '1.24.2';
export const TEST_SERVER_VERSION = '1.38.0';

export type ToolSource = 'path' | 'cache' | 'built';
export interface ResolvedTool {
  path: string;
  source: ToolSource;
}

export function toolsDir(): string {
  return process.env.ROTA_TOOLS_DIR ?? path.join(homedir(), '.cache', 'rota', 'tools');
}

const repoRoot = path.resolve(__dirname, '..');

/** One line a person can act on, instead of a stack trace. */
export class MissingPrerequisiteError extends Error {
  override name = 'MissingPrerequisiteError';
}

function onPath(cmd: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  // Not "absent": the shell itself could not be started (no descriptors or memory left), and that is the error to see.
  if (found.error) throw new Error(`cannot look for ${cmd} on the PATH: ${found.error.message}`, { cause: found.error });
  const p = found.stdout.trim();
  return found.status === 0 && p ? p : undefined;
}

function goVersionOk(): boolean {
  const out = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  const m = /^go(\d+)\.(\d+)/.exec(out.stdout?.trim() ?? '');
  return out.status === 0 && !!m && (Number(m[1]) > 1 || Number(m[2]) >= 25);
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

/** Builds into a temporary folder and renames it into place, so an interrupted build never leaves a half binary in the cache. */
async function buildInto(finalDir: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = `${finalDir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await build(tmp);
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(tmp, finalDir);
}

export async function resolveTemporalCli(): Promise<ResolvedTool | undefined> {
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'path' };
  const dir = path.join(toolsDir(), `temporal-${TEMPORAL_CLI_VERSION}`);
  const bin = path.join(dir, 'temporal');
  if (existsSync(bin)) return { path: bin, source: 'cache' };
  if (!goVersionOk()) return undefined;
  console.log(`rota: building the Temporal CLI ${TEMPORAL_CLI_VERSION} from Go modules (once; a few minutes)…`);
  await buildInto(dir, (tmp) =>
    run('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
      env: { CGO_ENABLED: '0', GOBIN: tmp, GOFLAGS: '-mod=mod' },
    }),
  );
  return { path: bin, source: 'built' };
}

/** The cache key includes a hash of Rota's FerretDB module, so a change to it is rebuilt, not served stale. */
function ferretDbSourceHash(): string {
  const srcDir = path.join(repoRoot, 'infra', 'ferretdb');
  const h = createHash('sha256');
  const files = readdirSync(srcDir).filter((f) => (f.endsWith('.go') && !f.endsWith('_test.go')) || f === 'go.mod' || f === 'go.sum').sort();
  for (const f of files) h.update(f).update(readFileSync(path.join(srcDir, f)));
  h.update('pushdown').update(readFileSync(PUSHDOWN_SOURCE)).update(readFileSync(path.join(__dirname, 'ferretdbPatch.ts')));
  return h.digest('hex').slice(0, 10);
}

export async function resolveFerretDb(): Promise<ResolvedTool | undefined> {
  const dir = path.join(toolsDir(), `ferretdb-${FERRETDB_VERSION}-${ferretDbSourceHash()}`);
  const bin = path.join(dir, 'ferretdb');
  if (existsSync(bin)) return { path: bin, source: 'cache' };
  if (!goVersionOk()) return undefined;
  console.log(`rota: building FerretDB ${FERRETDB_VERSION} from Go modules (once; about two minutes)…`);
  await buildInto(dir, async (tmp) => {
    const env = { CGO_ENABLED: '0' };
    const cwd = path.join(repoRoot, 'infra', 'ferretdb');
    await run('go', ['mod', 'download'], { cwd, env });
    const work = mkdtempSync(path.join(os.tmpdir(), 'rota-ferretdb-src-'));
    try {
      const modFile = patchedFerretDbModFile(work, env);
      await run('go', ['build', '-trimpath', `-modfile=${modFile}`, '-o', path.join(tmp, 'ferretdb'), '.'], { cwd, env });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
  return { path: bin, source: 'built' };
}

/** Answers a wrapper script that execs the Java test server (the SDK SIGKILLs the pid it started, so `exec` matters). */
export async function resolveTimeSkippingServer(): Promise<ResolvedTool | undefined> {
  const dir = path.join(toolsDir(), `temporal-test-server-${TEST_SERVER_VERSION}`);
  const wrapper = path.join(dir, 'temporal-test-server');
  const lib = path.join(dir, 'lib');
  if (existsSync(wrapper) && existsSync(lib) && readdirSync(lib).length > 0) return { path: wrapper, source: 'cache' };
  if (!onPath('java')) return undefined;
  if (!onPath('mvn')) return undefined;
  console.log(`rota: fetching Temporal's time-skipping test server ${TEST_SERVER_VERSION} from Maven (once)…`);
  await buildInto(dir, async (tmp) => {
    await run(
      'mvn',
      ['-q', '-B', 'dependency:copy-dependencies', `-Dtemporal.test.server.version=${TEST_SERVER_VERSION}`, `-DoutputDirectory=${path.join(tmp, 'lib')}`],
      { cwd: path.join(repoRoot, 'infra', 'temporal-test-server') },
    );
    const script = `#!/bin/sh\nexec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '${lib}/*' io.temporal.testserver.TestServer "$@"\n`;
    writeFileSync(path.join(tmp, 'temporal-test-server'), script);
    chmodSync(path.join(tmp, 'temporal-test-server'), 0o755);
  });
  return { path: wrapper, source: 'built' };
}
