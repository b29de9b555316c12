/**
 * İYS Integrator throughput: an import of 2 × N consent changes (MESAJ and EPOSTA ONAY for
 * N people) through `POST /v1/consents/import`, stored, then sent by the outbox workflow as
 * async batches and answered, against the raw floor: the same consents sent straight to an
 * identical İYS simulator by the İYS client's own batch calls, nothing stored. Both wait
 * for İYS's batch delay (BENCH_IYS_BATCH_DELAY_MS, default 1000; İYS's own is 300 s).
 */
import type { Stack } from '../infra/stack';
import { createIysClient } from '../iys/client';
import type { Consent } from '../iys/consent';
import { formatIysDate } from '../iys/dates';
import { DEFAULT_USER } from '../simulators/iys/options';
import { startIysSimulator } from '../simulators/iys';
// The tests' bulk profile writer: profiles straight into the store, so the benchmark measures consents, not profile creation.
import { seedProfiles } from '../test/support/seedProfiles';
import { startBenchRota } from './benchRota';
import { assignIysBrand } from '../tenants/iysBrands';
import { DEMO_APP_ID } from '../tenants/apiKeys';

const consentsOf = (people: number, consentDate: string): Consent[] =>
  [...Array(people).keys()].flatMap((i) => [
    { recipient: `+90535${String(i).padStart(7, '0')}`, type: 'MESAJ' as const, status: 'ONAY' as const, source: 'HS_WEB' as const, recipientType: 'BIREYSEL' as const, consentDate },
    { recipient: `iysb${i}@example.com`, type: 'EPOSTA' as const, status: 'ONAY' as const, source: 'HS_WEB' as const, recipientType: 'BIREYSEL' as const, consentDate },
  ]);

async function rawFloor(consents: Consent[], batchDelayMs: number): Promise<number> {
  const sim = await startIysSimulator({ batchDelayMs, changesLagMs: 0 });
  const client = createIysClient({
    baseUrl: sim.url, username: DEFAULT_USER.username, password: DEFAULT_USER.password, iysCode: DEFAULT_USER.iysCode, brandCode: DEFAULT_USER.brandCodes[0]!,
    batchFirstPollMs: batchDelayMs, batchPollIntervalMs: 1000,
  });
  const started = performance.now();
  const results = await client.addConsents(consents);
  const ms = performance.now() - started;
  await sim.close();
  if (results.some((r) => r.status !== 'success')) throw new Error('the floor run had failures');
  return ms;
}

export async function benchIysIntegrator(stack: Pick<Stack, 'mongoUri' | 'temporalAddress' | 'smtpUrl'>, people: number, batchDelayMs: number): Promise<string[]> {
  const consentDate = formatIysDate(Date.now() - 3600_000);
  const consents = consentsOf(people, consentDate);
  const floorMs = await rawFloor(consents, batchDelayMs);

  const iys = await startIysSimulator({ batchDelayMs, changesLagMs: 0 });
  const rota = await startBenchRota(stack, 'iys', {
    worker: true,
    env: { IYS_URL: iys.url, IYS_USERNAME: DEFAULT_USER.username, IYS_PASSWORD: DEFAULT_USER.password, IYS_BATCH_FIRST_POLL_SECONDS: String(batchDelayMs / 1000) },
  });
  await seedProfiles(rota.db, 'iysb', people, '+90535');
  // A brand belongs to one app, assigned by the platform administrator (here straight in the database).
  await assignIysBrand(rota.db, DEMO_APP_ID, { iysCode: DEFAULT_USER.iysCode, brandCode: DEFAULT_USER.brandCodes[0]! });
  await rota.call('PUT', '/v1/iys/settings', { mode: 'integrator', iysCode: DEFAULT_USER.iysCode, brandCode: DEFAULT_USER.brandCodes[0] });
  const rows = [...Array(people).keys()].flatMap((i) => [
    { externalId: `iysb-${i}`, type: 'MESAJ', status: 'ONAY', source: 'HS_WEB', consentDate },
    { externalId: `iysb-${i}`, type: 'EPOSTA', status: 'ONAY', source: 'HS_WEB', consentDate },
  ]);

  const started = performance.now();
  const res = await rota.call('POST', '/v1/consents/import', { rows });
  const body = (await res.json()) as { stored: number };
  if (body.stored !== rows.length) throw new Error(`import stored ${body.stored} of ${rows.length}`);
  const storedMs = performance.now() - started;
  while ((await rota.db.iysOutcomes.countDocuments({ appId: 'demo', state: 'delivered' })) < rows.length) await new Promise((r) => setTimeout(r, 500));
  const totalMs = performance.now() - started;
  const violations = iys.violations();
  await rota.stop();
  await iys.close();

  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    `İYS Integrator: ${rows.length} changes (import → outbox → İYS batches of ≤1000), batch delay ${batchDelayMs} ms`,
    `  raw floor (client batch calls, nothing stored)   ${sec(floorMs)}`,
    `  Rota: import stored                             ${sec(storedMs)}`,
    `  Rota: outbox, stored → all answered by İYS      ${sec(totalMs - storedMs)}   ${((totalMs - storedMs) / floorMs).toFixed(1)}x the floor`,
    `  Rota: end to end                                ${sec(totalMs)}   ${(totalMs / floorMs).toFixed(1)}x the floor`,
    `  İYS rate-limit violations: ${violations.byKind.rateLimit}`,
  ];
}
