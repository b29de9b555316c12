/**
 * Starts the infrastructure Rota runs on (Temporal, a MongoDB-wire server, SMTP), used by
 * `npm run dev` and by the test suite. For each server, in order: an address from the
 * environment, a binary on disk or built from the registries (infra/tools.ts), and last
 * the SDK's / mongodb-memory-server's own download.
 */
import { Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startSmtpSink } from '../simulators/smtpSink';
import { startProcess, waitUntilReady } from './processes';
import { FERRETDB_VERSION, MissingPrerequisiteError, resolveFerretDb, resolveTemporalCli, type ResolvedTool } from './tools';

export interface StackPorts {
  temporal?: number;
  temporalUi?: number;
  mongo?: number;
  smtp?: number;
  smtpApi?: number;
}

export interface StackOptions {
  dataDir: string;
  ports?: StackPorts;
  /** Serve Temporal's web UI (dev) or not (tests). */
  temporalUi?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface Stack {
  temporalAddress: string;
  temporalUiUrl?: string;
  mongoUri: string;
  smtpUrl: string;
  /** Mailpit-shaped HTTP API of the SMTP sink, when Rota runs the sink. */
  smtpApiUrl?: string;
  sources: { temporal: ServerSource; mongo: ServerSource; smtp: ServerSource };
  /** One line per server saying what was used. */
  description: string[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function sourceText(tool: ResolvedTool): string {
  return tool.source === 'built' ? `built now into ${tool.path}` : `${tool.source === 'path' ? 'from PATH' : 'cached'}: ${tool.path}`;
}

/** Where a server came from: an address in the environment, a binary of the tool cache or PATH, Rota itself (SMTP sink), or an SDK download. */
export type ServerSource = 'env' | 'tool' | 'embedded' | 'download';

interface Started {
  source: ServerSource;
  address: string;
  description: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/**
 * A server given a free port (ours, or one it picks itself, like Temporal's HTTP API) can
 * lose it to another process before it binds: start again on new ports, a few times.
 */
async function retryTakenPort(start: () => Promise<Started>, attempts = 3): Promise<Started> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      const log = /see (\S+\.log)/.exec(String(err))?.[1];
      const taken = log !== undefined && existsSync(log) && /address already in use/.test(readFileSync(log, 'utf8'));
      if (!taken || i >= attempts) throw err;
    }
  }
}

async function temporalReady(address: string): Promise<void> {
  const conn = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await conn.workflowService.describeNamespace({ namespace: 'default' });
  } finally {
    await conn.close();
  }
}

export async function startTemporal(opts: StackOptions): Promise<Started> {
  const env = opts.env ?? process.env;
  if (env.TEMPORAL_ADDRESS) {
    return { source: 'env', address: env.TEMPORAL_ADDRESS, description: `Temporal: ${env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS)`, stop: async () => {} };
  }
  const cli = await resolveTemporalCli();
  if (cli) return retryTakenPort(() => startTemporalCli(cli, opts));
  // Last resort: the SDK downloads a dev server (works on a laptop with internet).
  return startTemporalDownload();
}

async function startTemporalCli(cli: ResolvedTool, opts: StackOptions): Promise<Started> {
  const port = opts.ports?.temporal ?? (await freePort());
  const uiPort = opts.ports?.temporalUi ?? (await freePort());
  mkdirSync(opts.dataDir, { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--db-filename', path.join(opts.dataDir, 'temporal.sqlite'),
    '--sqlite-pragma', 'journal_mode=WAL',
    '--sqlite-pragma', 'synchronous=OFF',
    '--log-level', 'warn',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true',
    ...(opts.temporalUi ? ['--ui-port', String(uiPort)] : ['--headless']),
  ];
  const proc = startProcess('temporal', cli.path, args, { logDir: opts.dataDir });
  const address = `127.0.0.1:${port}`;
  await waitUntilReady(proc, 'Temporal dev server', () => temporalReady(address)).catch(async (err: unknown) => {
    await proc.stop();
    throw err;
  });
  return {
    source: 'tool',
    address,
    uiUrl: opts.temporalUi ? `http://127.0.0.1:${uiPort}` : undefined,
    description: `Temporal: dev server (Temporal CLI, ${sourceText(cli)}) at ${address}`,
    stop: () => proc.stop(),
  };
}

async function startTemporalDownload(): Promise<Started> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  try {
    const testEnv = await TestWorkflowEnvironment.createLocal();
    const address = testEnv.address;
    return { source: 'download', address, description: `Temporal: dev server downloaded by the SDK at ${address}`, stop: () => testEnv.teardown() };
  } catch (err) {
    throw new MissingPrerequisiteError(
      `Temporal: set TEMPORAL_ADDRESS, put the temporal CLI on PATH, or install Go >= 1.25 to build it (the SDK download failed: ${String(err)})`,
    );
  }
}

async function mongoReady(uri: string): Promise<void> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 1000 }).asPromise();
  try {
    await conn.db!.admin().ping();
  } finally {
    await conn.close();
  }
}

export async function startMongo(opts: StackOptions): Promise<Started> {
  const env = opts.env ?? process.env;
  if (env.MONGODB_URI) {
    return { source: 'env', address: env.MONGODB_URI, description: `MongoDB: ${env.MONGODB_URI} (MONGODB_URI)`, stop: async () => {} };
  }
  const ferret = await resolveFerretDb();
  if (ferret) return retryTakenPort(() => startFerretDb(ferret, opts, env));
  return startMongoDownload();
}

async function startFerretDb(ferret: ResolvedTool, opts: StackOptions, env: NodeJS.ProcessEnv): Promise<Started> {
  const port = opts.ports?.mongo ?? (await freePort());
  const dir = path.join(opts.dataDir, 'ferretdb');
  // ROTA_FERRETDB_PLAIN=1 runs FerretDB without Rota's front (no per-document atomicity, no `_id` index): only to show what the front fixes.
  const plain = env.ROTA_FERRETDB_PLAIN === '1' ? ['--atomic-writes=false', '--id-index=false'] : [];
  const proc = startProcess('ferretdb', ferret.path, ['--listen-addr', `127.0.0.1:${port}`, '--sqlite-dir', dir, ...plain], { logDir: opts.dataDir });
  const uri = `mongodb://127.0.0.1:${port}/rota`;
  await waitUntilReady(proc, 'FerretDB', () => mongoReady(uri)).catch(async (err: unknown) => {
    await proc.stop();
    throw err;
  });
  return { source: 'tool', address: uri, description: `MongoDB wire: FerretDB ${FERRETDB_VERSION} over SQLite${plain.length ? ' (plain: no atomic writes, no _id index)' : ''} (${sourceText(ferret)}) at ${uri}`, stop: () => proc.stop() };
}

async function startMongoDownload(): Promise<Started> {
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    const server = await MongoMemoryServer.create();
    const uri = server.getUri('rota');
    return { source: 'download', address: uri, description: `MongoDB: mongod from mongodb-memory-server at ${uri}`, stop: async () => void (await server.stop()) };
  } catch (err) {
    throw new MissingPrerequisiteError(
      `MongoDB: set MONGODB_URI, or install Go >= 1.25 to build FerretDB (the mongod download failed: ${String(err)})`,
    );
  }
}

export async function startSmtp(opts: StackOptions): Promise<Started & { apiUrl?: string }> {
  const env = opts.env ?? process.env;
  if (env.SMTP_URL) {
    return { source: 'env', address: env.SMTP_URL, description: `SMTP: ${env.SMTP_URL} (SMTP_URL)`, stop: async () => {} };
  }
  const sink = await startSmtpSink({ smtpPort: opts.ports?.smtp, apiPort: opts.ports?.smtpApi });
  return { source: 'embedded', address: sink.smtpUrl, apiUrl: sink.apiUrl, description: `SMTP: Rota's SMTP sink at ${sink.smtpUrl} (messages at ${sink.apiUrl}/api/v1/messages)`, stop: () => sink.close() };
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const started: Started[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop();
  };
  try {
    // Sequential on purpose: on a cold machine each may build a tool, and two Go builds at once would thrash 2 cores.
    const temporal = await startTemporal(opts);
    started.push(temporal);
    const mongo = await startMongo(opts);
    started.push(mongo);
    const smtp = await startSmtp(opts);
    started.push(smtp);
    return {
      temporalAddress: temporal.address,
      temporalUiUrl: temporal.uiUrl,
      mongoUri: mongo.address,
      smtpUrl: smtp.address,
      smtpApiUrl: smtp.apiUrl,
      sources: { temporal: temporal.source, mongo: mongo.source, smtp: smtp.source },
      description: started.map((s) => s.description),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
