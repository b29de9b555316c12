/**
 * Exactly once across server restarts: a push → SMS campaign to
 * ROTA_CAMPAIGN_RESTART_RECIPIENTS (default 3 000; `npm run test:soak` runs 100 000) on a
 * Temporal dev server and a FerretDB of this test's own, each stopped and started again once
 * while the campaign runs (same data, same port). Two worker processes are kept running the
 * way a supervisor would: one that exits is started again. The simulators then count no
 * duplicate and no miss, and the campaign's counts agree with them and with the ledger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startMongo, startTemporal } from '../../infra/stack';
import { campaignWorkflowId } from '../../workflows/campaignRun';
import { SOAK_CAMPAIGN, expectExactlyOnce, soakProcessed, soakTimeoutMs, startSoakCampaign } from '../support/campaignSoak';
import { eventually, startHarness, type Harness } from '../support/harness';
import { workerProcesses } from '../support/workerProcess';

const N = Number(process.env.ROTA_CAMPAIGN_RESTART_RECIPIENTS ?? 3_000);
const WORKERS = 2;
let h: Harness;
const workers = workerProcesses();
const dataDir = mkdtempSync(path.join(tmpdir(), 'rota-restart-'));
// No TEMPORAL_ADDRESS or MONGODB_URI: the servers are this test's own.
const options = async () => ({ dataDir, env: {}, ports: { temporal: await freePort(), mongo: await freePort() } });
let opts: Awaited<ReturnType<typeof options>>;
let temporal: Awaited<ReturnType<typeof startTemporal>>;
let mongo: Awaited<ReturnType<typeof startMongo>>;
let supervising = true;
let restartsOfWorkers = 0;

function keepWorkerRunning(): void {
  const w = workers.spawn(h);
  w.once('exit', () => {
    if (!supervising) return;
    restartsOfWorkers++;
    setTimeout(keepWorkerRunning, 1000);
  });
}

beforeAll(async () => {
  opts = await options();
  temporal = await startTemporal(opts);
  mongo = await startMongo(opts);
  h = await startHarness('campaignrestart', { worker: false, servers: { temporalAddress: temporal.address, mongoUri: mongo.address } });
}, 120_000);
afterAll(async () => {
  supervising = false;
  await workers.killAll();
  await h?.close();
  await temporal?.stop();
  await mongo?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

test(`${N} recipients, push → SMS, Temporal and the database each restarted once: no duplicate, no miss, counts that agree`, async () => {
  for (let i = 0; i < WORKERS; i++) keepWorkerRunning();
  await startSoakCampaign(h, N);

  await eventually(async () => (await soakProcessed(h)) >= N / 3, soakTimeoutMs(N), 1000);
  await temporal.stop();
  temporal = await startTemporal(opts);

  await eventually(async () => (await soakProcessed(h)) >= (2 * N) / 3, soakTimeoutMs(N), 1000);
  await mongo.stop();
  mongo = await startMongo(opts);

  expect(await h.temporal.workflow.getHandle(campaignWorkflowId('demo', SOAK_CAMPAIGN)).result()).toBe('completed');
  await expectExactlyOnce(h, N);
  console.log(`campaign restart run: ${N} recipients, ${restartsOfWorkers} worker restarts by the supervisor`);
}, soakTimeoutMs(N));
