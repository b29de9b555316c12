/**
 * The İYS simulator over real HTTP, driven with the official document's request examples
 * and error cases (shared/iys/openapi-v1.json): the statuses and H-codes it gives, the
 * consent state rules, v2 idempotency, delayed batches, the changes feed, rate limits and
 * the violations report, the citizen hook and fault injection.
 */
import { businessDaysAfter, formatIysDate, parseIysDate } from '../../iys/dates';
import { DEFAULT_USER } from '../../simulators/iys/options';
import { startIysSimulator, type IysSimulator } from '../../simulators/iys';

const BRAND = `/sps/${DEFAULT_USER.iysCode}/brands/${DEFAULT_USER.brandCodes[0]}`;
/** A Wednesday, as the document's single-add example is dated that morning. */
const DOC_NOW = '2020-07-08 09:00:00';

async function call(sim: IysSimulator, method: string, path: string, body?: unknown, token?: string, raw?: string) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { ...(body === undefined && raw === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function login(sim: IysSimulator): Promise<{ access_token: string; refresh_token: string }> {
  const res = await call(sim, 'POST', '/oauth2/token', { username: DEFAULT_USER.username, password: DEFAULT_USER.password, grant_type: 'password' });
  expect(res.status).toBe(200);
  return res.body;
}

const codes = (body: any) => (body.errors as { code: string }[]).map((e) => e.code);

/** The document's AddOneConsentRequest example. */
const docConsent = {
  consentDate: '2020-07-08 07:07:07', source: 'HS_CAGRI_MERKEZI', recipient: 'ornekeposta@ornekeposta.com',
  recipientType: 'BIREYSEL', status: 'ONAY', type: 'EPOSTA', retailerCode: 55550127, retailerAccess: [58795354, 30143398],
};

describe('İYS simulator', () => {
  let sim: IysSimulator;
  let token: string;
  beforeAll(async () => {
    sim = await startIysSimulator({ requestsPerSecond: 10_000, tokenRequestsPerHour: 10_000 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    expect((await call(sim, 'POST', '/sim/reset')).status).toBe(200);
    expect((await call(sim, 'POST', '/sim/clock', { now: DOC_NOW })).body.now).toBe(DOC_NOW);
    token = (await login(sim)).access_token;
  });
  const add = (body: unknown, path = `${BRAND}/consents`) => call(sim, 'POST', path, body, token);

  describe('POST /oauth2/token', () => {
    test('password grant by JSON and by form answers as the document shows', async () => {
      const json = await call(sim, 'POST', '/oauth2/token', { username: DEFAULT_USER.username, password: DEFAULT_USER.password, grant_type: 'password' });
      expect(json.body).toMatchObject({ expires_in: 7200, refresh_expires_in: 14400, token_type: 'bearer' });
      expect(json.body.access_token.split('.')).toHaveLength(3);
      const form = await fetch(`${sim.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: DEFAULT_USER.username, password: DEFAULT_USER.password, grant_type: 'password' }).toString(),
      });
      expect(form.status).toBe(200);
      expect(((await form.json()) as any).token_type).toBe('bearer');
    });

    test('a refresh returns a new refresh token and the used one stops working', async () => {
      const first = await login(sim);
      const refreshed = await call(sim, 'POST', '/oauth2/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refresh_token).not.toBe(first.refresh_token);
      const reused = await call(sim, 'POST', '/oauth2/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(reused.status).toBe(400);
      expect(reused.body.error).toBe('invalid_grant');
      expect((await call(sim, 'GET', `${BRAND}/consents/changes`, undefined, refreshed.body.access_token)).status).toBe(204);
    });

    test.each([
      [{ username: 'u', password: 'p' }, 'invalid_request', 'Giriş yöntemi belirtilmemiş.'],
      [{ grant_type: 'client_credentials' }, 'invalid_request', 'Bilinmeyen giriş yöntemi.'],
      [{ grant_type: '' }, 'invalid_grant', 'Giriş yöntemi boş olamaz.'],
      [{ grant_type: 'refresh_token' }, 'invalid_request', 'Yenileme jetonu verilmemiş.'],
      [{ grant_type: 'password', password: 'p' }, 'invalid_request', 'Kullanıcı adı verilmemiş.'],
      [{ grant_type: 'password', username: 'u' }, 'invalid_request', 'Şifre verilmemiş.'],
      [{ grant_type: 'password', username: '', password: 'p' }, 'invalid_grant', 'Kullanıcı adı boş bırakılamaz.'],
      [{ grant_type: 'password', username: DEFAULT_USER.username, password: 'wrong' }, 'invalid_request', 'Kullanıcı kimlik bilgileri geçersiz.'],
    ])('token error %j', async (body, error, description) => {
      const res = await call(sim, 'POST', '/oauth2/token', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error, error_description: description });
    });

    test('a missing or expired token is 401 H351; another brand is 403 H353', async () => {
      expect(codes((await call(sim, 'POST', `${BRAND}/consents`, docConsent)).body)).toEqual(['H351']);
      expect(codes((await call(sim, 'POST', `/sps/${DEFAULT_USER.iysCode}/brands/999/consents`, docConsent, token)).body)).toEqual(['H353']);
      sim.advanceClock(7200_000);
      const expired = await add(docConsent);
      expect([expired.status, codes(expired.body)]).toEqual([401, ['H351']]);
    });
  });

  describe('single add', () => {
    test("the document's example is recorded and read back by the status query", async () => {
      const res = await add(docConsent);
      expect(res.status).toBe(200);
      expect(res.body.transactionId).toMatch(/^[0-9a-f]{64}$/);
      expect(res.body.creationDate.slice(0, 16)).toBe('2020-07-08 09:00');
      const status = await call(sim, 'POST', `${BRAND}/consents/status`, { recipient: 'ornekeposta@ornekeposta.com', recipientType: 'BIREYSEL', type: 'EPOSTA' }, token);
      expect(status.body).toMatchObject({
        consentDate: '2020-07-08 07:07:07', source: 'HS_CAGRI_MERKEZI', recipientType: 'BIREYSEL', status: 'ONAY', type: 'EPOSTA',
        recipient: 'ornekeposta@ornekeposta.com', retailerCode: 55550127, retailerAccessCount: 2, transactionId: res.body.transactionId,
      });
    });

    test.each<[string, Record<string, unknown>, string[], string?]>([
      ['OneConsentRequestMissingType', { type: undefined }, ['H111'], 'type'],
      ['OneConsentRequestMissingSource', { source: undefined }, ['H113'], 'source'],
      ['OneConsentRequestMissingRecipient', { recipient: undefined }, ['H114'], 'recipient'],
      ['OneConsentRequestMissingStatus', { status: undefined }, ['H110'], 'status'],
      ['OneConsentRequestMissingConsentDate', { consentDate: undefined }, ['H112'], 'consentDate'],
      ['OneConsentRequestInvalidType', { type: 'EPOSTAa' }, ['H117'], 'type'],
      ['OneConsentRequestInvalidSource', { source: 'HS_FIZIKSEL_OTAM' }, ['H119'], 'source'],
      ['OneConsentRequestInvalidPhoneNumber', { type: 'MESAJ', recipient: '9055436100000000' }, ['H160', 'H121'], 'recipient'],
      ['OneConsentRequestInvalidStatus', { status: 'ONAYY' }, ['H115'], 'status'],
      ['OneConsentRequestInvalidConsentDate', { consentDate: '2020-15-01 13:35:00' }, ['H157'], 'consentDate'],
      ['OneConsentRequestInvalidConsentDate2', { consentDate: '2015-04-30 23:59:00' }, ['H156'], 'consentDate'],
      ['OneConsentRequestInvalidConsentDate3', { source: 'HS_2015', consentDate: '2020-04-30 23:59:00' }, ['H155'], 'consentDate'],
      ['OneConsentRequestUnacceptableProperty', { unacceptableProperty: 'unacceptableValue' }, ['H118'], 'unacceptableProperty'],
      ['OneConsentRequestInvalidRecipientType', { recipientType: 'TACIRR' }, ['H116'], 'recipientType'],
      ['OneConsentTurkishCharsProblem', { recipient: 'örnek@mail.com' }, ['H120'], 'recipient'],
      ['HS_KARAR_statusError', { source: 'HS_KARAR' }, ['H408'], 'status'],
      ['threeDay', { consentDate: '2020-01-13 13:35:13' }, ['H467'], 'consentDate'],
      ['a future date', { consentDate: '2020-07-08 09:30:00' }, ['H162'], 'consentDate'],
      ['a date not in yyyy-mm-dd hh:mm:ss', { consentDate: '08.07.2020 07:07' }, ['H158'], 'consentDate'],
    ])('422 %s', async (_name, change, expected, location) => {
      const res = await add({ ...docConsent, ...change });
      expect(res.status).toBe(422);
      expect(codes(res.body)).toEqual(expected);
      expect(res.body.errors[0].location).toEqual([location]);
    });

    test('400 answers: H267 for an empty retailerCode, H014 for a body that is not JSON, H085 for one that is not a consent', async () => {
      const empty = await add({ ...docConsent, retailerCode: '' });
      expect([empty.status, codes(empty.body)]).toEqual([400, ['H267']]);
      const notJson = await call(sim, 'POST', `${BRAND}/consents`, undefined, token, '{"recipient":');
      expect([notJson.status, codes(notJson.body)]).toEqual([400, ['H014']]);
      const list = await add([docConsent]);
      expect([list.status, codes(list.body)]).toEqual([400, ['H085']]);
    });
  });

  describe('consent state rules', () => {
    const mail = (status: string, consentDate: string, extra: Record<string, unknown> = {}) =>
      add({ recipient: 'durum@ornek.com', type: 'EPOSTA', source: 'HS_WEB', status, consentDate, ...extra });

    test('the first record cannot be RET (H175); RET on RET is H174; an older date never overwrites a newer one (H178)', async () => {
      expect(codes((await mail('RET', '2020-07-08 08:00:00')).body)).toEqual(['H175']);
      expect((await mail('ONAY', '2020-07-08 08:00:00')).status).toBe(200);
      expect((await mail('ONAY', '2020-07-08 08:10:00')).status).toBe(200); // ONAY again: a re-registration (1.1.0)
      expect(codes((await mail('RET', '2020-07-08 08:05:00')).body)).toEqual(['H178']);
      expect(codes((await mail('ONAY', '2020-07-08 08:10:00')).body)).toEqual(['H178']); // equal date
      expect((await mail('RET', '2020-07-08 08:20:00')).status).toBe(200);
      const again = await mail('RET', '2020-07-08 08:30:00');
      expect([again.status, codes(again.body)]).toEqual([400, ['H174']]);
      expect((await mail('ONAY', '2020-07-08 08:40:00')).status).toBe(200);
      expect((await mail('RET', '2020-07-08 08:50:00', { source: 'HS_KARAR' })).status).toBe(200);
      expect(sim.consents().find((c) => c.recipient === 'durum@ornek.com')).toMatchObject({ status: 'RET', source: 'HS_KARAR', consentDate: '2020-07-08 08:50:00' });
    });

    test('HS_2015 takes only 2015-05-01 00:00:00, and is not subject to the three-business-day rule', async () => {
      expect((await mail('ONAY', '2015-05-01 00:00:00', { source: 'HS_2015' })).status).toBe(200);
    });

    test('a TACIR record may start without date and source; its update needs both (H462, H463)', async () => {
      const tacir = { recipient: '+905321112233', type: 'MESAJ', recipientType: 'TACIR' };
      expect((await add({ ...tacir, status: 'ONAY' })).status).toBe(200);
      expect(codes((await add({ ...tacir, status: 'RET', source: 'HS_WEB' })).body)).toEqual(['H462']);
      expect(codes((await add({ ...tacir, status: 'RET', consentDate: '2020-07-08 08:00:00' })).body)).toEqual(['H463']);
      expect((await add({ ...tacir, status: 'RET', consentDate: '2020-07-08 08:00:00', source: 'HS_WEB' })).status).toBe(200);
    });

    test('three business days: Monday to Thursday is fine, Friday to Thursday is not', async () => {
      await call(sim, 'POST', '/sim/clock', { now: '2020-07-09 10:00:00' }); // a Thursday
      token = (await login(sim)).access_token;
      expect((await add({ ...docConsent, consentDate: '2020-07-06 09:00:00' })).status).toBe(200);
      expect(codes((await add({ ...docConsent, recipient: 'cuma@ornek.com', consentDate: '2020-07-03 18:00:00' })).body)).toEqual(['H467']);
    });

    test('v2 answers a repeated request with the same transactionId; v1 treats it as a new movement', async () => {
      const first = await add(docConsent, `/v2${BRAND}/consents`);
      const second = await add(docConsent, `/v2${BRAND}/consents`);
      expect(second.body).toEqual(first.body);
      expect(sim.movements()).toHaveLength(1);
      expect(codes((await add(docConsent)).body)).toEqual(['H178']);
    });
  });

  describe('async batch add', () => {
    // The document's AddMultipleConsent example, dated inside the three-business-day window, plus a first-time RET.
    const docBatch = [
      { type: 'EPOSTA', source: 'HS_WEB', recipient: 'ornek@adiniz6.com', status: 'ONAY', consentDate: '2020-07-07 09:40:00', recipientType: 'BIREYSEL', retailerAccess: [66438915, 71007289] },
      { type: 'EPOSTA', source: 'HS_WEB', recipient: 'ornek@adiniz7.com', status: 'ONAY', consentDate: '2020-07-07 09:50:00', recipientType: 'TACIR', retailerAccess: [66438915, 71007289] },
      { type: 'MESAJ', source: 'HS_MESAJ', recipient: '+905311333449', status: 'ONAY', consentDate: '2020-07-07 09:55:00', recipientType: 'BIREYSEL', retailerCode: 66438915, retailerAccess: [66438915, 71007289] },
      { type: 'MESAJ', source: 'HS_MESAJ', recipient: '+905311333450', status: 'RET', consentDate: '2020-07-07 09:55:00' },
    ];

    test('202 with a requestId and subRequests; results are empty until the delay has passed, then one per item', async () => {
      const res = await add(docBatch, `${BRAND}/consents/request`);
      expect(res.status).toBe(202);
      expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.subRequests).toHaveLength(4);
      expect(res.body.subRequests[0]).toMatchObject({ recipient: 'ornek@adiniz6.com', subRequestId: expect.any(String), creationDate: expect.stringMatching(/^2020-07-08 09:00/) });
      const path = `${BRAND}/consents/request/${res.body.requestId}`;
      expect((await call(sim, 'GET', path, undefined, token)).body).toEqual([]);
      sim.advanceClock(300_000);
      const results = (await call(sim, 'GET', path, undefined, token)).body;
      expect(results.map((r: any) => r.status)).toEqual(['success', 'success', 'success', 'failure']);
      expect(results[0]).toMatchObject({ index: 0, requestId: res.body.requestId, transactionId: expect.stringMatching(/^[0-9a-f]{64}$/), creationDate: expect.any(String) });
      expect(results[3]).toMatchObject({ index: 3, error: { code: 'H175' } });
      expect(results[3].creationDate).toBeUndefined();
    });

    test('list errors come back at once, by index: H194 duplicates, H091 over 1000, H092 not a list; H198/H199/H400 for bad requestIds', async () => {
      const dup = await add([docBatch[0], { ...docBatch[0], recipient: 'ORNEK@adiniz6.com' }], `${BRAND}/consents/request`);
      expect([dup.status, dup.body.errors[0]]).toEqual([422, expect.objectContaining({ code: 'H194', index: 1 })]);
      const bad = await add([{ ...docBatch[0], type: undefined }, { ...docBatch[2], source: undefined }], `${BRAND}/consents/request`);
      expect(bad.body.errors.map((e: any) => [e.index, e.code])).toEqual([[0, 'H111'], [1, 'H113']]);
      const many = Array.from({ length: 1001 }, (_, i) => ({ ...docBatch[0], recipient: `kisi${i}@ornek.com` }));
      expect(codes((await add(many, `${BRAND}/consents/request`)).body)).toEqual(['H091']);
      expect(codes((await add(docBatch[0], `${BRAND}/consents/request`)).body)).toEqual(['H092']);
      for (const [id, code] of [['a9817bd8-0642-4d8c-946b-cc47d5aac41ab-cc47d5aac41a', 'H198'], ['abcde', 'H199'], ['12345', 'H400']]) {
        expect(codes((await call(sim, 'GET', `${BRAND}/consents/request/${id}`, undefined, token)).body)).toEqual([code]);
      }
    });
  });

  describe('status queries', () => {
    test("multi-status lists only ONAY recipients, as the document's example", async () => {
      for (const [recipient, status] of [['+905054566789', 'ONAY'], ['+905055566790', 'ONAY'], ['+905056566791', 'ONAY']]) {
        expect((await add({ recipient, status, type: 'MESAJ', source: 'HS_MESAJ', consentDate: '2020-07-08 08:00:00' })).status).toBe(200);
      }
      await add({ recipient: '+905054566789', status: 'RET', type: 'MESAJ', source: 'HS_MESAJ', consentDate: '2020-07-08 08:30:00' });
      const res = await call(sim, 'POST', `${BRAND}/consents/BIREYSEL/status/MESAJ`, { recipients: ['+905054566789', '+905055566790', '+905056566791', '+905057000000'] }, token);
      expect(res.body).toEqual({ requestId: expect.any(String), list: ['+905055566790', '+905056566791'] });
    });

    test('multi-status errors: H168, H478, H164, H464, H193', async () => {
      const path = `${BRAND}/consents/BIREYSEL/status/MESAJ`;
      expect(codes((await call(sim, 'POST', path, {}, token)).body)).toEqual(['H168']);
      expect(codes((await call(sim, 'POST', path, { recipients: {} }, token)).body)).toEqual(['H478']);
      expect(codes((await call(sim, 'POST', path, { recipients: [] }, token)).body)).toEqual(['H164']);
      expect(codes((await call(sim, 'POST', path, { recipients: ['test@gmail.com'] }, token)).body)).toEqual(['H464']);
      const dup = await call(sim, 'POST', path, { recipients: ['+905054566789', '+905055566790', '+905056566791', '+905055566791', '+905055566791'] }, token);
      expect(dup.body.errors[0]).toMatchObject({ code: 'H193', location: ['recipients', 4] });
    });

    test('single status: H170 without recipientType, H166 for a long phone; an unknown consent is 404', async () => {
      const path = `${BRAND}/consents/status`;
      expect(codes((await call(sim, 'POST', path, { recipient: 'a@b.com', type: 'EPOSTA' }, token)).body)).toEqual(['H170']);
      expect(codes((await call(sim, 'POST', path, { recipient: '+9055436100000000', type: 'MESAJ', recipientType: 'BIREYSEL' }, token)).body)).toContain('H166');
      expect((await call(sim, 'POST', path, { recipient: 'yok@ornek.com', type: 'EPOSTA', recipientType: 'BIREYSEL' }, token)).status).toBe(404);
    });
  });

  describe('changes feed', () => {
    const changes = (query: string) => call(sim, 'GET', `${BRAND}/consents/changes${query}`, undefined, token);

    test('HS movements show after the 60-minute lag, oldest first, paged by the after cursor; citizen actions under source=IYS', async () => {
      for (let i = 0; i < 5; i++) {
        await add({ recipient: `akis${i}@ornek.com`, type: 'EPOSTA', source: 'HS_WEB', status: 'ONAY', consentDate: '2020-07-08 08:00:00' });
        sim.advanceClock(1000);
      }
      const citizen = await call(sim, 'POST', '/sim/citizen', { recipient: 'akis0@ornek.com', type: 'EPOSTA', status: 'RET', source: 'IYS_MOBIL' });
      expect(citizen.status).toBe(200);
      expect((await changes('?source=HS')).status).toBe(204);
      sim.advanceClock(3_600_000 + 1000);

      const page1 = await changes('?source=HS&limit=2');
      expect(page1.body.list.map((m: any) => m.recipient)).toEqual(['akis0@ornek.com', 'akis1@ornek.com']);
      const last = page1.body.list[1];
      expect(page1.body.after).toBe(`${Math.floor(parseIysDate(last.creationDate)! / 1000)}_${last.transactionId}`);
      const page2 = await changes(`?source=HS&limit=2&after=${page1.body.after}`);
      expect(page2.body.list.map((m: any) => m.recipient)).toEqual(['akis2@ornek.com', 'akis3@ornek.com']);
      const page3 = await changes(`?source=HS&limit=2&after=${page2.body.after}`);
      expect(page3.body.list.map((m: any) => m.recipient)).toEqual(['akis4@ornek.com']);
      expect((await changes(`?source=HS&after=${page3.body.after}`)).status).toBe(204);

      const citizens = await changes(''); // the default source is IYS
      expect(citizens.body.list).toEqual([expect.objectContaining({ recipient: 'akis0@ornek.com', status: 'RET', source: 'IYS_MOBIL', transactionId: citizen.body.transactionId })]);
      expect(sim.consents().find((c) => c.recipient === 'akis0@ornek.com')?.status).toBe('RET');

      sim.advanceClock(7 * 86_400_000);
      token = (await login(sim)).access_token;
      expect((await changes('?source=HS')).status).toBe(204);
    });

    test('H506 for another source, H507 for a limit over 1000', async () => {
      expect(codes((await changes('?source=XYZ')).body)).toEqual(['H506']);
      expect(codes((await changes('?limit=1500')).body)).toEqual(['H507']);
    });
  });

  describe('violations and faults', () => {
    test('client errors are counted by kind, readable over HTTP and from the returned object', async () => {
      await add({ ...docConsent, status: 'ONAYY' });
      await add({ ...docConsent, status: 'RET' });
      await call(sim, 'POST', `${BRAND}/consents`, docConsent);
      const report = (await call(sim, 'GET', '/sim/violations')).body;
      expect(report.byKind).toEqual({ rateLimit: 0, malformed: 1, auth: 1, state: 1, notFound: 0 });
      expect(report.byCode).toEqual({ H115: 1, H175: 1, H351: 1 });
      expect(sim.violations()).toEqual(report);
    });

    test('injected 5xx answers for the next N calls are not client violations', async () => {
      expect((await call(sim, 'POST', '/sim/faults', { status: 503, count: 2 })).status).toBe(200);
      const answers = [await add(docConsent), await add(docConsent), await add(docConsent)];
      expect(answers.map((a) => a.status)).toEqual([503, 503, 200]);
      expect(codes(answers[0]!.body)).toEqual(['H192']);
      expect(sim.violations().total).toBe(0);
    });
  });
});

describe('İYS simulator limits', () => {
  test('more than the per-second limit is 429 H124 with Retry-After, each counted as a violation', async () => {
    const sim = await startIysSimulator({ requestsPerSecond: 3 });
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => call(sim, 'GET', `${BRAND}/consents/changes`)));
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(5);
      expect(codes(limited[0]!.body)).toEqual(['H124']);
      expect(limited[0]!.headers.get('retry-after')).toBe('1');
      expect(sim.violations().byKind.rateLimit).toBe(limited.length);
    } finally {
      await sim.close();
    }
  });

  test('the hourly token quota answers H084, and asking again inside the hour restarts it', async () => {
    const sim = await startIysSimulator({ tokenRequestsPerHour: 2 });
    try {
      await login(sim);
      await login(sim);
      expect(codes((await call(sim, 'POST', '/oauth2/token', { grant_type: 'password' })).body)).toEqual(['H084']);
      sim.advanceClock(3_000_000);
      expect((await call(sim, 'POST', '/oauth2/token', { grant_type: 'password' })).status).toBe(429); // restarted the hour
      sim.advanceClock(3_000_000);
      expect((await call(sim, 'POST', '/oauth2/token', { grant_type: 'password' })).status).toBe(429);
      sim.advanceClock(3_600_000);
      expect((await login(sim)).access_token).toBeTruthy();
      expect(sim.violations().byCode.H084).toBe(3);
    } finally {
      await sim.close();
    }
  });
});

describe('İYS dates (Turkey time)', () => {
  test('format and parse are Europe/Istanbul wall clock, UTC+3', () => {
    expect(formatIysDate(Date.UTC(2020, 7, 18, 8, 50, 17))).toBe('2020-08-18 11:50:17');
    // The document's pull example: cursor 1597740617 is the creationDate 2020-08-18 11:50:17.
    expect(parseIysDate('2020-08-18 11:50:17')).toBe(1597740617_000);
    expect(parseIysDate('2020-02-30 10:00:00')).toBeUndefined();
  });

  test('business days skip weekends and given holidays', () => {
    const at = (d: string) => parseIysDate(`${d} 12:00:00`)!;
    expect(businessDaysAfter(at('2020-07-03'), at('2020-07-08'))).toBe(3);
    expect(businessDaysAfter(at('2020-07-03'), at('2020-07-08'), new Set(['2020-07-06']))).toBe(2);
  });
});
