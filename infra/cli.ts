/**
 * `npm run infra -- prepare`: resolve (and on a fresh machine build) every server binary
 * the stack and the tests need, before jest starts, so builds show their progress and a
 * missing prerequisite is one line instead of a stack trace.
 * `npm run infra -- start`: run only the infrastructure, printing the addresses.
 */
import path from 'node:path';
import { startStack } from './stack';
import { MissingPrerequisiteError, resolveFerretDb, resolveTemporalCli, resolveTimeSkippingServer, toolsDir } from './tools';

async function prepare(): Promise<void> {
  const env = process.env;
  const lines: string[] = [];
  if (!env.TEMPORAL_ADDRESS) {
    const t = await resolveTemporalCli();
    lines.push(t ? `temporal CLI (${t.source}): ${t.path}` : 'temporal CLI: not available; the SDK download will be tried');
  }
  if (!env.MONGODB_URI) {
    const f = await resolveFerretDb();
    lines.push(f ? `FerretDB (${f.source}): ${f.path}` : 'FerretDB: not available; the mongod download will be tried');
  }
  const ts = await resolveTimeSkippingServer();
  lines.push(ts ? `time-skipping test server (${ts.source}): ${ts.path}` : 'time-skipping test server: no Java/Maven; the SDK download will be tried');
  console.log(`rota: tools in ${toolsDir()}\n  ${lines.join('\n  ')}`);
}

async function start(): Promise<void> {
  const stack = await startStack({ dataDir: path.resolve('.rota'), temporalUi: true });
  console.log(stack.description.join('\n'));
  const stop = () => void stack.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const commands: Record<string, () => Promise<void>> = { prepare, start };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error(`usage: infra <${Object.keys(commands).join('|')}>`);
  process.exit(2);
}
command().catch((err: unknown) => {
  console.error(err instanceof MissingPrerequisiteError ? `rota: ${err.message}` : err);
  process.exit(1);
});
