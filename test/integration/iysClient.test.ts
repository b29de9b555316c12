/**
 * The İYS client against the real İYS simulator over HTTP: one login shared by clients
 * (in memory and in MongoDB), refresh with rotation, no rate-limit violations under a
 * burst, retries of what can change, typed final errors sent once, a 2 500-row list in
 * chunks of at most 1000 with a result per row, and the changes feed paged by its cursor.
 */
import { connectDb } from '../../data/db';
import { formatIysDate } from '../../iys/dates';
import { createIysClient, createMemoryTokenStore, createMongoTokenStore, IysError, type IysClientOptions } from '../../iys/client';
import type { Consent } from '../../iys/consent';
import { DEFAULT_USER } from '../../simulators/iys/options';
import { startIysSimulator, type IysSimulator } from '../../simulators/iys';
import { testDbUri } from '../support/testDb';

let sim: IysSimulator;
beforeAll(async () => {
  sim = await startIysSimulator({ batchDelayMs: 200, changesLagMs: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

function client(extra: Partial<IysClientOptions> = {}) {
  return createIysClient({
    baseUrl: sim.url, username: DEFAULT_USER.username, password: DEFAULT_USER.password,
    iysCode: DEFAULT_USER.iysCode, brandCode: DEFAULT_USER.brandCodes[0]!,
    backoffBaseMs: 20, batchFirstPollMs: 300, batchPollIntervalMs: 100, ...extra,
  });
}

/** A consent taken a minute ago, in Turkey time. */
const consent = (recipient: string, status: 'ONAY' | 'RET' = 'ONAY'): Consent => ({
  recipient, type: 'EPOSTA', source: 'HS_WEB', status, consentDate: formatIysDate(Date.now() - 60_000),
});

describe('tokens', () => {
  test('one password grant for many calls, a refresh near expiry (rotating the refresh token), a new token after a 401', async () => {
    let offset = 0;
    const store = createMemoryTokenStore();
    const iys = client({ tokenStore: store, now: () => Date.now() + offset });
    await iys.addConsent(consent('jeton1@ornek.com'));
    await iys.addConsent(consent('jeton2@ornek.com'));
    expect(sim.tokenStats()).toEqual({ passwordGrants: 1, refreshGrants: 0 });
    const first = await store.get();

    offset = 7000_000; // under 5 minutes left on the client's clock
    await iys.consentStatus({ recipient: 'jeton1@ornek.com', recipientType: 'BIREYSEL', type: 'EPOSTA' });
    expect(sim.tokenStats()).toEqual({ passwordGrants: 1, refreshGrants: 1 });
    expect((await store.get())!.refreshToken).not.toBe(first!.refreshToken);

    sim.advanceClock(7300_000); // İYS's clock says the access token expired; the client's does not
    expect(await iys.consentStatus({ recipient: 'jeton2@ornek.com', recipientType: 'BIREYSEL', type: 'EPOSTA' })).toMatchObject({ status: 'ONAY' });
    expect(sim.tokenStats()).toEqual({ passwordGrants: 1, refreshGrants: 2 });
    expect(sim.violations().byCode).toEqual({ H351: 1 });
  });

  test('clients sharing a token store log in once', async () => {
    const store = createMemoryTokenStore();
    const workers = [client({ tokenStore: store }), client({ tokenStore: store }), client({ tokenStore: store })];
    await workers[0]!.addConsent(consent('paylasim0@ornek.com'));
    await Promise.all(workers.map((w, i) => w.addConsent(consent(`paylasim${i + 1}@ornek.com`))));
    expect(sim.tokenStats().passwordGrants).toBe(1);
  });

  test('the MongoDB token store shares one login between workers under {appId}:iys-token', async () => {
    const db = await connectDb(testDbUri('iysTokens'));
    try {
      const a = client({ tokenStore: createMongoTokenStore(db, 'app_iys') });
      const b = client({ tokenStore: createMongoTokenStore(db, 'app_iys') });
      await a.addConsent(consent('mongo1@ornek.com'));
      await b.addConsent(consent('mongo2@ornek.com'));
      expect(sim.tokenStats().passwordGrants).toBe(1);
      const doc = await db.conn.collection<{ _id: string }>('iysTokens').findOne({ _id: 'app_iys:iys-token' });
      expect(doc).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String), accessExpiresAt: expect.any(Number) });
    } finally {
      await db.conn.dropDatabase();
      await db.close();
    }
  });
});

describe('limits and retries', () => {
  test('a burst of 60 calls stays within 10 per second: no rate-limit violation', async () => {
    const iys = client();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => iys.addConsent(consent(`patlama${i}@ornek.com`))));
    expect(new Set(answers.map((a) => a.transactionId)).size).toBe(60);
    expect(sim.violations().total).toBe(0);
  });

  test('5xx, 429 and a timeout are retried; the write happens once', async () => {
    const iys = client({ timeoutMs: 500 });
    await iys.addConsent(consent('tekrar0@ornek.com')); // logged in before the faults
    sim.injectFault({ status: 503, count: 2 });
    await iys.addConsent(consent('tekrar1@ornek.com'));
    sim.injectFault({ status: 429, count: 1, retryAfterSec: 1 });
    await iys.addConsent(consent('tekrar2@ornek.com'));
    sim.injectFault({ mode: 'timeout', count: 1, delayMs: 2000 });
    await iys.addConsent(consent('tekrar3@ornek.com'));
    expect(sim.movements().map((m) => m.recipient)).toEqual(['tekrar0@ornek.com', 'tekrar1@ornek.com', 'tekrar2@ornek.com', 'tekrar3@ornek.com']);
    expect(sim.violations().total).toBe(0);
  });

  test('final errors are typed and sent once: H175 (state), H117 with its field (validation)', async () => {
    const iys = client();
    const first = await iys.addConsent(consent('ret@ornek.com', 'RET')).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(IysError);
    expect(first).toMatchObject({ code: 'H175', retryable: false, status: 400 });
    const invalid = await iys.addConsent({ ...consent('tip@ornek.com'), type: 'FAX' as never }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'H117', retryable: false, status: 422, field: 'type' });
    expect(sim.violations().byCode).toEqual({ H175: 1, H117: 1 });
  });

  test('an H-code answer maps to retryable or not', () => {
    expect(IysError.fromResponse(429, { errors: [{ code: 'H124', message: '…' }] }, '1')).toMatchObject({ retryable: true, retryAfterMs: 1000 });
    expect(IysError.fromResponse(500, { errors: [{ code: 'H101', message: '…' }] }, null).retryable).toBe(true);
    expect(IysError.fromResponse(400, { errors: [{ code: 'H178', message: '…' }] }, null).retryable).toBe(false);
    expect(IysError.fromResponse(403, { errors: [{ 'code:': 'H353', message: '…' }] }, null).code).toBe('H353');
    expect(IysError.fromResponse(400, { error: 'invalid_grant', error_description: '…' }, null)).toMatchObject({ code: 'invalid_grant', retryable: false });
  });
});

describe('batch add', () => {
  test('2 500 rows go in chunks of at most 1000 and come back with one result per row', async () => {
    const iys = client();
    const rows = Array.from({ length: 2500 }, (_, i) => consent(`toplu${i}@ornek.com`));
    rows[10] = consent('toplu10@ornek.com', 'RET'); // a first record cannot be RET: fails at İYS, later
    rows[1500] = { ...consent('gecersiz'), recipient: 'geçersiz@ornek' }; // refused at once (H120), the rest of its chunk goes again
    rows[2400] = { ...rows[5]! }; // the same consent twice: must not share a request

    const { submissions, failed } = await iys.submitBatch(rows);
    expect(submissions.map((s) => s.rows.length)).toEqual([1000, 999, 500]);
    expect(failed).toEqual([expect.objectContaining({ row: 1500, status: 'failure', error: expect.objectContaining({ code: 'H120', field: 'recipient' }) })]);
    const chunkOf = (row: number) => submissions.findIndex((s) => s.rows.includes(row));
    expect(chunkOf(5)).not.toBe(chunkOf(2400));

    const results = [...failed, ...(await Promise.all(submissions.map((s) => iys.batchResults(s)))).flat()].sort((a, b) => a.row - b.row);
    expect(results.map((r) => r.row)).toEqual(rows.map((_, i) => i));
    expect(results.filter((r) => r.status === 'success')).toHaveLength(2498);
    expect(results[10]).toMatchObject({ status: 'failure', error: { code: 'H175', retryable: false } });
    // v2: the repeat of an already recorded consent succeeds with the original's transactionId.
    expect(results[2400]).toEqual({ ...results[5], row: 2400 });
    expect(sim.consents()).toHaveLength(2497);
  });
});

describe('status queries and the changes feed', () => {
  test('multi-status: ONAY recipients only, 1000 per request', async () => {
    const iys = client();
    await iys.addConsent(consent('onay@ornek.com'));
    await iys.addConsent(consent('sonra-ret@ornek.com'));
    sim.citizen({ recipient: 'sonra-ret@ornek.com', type: 'EPOSTA', status: 'RET', source: 'IYS_MOBIL' });
    const asked = ['onay@ornek.com', 'sonra-ret@ornek.com', ...Array.from({ length: 1200 }, (_, i) => `bilinmeyen${i}@ornek.com`), 'onay@ornek.com'];
    expect([...(await iys.approvedRecipients('BIREYSEL', 'EPOSTA', asked))]).toEqual(['onay@ornek.com']);
    expect(await iys.consentStatus({ recipient: 'yok@ornek.com', recipientType: 'BIREYSEL', type: 'EPOSTA' })).toBeUndefined();
  });

  test('the changes feed is paged by its cursor and resumes from it', async () => {
    const iys = client();
    for (let i = 0; i < 5; i++) sim.citizen({ recipient: `vatandas${i}@ornek.com`, type: 'EPOSTA', status: 'ONAY', source: 'IYS_WEB_YENI', citizenName: `Vatandaş ${i}` });
    sim.advanceClock(2000); // a movement shows once its second is over
    const pages = [];
    for await (const page of iys.changes({ limit: 2 })) pages.push(page);
    expect(pages.map((p) => p.list.length)).toEqual([2, 2, 1]);
    // Each once; within one second İYS orders by transactionId.
    expect(pages.flatMap((p) => p.list.map((m) => m.citizenName)).sort()).toEqual(['Vatandaş 0', 'Vatandaş 1', 'Vatandaş 2', 'Vatandaş 3', 'Vatandaş 4']);
    const cursor = pages.at(-1)!.after;
    expect(await iys.pullChanges({ after: cursor })).toEqual({ after: cursor, list: [] });

    sim.citizen({ recipient: 'vatandas0@ornek.com', type: 'EPOSTA', status: 'RET', source: 'IYS_MOBIL' });
    sim.advanceClock(2000);
    const next = await iys.pullChanges({ after: cursor });
    expect(next.list).toEqual([expect.objectContaining({ recipient: 'vatandas0@ornek.com', status: 'RET', source: 'IYS_MOBIL' })]);
    expect(next.after).not.toBe(cursor);
  });
});
