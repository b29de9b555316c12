/**
 * The consent store on the real stack: İYS rules checked before anything is stored, the
 * ordered change list and the audit log written with each change, the send gate reading
 * the profile's consents through a real message workflow, bulk import, and erasure.
 */
import { formatIysDate, parseIysDate } from '../../iys/dates';
import { ERASED } from '../../profiles/eraseProfile';
import { parseApiKey, saveApiKey } from '../../tenants/apiKeys';
import { finalMessage, startHarness, type Harness } from '../support/harness';
import { seedProfiles } from '../support/seedProfiles';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('consents');
});
afterAll(async () => h?.close());

const HOUR = 3600_000;
/** An İYS-format date `ms` from now (negative: in the past). */
const at = (ms: number) => formatIysDate(Date.now() + ms);
const put = (externalId: string, type: string, body: Record<string, unknown>) => h.call('PUT', `/v1/profiles/${externalId}/consents/${type}`, body);
const onay = (ms = -HOUR) => ({ status: 'ONAY', source: 'HS_WEB', consentDate: at(ms) });
const ret = (ms = -HOUR) => ({ status: 'RET', source: 'HS_WEB', consentDate: at(ms) });

let numbers = 0;
/** A profile with its own phone number (+90532555xxxx) unless `extra` gives one. */
async function profile(externalId: string, extra: Record<string, unknown> = {}) {
  const msisdn = `+90532555${String(numbers++).padStart(4, '0')}`;
  const res = await h.call('POST', '/v1/profiles', { externalId, msisdn, email: `${externalId}@Example.com`, ...extra });
  expect(res.status).toBe(201);
}

/** What the store holds for a profile: its change list, its audit entries, its summary. */
async function stored(externalId: string) {
  const key = await h.db.profileKeys.findOne({ _id: `demo:x:${externalId}` }).lean();
  const profileId = key!.profileId;
  return {
    changes: await h.db.consentChanges.find({ appId: 'demo', profileId }).sort({ _id: 1 }).lean(),
    audit: await h.db.consentAudit.find({ appId: 'demo', profileId }).sort({ at: 1 }).lean(),
    summary: (await h.db.profiles.findOne({ _id: profileId }).lean())!.consents,
  };
}

test('a consent is set and read back in İYS format, ordered and pending for İYS; ISO dates are accepted', async () => {
  await profile('ayse', { msisdn: '+905321234567' });
  const res = await put('ayse', 'MESAJ', onay());
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ outcome: 'stored', consent: { type: 'MESAJ', recipient: '+905321234567', recipientType: 'BIREYSEL', status: 'ONAY', source: 'HS_WEB', origin: 'api', seq: 1, iys: { state: 'pending' } } });
  expect(res.body.consent.consentDate).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

  const iso = new Date(Date.now() - 2 * HOUR);
  iso.setUTCMilliseconds(0);
  expect((await put('ayse', 'EPOSTA', { status: 'ONAY', recipientType: 'TACIR', source: 'HS_EPOSTA', consentDate: iso.toISOString() })).status).toBe(200);

  const read = await h.call('GET', '/v1/profiles/ayse/consents');
  expect(read.status).toBe(200);
  expect(read.body.consents.MESAJ.status).toBe('ONAY');
  // E-mails are stored lower-cased, as İYS stores them; the date shown in Turkey time.
  expect(read.body.consents.EPOSTA).toMatchObject({ recipient: 'ayse@example.com', recipientType: 'TACIR', consentDate: formatIysDate(iso), consentDateIso: iso.toISOString() });

  const { changes, summary } = await stored('ayse');
  expect(changes.map((c) => [c._id, c.seq, c.iys.state])).toEqual([
    ['demo:EPOSTA:ayse@example.com:0000000001', 1, 'pending'],
    ['demo:MESAJ:+905321234567:0000000001', 1, 'pending'],
  ]);
  expect(summary?.MESAJ).toMatchObject({ status: 'ONAY', recipientType: 'BIREYSEL', recipient: '+905321234567', seq: 1 });
});

test.each([
  ['a future consentDate', 'ARAMA', { ...onay(24 * HOUR) }, 'body.consentDate', /future/],
  ['a consentDate more than three business days old', 'ARAMA', onay(-10 * 24 * HOUR), 'body.consentDate', /business days/],
  ['HS_2015 not dated 2015-05-01 00:00:00', 'ARAMA', { status: 'ONAY', source: 'HS_2015', consentDate: '2015-06-01 00:00:00' }, 'body.consentDate', /2015-05-01/],
  ['a date before 2015-05-01', 'ARAMA', { status: 'ONAY', source: 'HS_WEB', consentDate: '2014-01-01 10:00:00' }, 'body.consentDate', /2015-05-01/],
  ['HS_KARAR with ONAY', 'ARAMA', { status: 'ONAY', source: 'HS_KARAR', consentDate: at(-HOUR) }, 'body.status', /HS_KARAR/],
  ['a first record that is RET', 'ARAMA', ret(), 'body.status', /first consent/],
  ['a malformed date', 'ARAMA', { ...onay(), consentDate: '2026-13-01 10:00:00' }, 'body.consentDate', /valid date/],
  ['an unknown status', 'ARAMA', { ...onay(), status: 'RED' }, 'body.status', /./],
  ['an unknown source', 'ARAMA', { ...onay(), source: 'WEB' }, 'body.source', /./],
  ['an unknown type', 'FAKS', onay(), 'params.type', /./],
])('%s is a 400 naming the field, and nothing is written', async (_name, type, body, path, message) => {
  const before = { changes: await h.db.consentChanges.countDocuments({ appId: 'demo' }), audit: await h.db.consentAudit.countDocuments({ appId: 'demo' }) };
  const res = await put('ayse', type, body);
  expect(res.status).toBe(400);
  expect(res.body.error.details).toContainEqual({ path, message: expect.stringMatching(message) });
  expect({ changes: await h.db.consentChanges.countDocuments({ appId: 'demo' }), audit: await h.db.consentAudit.countDocuments({ appId: 'demo' }) }).toEqual(before);
});

test('HS_2015 consents carry their fixed date and are accepted', async () => {
  await profile('eski');
  const res = await put('eski', 'ARAMA', { status: 'ONAY', source: 'HS_2015', consentDate: '2015-05-01 00:00:00' });
  expect(res.status).toBe(200);
});

test('an older consentDate never overwrites a newer one; the same consent again is unchanged; RET on RET is not applied', async () => {
  await profile('mehmet');
  // One body, sent twice: `onay(-2 * HOUR)` called again would be dated by the clock at that call, a second
  // later once a second boundary passes, and a newer ONAY is a change of its own (stored), not the same consent.
  const given = onay(-2 * HOUR);
  expect((await put('mehmet', 'MESAJ', given)).status).toBe(200);
  const stale = await put('mehmet', 'MESAJ', ret(-3 * HOUR));
  expect(stale.status).toBe(409);
  expect(stale.body.error).toMatchObject({ code: 'stale_consent', details: [{ path: 'body.consentDate' }] });
  const again = await put('mehmet', 'MESAJ', given);
  expect(again.status).toBe(200);
  expect(again.body.outcome).toBe('unchanged');
  // The same instant written the other way (ISO-8601) is the same consent too.
  const iso = new Date(parseIysDate(given.consentDate)!).toISOString().replace('.000Z', '+00:00');
  expect((await put('mehmet', 'MESAJ', { ...given, consentDate: iso })).body.outcome).toBe('unchanged');

  expect((await put('mehmet', 'MESAJ', ret(-HOUR))).status).toBe(200);
  const twice = await put('mehmet', 'MESAJ', ret(-HOUR / 2));
  expect(twice.status).toBe(409);
  expect(twice.body.error.code).toBe('already_ret');

  const { changes, audit, summary } = await stored('mehmet');
  expect(changes.map((c) => [c.seq, c.status])).toEqual([[1, 'ONAY'], [2, 'RET']]);
  expect(audit).toHaveLength(2);
  expect(summary?.MESAJ?.status).toBe('RET');
});

test('changes to one number are ordered per number, across the profiles that share it', async () => {
  await profile('paylasan', { msisdn: '+905321234567' });
  const res = await put('paylasan', 'MESAJ', onay(-HOUR / 2));
  expect(res.status).toBe(200);
  expect(res.body.consent.seq).toBe(2); // ayse's consent for this number was the first
});

test('a consent needs the address it is for: no e-mail, no EPOSTA consent', async () => {
  const res = await h.call('POST', '/v1/profiles', { externalId: 'nomail', msisdn: '+905329876543' });
  expect(res.status).toBe(201);
  const put1 = await put('nomail', 'EPOSTA', onay());
  expect(put1.status).toBe(409);
  expect(put1.body.error).toMatchObject({ code: 'no_recipient', details: [{ path: 'params.type' }] });
  expect((await put('nobody', 'MESAJ', onay())).status).toBe(404);
});

describe('the send gate through POST /v1/messages (commercial SMS fallback)', () => {
  const send = async (externalId: string) => {
    const res = await h.call('POST', '/v1/messages', { to: { externalId }, category: 'commercial', push: { title: 'Kampanya', body: '%20 indirim' }, fallbackAfterSeconds: 1 });
    expect(res.status).toBe(202);
    return finalMessage(h, res.body.id as string);
  };

  test('blocked without ONAY, sent with ONAY (the consent used recorded), blocked again after a RET', async () => {
    await profile('gate', { msisdn: '+905321110000', devices: [{ token: 'sim-silent-gate', platform: 'android' }] });
    const without = await send('gate');
    expect(without.status).toBe('not_delivered');
    expect(without.skipped.sms).toMatch(/^no_consent/);
    expect(h.sms.callsFor(without.id)).toBe(0);

    expect((await put('gate', 'MESAJ', onay(-2 * HOUR))).status).toBe(200);
    const withConsent = await send('gate');
    expect(withConsent.status).toBe('sms_sent_after_push_timeout');
    expect(h.sms.callsFor(withConsent.id)).toBe(1);
    const sms = withConsent.deliveries.find((d: { channel: string }) => d.channel === 'sms');
    expect(sms.decision).toMatchObject({ allowed: true, reason: expect.stringMatching(/^consent_onay/), consent: { type: 'MESAJ', status: 'ONAY', recipientType: 'BIREYSEL' } });

    expect((await put('gate', 'MESAJ', ret(-HOUR))).status).toBe(200);
    const afterRet = await send('gate');
    expect(afterRet.status).toBe('not_delivered');
    expect(afterRet.skipped.sms).toMatch(/^consent_ret/);
    expect(h.sms.callsFor(afterRet.id)).toBe(0);
  });

  test('a TACIR recipient gets commercial SMS until RET', async () => {
    await profile('tacir', { msisdn: '+905321110001', devices: [{ token: 'sim-silent-tacir', platform: 'android' }] });
    expect((await put('tacir', 'MESAJ', { ...onay(-2 * HOUR), recipientType: 'TACIR' })).status).toBe(200);
    const sent = await send('tacir');
    expect(sent.status).toBe('sms_sent_after_push_timeout');
    expect(sent.deliveries.find((d: { channel: string }) => d.channel === 'sms').decision.reason).toMatch(/^tacir_not_refused/);
    expect((await put('tacir', 'MESAJ', { ...ret(-HOUR), recipientType: 'TACIR' })).status).toBe(200);
    const blocked = await send('tacir');
    expect(blocked.skipped.sms).toMatch(/^consent_ret/);
  });
});

test('import of 10 000 rows: valid rows stored in order, every row answered by index', async () => {
  const profiles = 1000;
  await seedProfiles(h.db, 'imp', profiles, '+90532');

  const row = (i: number, type: string, status: string, ms: number, source = 'HS_WEB') => ({ externalId: `imp-${i}`, type, status, source, consentDate: at(ms) });
  const rows: Record<string, unknown>[] = [];
  const expected: string[] = [];
  const add = (r: Record<string, unknown>, outcome: string) => (rows.push(r), expected.push(outcome));
  for (let i = 0; i < profiles; i++) {
    add(row(i, 'MESAJ', 'ONAY', -3 * HOUR), 'stored');
    add(row(i, 'EPOSTA', 'ONAY', -3 * HOUR), 'stored');
    add(row(i, 'MESAJ', 'RET', -2 * HOUR), 'stored');
    add(row(i, 'MESAJ', 'ONAY', -HOUR), 'stored');
    add(row(i, 'EPOSTA', 'RET', -HOUR), 'stored');
    add(row(i, 'ARAMA', 'ONAY', -2 * HOUR), 'stored');
    add(row(i, 'ARAMA', 'ONAY', -HOUR), 'stored');
    add(row(i, 'MESAJ', 'ONAY', -4 * HOUR), 'ignored');
    if (i % 2 === 0) add(row(i, 'MESAJ', 'ONAY', 24 * HOUR), 'rejected');
    else add(row(i + 100_000, 'MESAJ', 'ONAY', -HOUR), 'rejected');
    add(i % 2 === 0 ? row(i, 'ARAMA', 'ONAY', -HOUR, 'HS_KARAR') : { ...row(i, 'FAKS', 'ONAY', -HOUR) }, 'rejected');
  }
  expect(rows).toHaveLength(10_000);

  const res = await h.call('POST', '/v1/consents/import', { rows });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ stored: 7000, ignored: 1000, rejected: 2000, unchanged: 0 });
  expect(res.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(expected);
  expect(res.body.results[8]).toMatchObject({ index: 8, outcome: 'rejected', errors: [{ path: 'rows.8.consentDate' }] });
  expect(res.body.results[18]).toMatchObject({ index: 18, outcome: 'rejected', reason: 'not_found', errors: [{ path: 'rows.18.externalId' }] });
  expect(res.body.results[19]).toMatchObject({ index: 19, outcome: 'rejected', errors: [{ path: 'rows.19.type' }] });
  expect(res.body.results[29]).toMatchObject({ index: 29, outcome: 'rejected', errors: [{ path: 'rows.29.status' }] });

  const { changes, audit, summary } = await stored('imp-7');
  expect(changes.filter((c) => c.type === 'MESAJ').map((c) => [c.seq, c.status, c.origin])).toEqual([[1, 'ONAY', 'import'], [2, 'RET', 'import'], [3, 'ONAY', 'import']]);
  expect(audit).toHaveLength(7);
  expect(summary).toMatchObject({ MESAJ: { status: 'ONAY', seq: 3 }, EPOSTA: { status: 'RET', seq: 2 }, ARAMA: { status: 'ONAY', seq: 2 } });

  // The same file again changes nothing: every stored row is now unchanged or stale.
  const again = await h.call('POST', '/v1/consents/import', { rows: rows.slice(0, 80) });
  expect(again.body.stored).toBe(0);
}, 300_000);

test('CSV import with a header; quoted cells; bad rows answered by index', async () => {
  await profile('csv1', { msisdn: '+905321119999' });
  const csv = ['externalId,type,status,recipientType,source,consentDate', `"csv1",MESAJ,ONAY,,HS_WEB,${at(-HOUR)}`, `csv1,EPOSTA,ONAY,BIREYSEL,HS_WEB,"${at(24 * HOUR)}"`, ''].join('\r\n');
  const res = await h.call('POST', '/v1/consents/import', csv, { authorization: `Bearer ${h.apiKey}`, 'content-type': 'text/csv' });
  expect(res.status).toBe(200);
  expect(res.body.results).toEqual([
    { index: 0, outcome: 'stored' },
    { index: 1, outcome: 'rejected', reason: 'invalid_request', errors: [{ path: 'rows.1.consentDate', message: expect.stringMatching(/future/) }] },
  ]);
  const noHeader = await h.call('POST', '/v1/consents/import', 'a,b\n1,2', { authorization: `Bearer ${h.apiKey}`, 'content-type': 'text/csv' });
  expect(noHeader.status).toBe(400);
});

describe('the audit log', () => {
  test('every change with before and after, origin and the API key; paged; compliance only', async () => {
    await profile('zeynep', { msisdn: '+905324440000' });
    await put('zeynep', 'MESAJ', onay(-3 * HOUR));
    await put('zeynep', 'MESAJ', ret(-2 * HOUR));
    await put('zeynep', 'MESAJ', onay(-HOUR));
    const keyId = parseApiKey(h.apiKey)!.id;

    const page1 = await h.call('GET', '/v1/consents/audit?externalId=zeynep&limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.entries).toHaveLength(2);
    expect(page1.body.entries[0]).toMatchObject({ externalId: 'zeynep', type: 'MESAJ', recipient: '+905324440000', after: { status: 'ONAY' }, origin: 'api', actor: { keyId } });
    expect(page1.body.entries[0].before).toBeUndefined();
    expect(page1.body.entries[1]).toMatchObject({ before: { status: 'ONAY' }, after: { status: 'RET' } });
    const page2 = await h.call('GET', `/v1/consents/audit?externalId=zeynep&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.entries.map((e: { after: { status: string } }) => e.after.status)).toEqual(['ONAY']);
    expect(page2.body.nextCursor).toBeUndefined();

    const future = await h.call('GET', `/v1/consents/audit?externalId=zeynep&from=${encodeURIComponent(new Date(Date.now() + HOUR).toISOString())}`);
    expect(future.body.entries).toEqual([]);

    const ingestOnly = await saveApiKey(h.db, { appId: 'demo', name: 'backend', roles: ['ingest'] });
    const auth = { authorization: `Bearer ${ingestOnly}` };
    expect((await h.call('GET', '/v1/consents/audit', undefined, auth)).status).toBe(403);
    expect((await h.call('GET', '/v1/profiles/zeynep/consents', undefined, auth)).status).toBe(403);
    expect((await h.call('PUT', '/v1/profiles/zeynep/consents/ARAMA', onay(), { ...auth, 'content-type': 'application/json' })).status).toBe(200);
    // No route changes or deletes an entry.
    expect((await h.call('DELETE', '/v1/consents/audit')).status).toBe(404);
  });

  test.each([
    ['an out-of-range date', 'WzFlMjAsIngiXQ'], // [1e20,"x"]
    ['a fractional date', Buffer.from('[1.5,"x"]').toString('base64url')],
    ['an empty id', Buffer.from('[0,""]').toString('base64url')],
    ['not JSON', 'bm90IGpzb24'],
    ['not a pair', Buffer.from('{"at":1}').toString('base64url')],
  ])('a cursor holding %s is a 400 naming query.cursor', async (_what, cursor) => {
    const res = await h.call('GET', `/v1/consents/audit?cursor=${cursor}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['query.cursor']);
  });

  test('erasing the profile keeps anonymised entries and the change list goes', async () => {
    await profile('silinecek', { msisdn: '+905327770000', email: 'silinecek@example.com' });
    await put('silinecek', 'MESAJ', onay(-2 * HOUR));
    await put('silinecek', 'MESAJ', ret(-HOUR));
    const { audit } = await stored('silinecek');
    const ids = audit.map((e) => e._id);
    expect(ids).toHaveLength(2);

    expect((await h.call('DELETE', '/v1/profiles/silinecek')).status).toBe(204);
    const kept = await h.db.consentAudit.find({ _id: { $in: ids } }).lean();
    expect(kept).toHaveLength(2);
    for (const e of kept) {
      expect(e).toMatchObject({ recipient: ERASED, externalId: ERASED, profileId: ERASED, changeId: ERASED, after: { recipient: ERASED } });
      expect(JSON.stringify(e)).not.toMatch(/905327770000|silinecek/);
    }
    expect(kept.find((e) => e.before)?.before?.recipient).toBe(ERASED);
    expect(await h.db.consentChanges.countDocuments({ appId: 'demo', recipient: '+905327770000' })).toBe(0);
    expect((await h.call('GET', '/v1/consents/audit?externalId=silinecek')).body.entries).toEqual([]);
  });
});
