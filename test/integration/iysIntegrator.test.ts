/**
 * Integrator mode end to end: Rota's API and worker on the real stack, İYS played by the
 * İYS simulator over HTTP. Every stored change reaches İYS through the outbox workflow, in
 * the order it was made for its recipient, through injected 5xx and 429 answers; İYS's
 * refusals are recorded per change and do not hold the recipient's later changes back; a
 * 10 000-row import goes out as batches of at most 1000 with an outcome per change.
 */
import { formatIysDate } from '../../iys/dates';
import { eventually, startHarness, type Harness } from '../support/harness';
import { seedProfiles } from '../support/seedProfiles';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('iysint', { iys: { batchDelayMs: 500, changesLagMs: 0 } });
});
afterAll(async () => h?.close());

const HOUR = 3600_000;
const at = (ms: number) => formatIysDate(Date.now() + ms);
const put = (externalId: string, type: string, status: string, ms: number) =>
  h.call('PUT', `/v1/profiles/${externalId}/consents/${type}`, { status, source: 'HS_WEB', consentDate: at(ms) });
const integrator = { mode: 'integrator', iysCode: 700001, brandCode: 700001 };

/** Each test can run alone (`-t`): the mode is set again, which changes nothing when it is set. */
const useIntegrator = async () => expect((await h.call('PUT', '/v1/iys/settings', integrator)).status).toBe(200);

let numbers = 0;
async function profile(externalId: string): Promise<string> {
  const msisdn = `+90533444${String(numbers++).padStart(4, '0')}`;
  expect((await h.call('POST', '/v1/profiles', { externalId, msisdn })).status).toBe(201);
  return msisdn;
}

/** The statuses İYS received for a recipient and type, in arrival order. */
const arrived = (recipient: string, type = 'MESAJ') => h.iys!.movements().filter((m) => m.recipient === recipient && m.type === type && m.origin === 'HS').map((m) => m.status);

const iysStateOf = async (externalId: string, type = 'MESAJ') => (await h.call('GET', `/v1/profiles/${externalId}/consents`)).body.consents[type].iys;

async function simStats(): Promise<{ faultsInjected: number }> {
  return (await fetch(`${h.iys!.url}/sim/stats`)).json() as Promise<{ faultsInjected: number }>;
}

test('mode off keeps changes pending; switching to integrator sends them (the first load); settings are validated', async () => {
  const msisdn = await profile('ilk-yukleme');
  expect((await put('ilk-yukleme', 'MESAJ', 'ONAY', -HOUR)).status).toBe(200);
  expect(await iysStateOf('ilk-yukleme')).toEqual({ state: 'pending' });

  const bad = await h.call('PUT', '/v1/iys/settings', { mode: 'integrator', iysCode: 700001 });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'body.brandCode' })]);
  expect((await h.call('PUT', '/v1/iys/settings', { mode: 'relay' })).body.error.details[0].path).toBe('body.mode');
  expect((await h.call('GET', '/v1/iys/settings')).body).toMatchObject({ mode: 'off' });

  expect((await h.call('PUT', '/v1/iys/settings', integrator)).status).toBe(200);
  const delivered = await eventually(async () => {
    const iys = await iysStateOf('ilk-yukleme');
    return iys.state === 'delivered' && iys;
  });
  expect(delivered).toMatchObject({ via: 'single', transactionId: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(h.iys!.consents().find((c) => c.recipient === msisdn)).toMatchObject({ status: 'ONAY', transactionId: delivered.transactionId });
  expect((await h.call('GET', '/v1/iys/outbox')).body).toMatchObject({ running: true, totals: { delivered: 1, rejected: 0 } });
});

test('ONAY, RET, ONAY per recipient arrive in that order through 5xx and 429 answers', async () => {
  await useIntegrator();
  const people = ['sira-0', 'sira-1', 'sira-2', 'sira-3'];
  const numbersOf = await Promise.all(people.map(profile));
  const before = (await simStats()).faultsInjected;
  h.iys!.injectFault({ mode: 'error', status: 503, count: 12 });
  for (const p of people) {
    expect((await put(p, 'MESAJ', 'ONAY', -3 * HOUR)).status).toBe(200);
    expect((await put(p, 'MESAJ', 'RET', -2 * HOUR)).status).toBe(200);
  }
  await eventually(async () => (await simStats()).faultsInjected - before >= 12, 60_000);
  h.iys!.injectFault({ mode: 'error', status: 429, retryAfterSec: 1, count: 6 });
  for (const p of people) expect((await put(p, 'MESAJ', 'ONAY', -HOUR)).status).toBe(200);

  for (const msisdn of numbersOf) await eventually(async () => arrived(msisdn).length === 3, 120_000);
  for (const msisdn of numbersOf) expect(arrived(msisdn)).toEqual(['ONAY', 'RET', 'ONAY']);
  for (const p of people) expect(await iysStateOf(p)).toMatchObject({ state: 'delivered' });
  expect((await simStats()).faultsInjected - before).toBe(18);
}, 180_000);

test("İYS's refusals (H178, H174) are recorded on the change, and the recipient's next change still goes out", async () => {
  await useIntegrator();
  const msisdn = await profile('vatandas');
  expect((await put('vatandas', 'MESAJ', 'ONAY', -3 * HOUR)).status).toBe(200);
  await eventually(async () => (await iysStateOf('vatandas')).state === 'delivered');

  // The citizen refuses through the İYS app, dated now: İYS holds a newer record than Rota knows of.
  h.iys!.citizen({ recipient: msisdn, type: 'MESAJ', status: 'RET', source: 'IYS_MOBIL', consentDate: at(-60_000) });
  const refusal = async (status: string, hoursAgo: number) => {
    expect((await put('vatandas', 'MESAJ', status, -hoursAgo * HOUR)).status).toBe(200);
    return eventually(async () => {
      const iys = await iysStateOf('vatandas');
      return iys.state === 'rejected' && iys;
    });
  };
  // Older than İYS's record (H178), then a RET on İYS's RET (H174): answers, recorded, not retried.
  expect(await refusal('ONAY', 2)).toMatchObject({ code: 'H178', via: 'single' });
  expect(await refusal('RET', 1)).toMatchObject({ code: 'H174', via: 'single' });

  expect((await put('vatandas', 'MESAJ', 'ONAY', 0)).status).toBe(200);
  await eventually(async () => (await iysStateOf('vatandas')).state === 'delivered');
  expect(h.iys!.consents().find((c) => c.recipient === msisdn)).toMatchObject({ status: 'ONAY', source: 'HS_WEB' });

  const changes = await h.db.iysOutcomes.find({ appId: 'demo', _id: { $regex: `^demo:MESAJ:\\${msisdn}:` } }).sort({ _id: 1 }).lean();
  expect(changes.map((c) => [c.state, c.code ?? null])).toEqual([['delivered', null], ['rejected', 'H178'], ['rejected', 'H174'], ['delivered', null]]);
}, 120_000);

test('an import of 10 000 rows goes to İYS in batches of at most 1000, each recipient in order, with an outcome per change', async () => {
  await useIntegrator();
  const profiles = 1000;
  await seedProfiles(h.db, 'iysimp', profiles, '+90534');
  const row = (i: number, type: string, status: string, hoursAgo: number) => ({ externalId: `iysimp-${i}`, type, status, source: 'HS_WEB', consentDate: at(-hoursAgo * HOUR) });
  const rows = [];
  for (let i = 0; i < profiles; i++) {
    rows.push(row(i, 'MESAJ', 'ONAY', 6), row(i, 'MESAJ', 'RET', 5), row(i, 'MESAJ', 'ONAY', 4), row(i, 'MESAJ', 'RET', 3), row(i, 'MESAJ', 'ONAY', 2));
    rows.push(row(i, 'EPOSTA', 'ONAY', 6), row(i, 'EPOSTA', 'RET', 5), row(i, 'EPOSTA', 'ONAY', 4));
    rows.push(row(i, 'ARAMA', 'ONAY', 6), row(i, 'ARAMA', 'ONAY', 5));
  }
  const res = await h.call('POST', '/v1/consents/import', { rows });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ stored: 10_000, rejected: 0 });
  expect(res.body.results).toHaveLength(10_000);

  await eventually(async () => (await h.db.iysOutcomes.countDocuments({ appId: 'demo', via: 'batch' })) >= 10_000, 600_000);
  const outcomes = await h.db.iysOutcomes.find({ appId: 'demo', via: 'batch' }).lean();
  expect(outcomes.filter((o) => o.state !== 'delivered')).toEqual([]);
  const batches = await h.db.iysBatches.find({ appId: 'demo' }).lean();
  expect(Math.max(...batches.map((b) => b.changeIds.length))).toBeLessThanOrEqual(1000);
  expect(batches.reduce((n, b) => n + b.changeIds.length, 0)).toBe(10_000);

  for (const i of [0, 517, 999]) {
    expect(arrived(`+90534${String(i).padStart(7, '0')}`)).toEqual(['ONAY', 'RET', 'ONAY', 'RET', 'ONAY']);
    expect(arrived(`iysimp${i}@example.com`, 'EPOSTA')).toEqual(['ONAY', 'RET', 'ONAY']);
  }
  expect(h.iys!.consents().filter((c) => c.recipient.startsWith('+90534'))).toHaveLength(2000);
}, 900_000);
