/**
 * Exactly once under crashes: a push → SMS campaign to ROTA_CAMPAIGN_CRASH_RECIPIENTS
 * (default 10 000; `npm run test:soak` runs 100 000) shared by three worker processes, one
 * of which is SIGKILLed three times while it runs (a fresh one joining each time). The
 * simulators then count no duplicate and no miss, and the campaign's counts agree with them
 * and with the delivery ledger (test/support/campaignSoak.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { campaignWorkflowId } from '../../workflows/campaignRun';
import { SOAK_CAMPAIGN, expectExactlyOnce, soakProcessed, soakTimeoutMs, startSoakCampaign } from '../support/campaignSoak';
import { eventually, startHarness, type Harness } from '../support/harness';
import { workerProcesses } from '../support/workerProcess';

const N = Number(process.env.ROTA_CAMPAIGN_CRASH_RECIPIENTS ?? 10_000);
const KILLS = 3;
let h: Harness;
const workers = workerProcesses();

beforeAll(async () => {
  h = await startHarness('campaigncrash', { worker: false });
});
afterAll(async () => {
  await workers.killAll();
  await h?.close();
});

test(`${N} recipients, push → SMS, one of 3 workers SIGKILLed ${KILLS} times: no duplicate, no miss, counts that agree`, async () => {
  const pool: ChildProcess[] = [workers.spawn(h), workers.spawn(h), workers.spawn(h)];
  await startSoakCampaign(h, N);

  // Kill the oldest worker as the campaign passes each mark, and start a fresh one in its place.
  for (let k = 1; k <= KILLS; k++) {
    const mark = Math.floor((N * k) / (KILLS + 1));
    await eventually(async () => (await soakProcessed(h)) >= mark, soakTimeoutMs(N), 1000);
    const victim = pool.shift()!;
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    pool.push(workers.spawn(h));
  }
  expect(await h.temporal.workflow.getHandle(campaignWorkflowId('demo', SOAK_CAMPAIGN)).result()).toBe('completed');
  await expectExactlyOnce(h, N);
}, soakTimeoutMs(N));
