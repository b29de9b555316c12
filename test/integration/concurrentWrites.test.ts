/**
 * Concurrent API writes to one profile keep everything, on the real stack: attribute
 * updates, consent writes of different types, device registrations, and a RET written
 * while profile upserts run (after which a commercial SMS is blocked). Each of these lost
 * data on plain FerretDB 1.24 or through Rota's own read-then-write.
 */
import { createECDH } from 'node:crypto';
import { summariseNewest } from '../../consents/applyChanges';
import { formatIysDate } from '../../iys/dates';
import { finalMessage, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('concurrent');
});
afterAll(async () => h?.close());

const HOUR = 3_600_000;
const all = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));
const consent = (status: 'ONAY' | 'RET', agoMs: number) => ({ status, source: 'HS_WEB', consentDate: formatIysDate(Date.now() - agoMs) });

async function stored(externalId: string) {
  const key = await h.db.profileKeys.findOne({ _id: `demo:x:${externalId}` }).lean();
  return (await h.db.profiles.findOne({ _id: key!.profileId }).lean())!;
}

test('10 concurrent attribute updates of one profile: every attribute kept', async () => {
  expect((await h.call('POST', '/v1/profiles', { externalId: 'attrs' })).status).toBe(201);
  const res = await all(10, (i) => h.call('POST', '/v1/profiles', { externalId: 'attrs', attributes: { [`a${i}`]: `v${i}` } }));
  expect(res.map((r) => r.status)).toEqual(Array(10).fill(200));
  const p = await stored('attrs');
  expect(p.attributes).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, `v${i}`])));
});

test('3 concurrent consent writes of different types: all three stored and summarised', async () => {
  expect((await h.call('POST', '/v1/profiles', { externalId: 'types', msisdn: '+905325550001', email: 'types@example.com' })).status).toBe(201);
  const res = await all(3, (i) => h.call('PUT', `/v1/profiles/types/consents/${['MESAJ', 'ARAMA', 'EPOSTA'][i]}`, consent('ONAY', HOUR)));
  expect(res.map((r) => r.status)).toEqual([200, 200, 200]);
  const p = await stored('types');
  expect(Object.keys(p.consents ?? {}).sort()).toEqual(['ARAMA', 'EPOSTA', 'MESAJ']);
  for (const c of Object.values(p.consents!)) expect(c.status).toBe('ONAY');
});

test('3 concurrent device registrations: three devices, and tags that match them', async () => {
  expect((await h.call('POST', '/v1/profiles', { externalId: 'devices' })).status).toBe(201);
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  // A web device is a browser's push subscription: its endpoint is the token, with the keys to encrypt to.
  const web = { token: 'https://push.example/sim-silent-dev-2', platform: 'web', webPush: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: Buffer.alloc(16, 1).toString('base64url') } };
  const bodies = [{ token: 'sim-silent-dev-0', platform: 'ios' }, { token: 'sim-silent-dev-1', platform: 'android' }, web];
  const res = await all(3, (i) => h.call('POST', '/v1/profiles/devices/devices', bodies[i]));
  expect(res.map((r) => r.status).every((s) => s === 200 || s === 201)).toBe(true);
  const p = await stored('devices');
  expect((p.devices ?? []).map((d) => d.token).sort()).toEqual(['https://push.example/sim-silent-dev-2', 'sim-silent-dev-0', 'sim-silent-dev-1']);
  expect(p.deviceTags).toEqual(expect.arrayContaining(['platform:ios', 'platform:android', 'platform:web', 'push']));
});

test('the newest consent wins the summary whatever order writers finish in', async () => {
  expect((await h.call('POST', '/v1/profiles', { externalId: 'order', msisdn: '+905325550002' })).status).toBe(201);
  expect((await h.call('PUT', '/v1/profiles/order/consents/MESAJ', consent('ONAY', 10 * HOUR))).status).toBe(200);
  // One RET (newest) among ONAYs with older dates, all at once: the rules may refuse some as stale, but the summary is the newest stored.
  const dates = [5, 4, 3, 2].map((hours) => hours * HOUR);
  const res = await Promise.all([...dates.map((d) => h.call('PUT', '/v1/profiles/order/consents/MESAJ', consent('ONAY', d))), h.call('PUT', '/v1/profiles/order/consents/MESAJ', consent('RET', HOUR))]);
  expect(res[4]!.body).toMatchObject({ outcome: 'stored' });
  const p = await stored('order');
  expect(p.consents!.MESAJ!.status).toBe('RET');
  const changes = await h.db.consentChanges.find({ appId: 'demo', profileId: p._id, type: 'MESAJ' }).lean();
  const newest = changes.reduce((a, b) => (b.consentDate > a.consentDate ? b : a));
  expect(p.consents!.MESAJ!.changeId).toBe(newest._id);
});

test('a RET written while profile upserts run is kept, and the next commercial SMS is blocked', async () => {
  const n = 8;
  for (let i = 0; i < n; i++) {
    const res = await h.call('POST', '/v1/profiles', { externalId: `ret${i}`, msisdn: `+9053255510${String(i).padStart(2, '0')}`, devices: [{ token: `sim-silent-ret${i}`, platform: 'android' }] });
    expect(res.status).toBe(201);
    expect((await h.call('PUT', `/v1/profiles/ret${i}/consents/MESAJ`, consent('ONAY', 2 * HOUR))).status).toBe(200);
  }
  await all(n, async (i) => {
    const upserts = all(6, (k) => h.call('POST', '/v1/profiles', { externalId: `ret${i}`, attributes: { [`seen${k}`]: k } }));
    const ret = h.call('PUT', `/v1/profiles/ret${i}/consents/MESAJ`, consent('RET', HOUR));
    const [r] = await Promise.all([ret, upserts]);
    expect(r.status).toBe(200);
  });
  for (let i = 0; i < n; i++) {
    const p = await stored(`ret${i}`);
    expect(p.consents!.MESAJ!.status).toBe('RET');
    expect(Object.keys(p.attributes).filter((k) => k.startsWith('seen'))).toHaveLength(6);
  }
  const sent = await all(n, (i) => h.call('POST', '/v1/messages', { to: { externalId: `ret${i}` }, category: 'commercial', push: { title: 'Kampanya', body: '%20 indirim' }, sms: { text: 'Kampanya' }, fallbackAfterSeconds: 1 }));
  for (const s of sent) {
    expect(s.status).toBe(202);
    const msg = await finalMessage(h, s.body.id as string);
    expect(msg.skipped.sms).toMatch(/^consent_ret/);
    expect(h.sms.callsFor(s.body.id as string)).toBe(0);
  }
});

test('a summary written late for an older change does not replace the newer one (also over the old field order)', async () => {
  expect((await h.call('POST', '/v1/profiles', { externalId: 'late', msisdn: '+905325550003' })).status).toBe(201);
  const p = await stored('late');
  const summary = (status: 'ONAY' | 'RET', iso: string, seq: number) => ({ status, recipientType: 'BIREYSEL' as const, consentDate: new Date(iso), recipient: '+905325550003', source: 'HS_WEB', origin: 'api' as const, changeId: `c${seq}`, seq });
  // A summary as stored before: `status` first.
  await h.db.profiles.collection.updateOne({ _id: p._id } as never, { $set: { 'consents.MESAJ': { status: 'ONAY', recipientType: 'BIREYSEL', consentDate: new Date('2026-01-01T00:00:00Z') } } });
  await summariseNewest(h.db, [{ profileId: p._id, type: 'MESAJ', summary: summary('RET', '2026-03-01T00:00:00Z', 2) }]);
  expect((await stored('late')).consents!.MESAJ).toMatchObject({ status: 'RET', seq: 2 });
  // The writer of an older change finishes last.
  await summariseNewest(h.db, [{ profileId: p._id, type: 'MESAJ', summary: summary('ONAY', '2026-02-01T00:00:00Z', 1) }]);
  expect((await stored('late')).consents!.MESAJ).toMatchObject({ status: 'RET', seq: 2 });
  // Same date, later change: it wins.
  await summariseNewest(h.db, [{ profileId: p._id, type: 'MESAJ', summary: summary('ONAY', '2026-03-01T00:00:00Z', 3) }]);
  expect((await stored('late')).consents!.MESAJ).toMatchObject({ status: 'ONAY', seq: 3 });
});
