/** Child of test/integration/processes.test.ts: starts FerretDB through the launcher, prints its pid, then waits to be killed. */
import { startMongo } from '../../infra/stack';

void (async () => {
  const env = { ...process.env, MONGODB_URI: '' };
  await startMongo({ dataDir: process.argv[2]!, env });
  const { execSync } = await import('node:child_process');
  const pid = execSync(`pgrep -f -- "--sqlite-dir ${process.argv[2]}/ferretdb"`, { encoding: 'utf8' }).trim().split('\n')[0];
  console.log(`FERRETDB_PID=${pid}`);
  setInterval(() => {}, 1000);
})();
