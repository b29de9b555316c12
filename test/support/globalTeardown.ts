import { sumIysViolations } from './iysViolations';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__ROTA_STACK__?.stop();
  const dir = process.env.ROTA_TEST_DATA_DIR;
  if (!dir) return;
  const { total, suites } = sumIysViolations(dir);
  if (suites.length === 0) return;
  console.log(`İYS rate-limit violations by Rota's client across the run: ${total} (${suites.length} suites talked to İYS)`);
  // The acceptance bar: İYS whitelists clients that keep to its limits, so any violation fails the run.
  if (total > 0) throw new Error(`Rota's İYS client broke İYS's rate limits ${total} times: ${JSON.stringify(suites.filter((s) => s.rateLimit > 0))}`);
}
