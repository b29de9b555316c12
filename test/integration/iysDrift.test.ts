/**
 * The drift report on the real stack: planted disagreements of both kinds between Rota's
 * consents and the İYS simulator's records are found, counted and listed; agreements are not.
 */
import { newProfileId } from '../../lib/ids';
import { eventually, startHarness, type Harness } from '../support/harness';
import { createTestApp, enterSyncMode, iysAt, type TestApp } from '../support/iysSync';

let h: Harness;
let app: TestApp;
beforeAll(async () => {
  h = await startHarness('iysdrift', { iys: { changesLagMs: 0, batchDelayMs: 200 } });
  app = await createTestApp(h, 'drift');
  await enterSyncMode(app);
});
afterAll(async () => h?.close());

const HOUR = 3600_000;
const onay = (ms: number, extra: Record<string, unknown> = {}) => ({ status: 'ONAY', source: 'HS_WEB', consentDate: iysAt(ms), ...extra });
const ret = (ms: number) => ({ status: 'RET', source: 'HS_WEB', consentDate: iysAt(ms) });

async function profile(externalId: string, msisdn: string, consents: [string, Record<string, unknown>][]) {
  expect((await app.call('POST', '/v1/profiles', { externalId, msisdn, email: `${externalId}@example.com` })).status).toBe(201);
  for (const [type, body] of consents) expect((await app.call('PUT', `/v1/profiles/${externalId}/consents/${type}`, body)).status).toBe(200);
}

async function finishedReport(id: string, query = '') {
  return eventually(async () => {
    const res = await app.call('GET', `/v1/iys/drift/${id}${query}`);
    return res.body.status !== 'running' ? res : undefined;
  });
}

test('finds Rota ONAY that İYS does not hold as ONAY, and Rota RET that İYS holds as ONAY; agreements are not listed', async () => {
  const citizen = (recipient: string, type: 'MESAJ' | 'EPOSTA', status: 'ONAY' | 'RET', at: number) => h.iys!.citizen({ recipient, type, status, source: 'IYS_WEB', consentDate: iysAt(at) });
  await profile('only-rota', '+905324440001', [['MESAJ', onay(-2 * HOUR)], ['EPOSTA', onay(-2 * HOUR)]]);
  await profile('ret-in-rota', '+905324440002', [['MESAJ', onay(-3 * HOUR)], ['MESAJ', ret(-2 * HOUR)]]);
  citizen('+905324440002', 'MESAJ', 'ONAY', -HOUR);
  await profile('agree-onay', '+905324440003', [['MESAJ', onay(-2 * HOUR)]]);
  citizen('+905324440003', 'MESAJ', 'ONAY', -HOUR);
  await profile('agree-ret', '+905324440004', [['MESAJ', onay(-3 * HOUR)], ['MESAJ', ret(-2 * HOUR)]]);
  citizen('+905324440004', 'MESAJ', 'RET', -HOUR);
  // İYS keeps TACIR and BIREYSEL apart: a BIREYSEL ONAY there is not the TACIR ONAY Rota holds.
  await profile('tacir', '+905324440005', [['MESAJ', onay(-2 * HOUR, { recipientType: 'TACIR' })]]);
  citizen('+905324440005', 'MESAJ', 'ONAY', -HOUR);

  const started = await app.call('POST', '/v1/iys/drift');
  expect(started.status).toBe(202);
  const report = (await finishedReport(started.body.id)).body;
  expect(report).toMatchObject({ status: 'completed', counts: { rota_onay_iys_not: 3, rota_ret_iys_onay: 1 }, compared: { MESAJ: 5, EPOSTA: 1 }, kind: 'rota_onay_iys_not', page: 0 });
  expect(report.nextPage).toBeUndefined();
  expect(report.differences.map((d: any) => [d.externalId, d.type, d.recipientType, d.recipient, d.rotaStatus]).sort()).toEqual([
    ['only-rota', 'EPOSTA', 'BIREYSEL', 'only-rota@example.com', 'ONAY'],
    ['only-rota', 'MESAJ', 'BIREYSEL', '+905324440001', 'ONAY'],
    ['tacir', 'MESAJ', 'TACIR', '+905324440005', 'ONAY'],
  ]);
  expect(report.differences[0].rotaConsentDate).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

  const rets = (await app.call('GET', `/v1/iys/drift/${started.body.id}?kind=rota_ret_iys_onay`)).body;
  expect(rets.differences).toEqual([expect.objectContaining({ externalId: 'ret-in-rota', type: 'MESAJ', rotaStatus: 'RET', recipient: '+905324440002' })]);
});

test('a long list is read page by page, each difference once', async () => {
  const big = await createTestApp(h, 'driftbig');
  await enterSyncMode(big);
  const n = 520;
  const at = new Date(Date.now() - HOUR);
  // Written directly: what is under test is the report's scan and paging, not 520 API calls.
  await h.db.profiles.collection.insertMany(Array.from({ length: n }, (_, i) => {
    const msisdn = `+90532666${String(i).padStart(4, '0')}`;
    return { _id: newProfileId(big.appId), appId: big.appId, externalId: `big-${i}`, msisdn, attributes: {}, consents: { MESAJ: { status: 'ONAY', recipientType: 'BIREYSEL', consentDate: at, recipient: msisdn } }, createdAt: at, updatedAt: at };
  }) as never[]);
  const started = await big.call('POST', '/v1/iys/drift');
  const first = await eventually(async () => {
    const res = await big.call('GET', `/v1/iys/drift/${started.body.id}`);
    return res.body.status !== 'running' ? res.body : undefined;
  });
  expect(first).toMatchObject({ status: 'completed', counts: { rota_onay_iys_not: n, rota_ret_iys_onay: 0 }, page: 0, nextPage: 1 });
  const second = (await big.call('GET', `/v1/iys/drift/${started.body.id}?page=1`)).body;
  expect(second.nextPage).toBeUndefined();
  const ids = [...first.differences, ...second.differences].map((d: any) => d.externalId);
  expect(first.differences.length).toBeGreaterThan(0);
  expect(ids).toHaveLength(n);
  expect(new Set(ids).size).toBe(n);
  expect((await big.call('GET', `/v1/iys/drift/${started.body.id}?page=2`)).body.differences).toEqual([]);
});

test.each([
  ['/v1/iys/drift/drf_00000000000000000000000000000000?kind=both', 'query.kind'],
  ['/v1/iys/drift/drf_00000000000000000000000000000000?page=-1', 'query.page'],
  ['/v1/iys/drift/report-1', 'params.id'],
])('GET %s is a 400 naming the field', async (path, field) => {
  const res = await app.call('GET', path);
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
});

test('an unknown report is a 404; with İYS off a report is refused with 409', async () => {
  expect((await app.call('GET', '/v1/iys/drift/drf_00000000000000000000000000000000')).status).toBe(404);
  expect((await app.call('PUT', '/v1/iys/settings', { mode: 'off' })).status).toBe(200);
  const res = await app.call('POST', '/v1/iys/drift');
  expect(res.status).toBe(409);
  expect(res.body.error.code).toBe('iys_mode_off');
});
