/**
 * Frequency caps and quiet hours on the real stack: the settings API, POST /v1/messages
 * through the message workflow on the Temporal dev server, FerretDB, and the push
 * simulator over HTTP counting what devices received. The deferral's timer is in
 * quietHours.test.ts (time-skipping server).
 */
import { randomUUID } from 'node:crypto';
import { createMessagingActivities } from '../../activities/messaging';
import { capLedgerId, createCapLedger } from '../../gate/capLedger';
import { localDayNumber, wallTime } from '../../gate/localTime';
import { messageDocId } from '../../lib/ids';
import { createPushAdapters } from '../../providers/pushAdapters';
import { createHttpSmsProvider } from '../../providers/sms';
import { saveApiKey } from '../../tenants/apiKeys';
import { messageWorkflowId } from '../../workflows/pushWithSmsFallback';
import { eventually, finalMessage, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('caps');
});
afterAll(async () => h?.close());

const WEEKLY_3 = { frequencyCaps: [{ max: 3, days: 7, channel: 'any' }] };

async function settings(body: unknown) {
  const res = await h.call('PUT', '/v1/settings/delivery', body);
  expect(res.status).toBe(200);
  return res.body;
}

/** A profile whose Android device confirms every push (the simulator's sim-delivers-… token). */
async function profile(externalId: string) {
  const token = `sim-delivers-${externalId}`;
  const res = await h.call('POST', '/v1/profiles', { externalId, devices: [{ token, platform: 'android', timeZone: 'Europe/Istanbul' }] });
  expect(res.status).toBe(201);
  return { token, profileId: `demo:${res.body.id}` as string };
}

async function send(externalId: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
  const res = await h.call('POST', '/v1/messages', { to: { externalId }, category: 'commercial', push: { title: 'Kampanya', body: 'Bugüne özel %20' }, smsFallback: false, fallbackAfterSeconds: 120, ...extra }, headers);
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const pushesTo = (token: string) => h.push.pushes.filter((p) => p.token === token).length;

describe('the settings API', () => {
  test('defaults until set; an admin replaces them, an operator reads them', async () => {
    expect((await h.call('GET', '/v1/settings/delivery')).body).toEqual({ timeZone: 'Europe/Istanbul', frequencyCaps: [], quietHours: null, rateLimits: {} });
    const put = await settings({ timeZone: 'Europe/Berlin', ...WEEKLY_3, quietHours: { start: '22:00', end: '09:00' }, rateLimits: { push: 500, sms: 20 } });
    expect(put).toEqual({ timeZone: 'Europe/Berlin', frequencyCaps: [{ max: 3, days: 7, channel: 'any' }], quietHours: { start: '22:00', end: '09:00', policy: 'defer' }, rateLimits: { push: 500, sms: 20 } });

    const operator = { authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name: 'ops', roles: ['operator'] })}` };
    expect((await h.call('GET', '/v1/settings/delivery', undefined, operator)).body).toEqual(put);
    expect((await h.call('PUT', '/v1/settings/delivery', { timeZone: 'UTC' }, operator)).status).toBe(403);
    const ingest = { authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name: 'sdk', roles: ['ingest'] })}` };
    expect((await h.call('GET', '/v1/settings/delivery', undefined, ingest)).status).toBe(403);
    await settings({});
    expect((await h.call('GET', '/v1/settings/delivery')).body).toEqual({ timeZone: 'Europe/Istanbul', frequencyCaps: [], quietHours: null, rateLimits: {} });
  });

  test('bad settings are a 400 naming the field, and change nothing', async () => {
    await settings(WEEKLY_3);
    for (const [body, path] of [
      [{ timeZone: 'Europe/Nowhere' }, 'body.timeZone'],
      [{ frequencyCaps: [{ max: 3, days: 0 }] }, 'body.frequencyCaps.0.days'],
      [{ frequencyCaps: [{ max: 3, days: 7, channel: 'fax' }] }, 'body.frequencyCaps.0.channel'],
      [{ quietHours: { start: '22:00', end: '22:00' } }, 'body.quietHours.end'],
      [{ quietHours: { start: '9:00', end: '22:00' } }, 'body.quietHours.start'],
      [{ quietHours: { start: '22:00', end: '09:00', policy: 'later' } }, 'body.quietHours.policy'],
      [{ rateLimits: { push: 0 } }, 'body.rateLimits.push'],
      [{ rateLimits: { sms: 2.5 } }, 'body.rateLimits.sms'],
      [{ rateLimits: { fax: 10 } }, 'body.rateLimits'],
    ] as const) {
      const res = await h.call('PUT', '/v1/settings/delivery', body);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
    }
    expect((await h.call('GET', '/v1/settings/delivery')).body.frequencyCaps).toEqual(WEEKLY_3.frequencyCaps);
  });

  test('the OpenAPI document covers the routes', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/settings/delivery'])).toEqual(expect.arrayContaining(['get', 'put']));
    expect(JSON.stringify(doc.paths['/v1/messages'].post)).toContain('overrideCaps');
  });
});

describe('frequency caps', () => {
  beforeAll(async () => {
    await settings(WEEKLY_3);
  });

  test('a fourth commercial send inside a 3-per-7-days cap is skipped with reason frequency_cap', async () => {
    const { token } = await profile('four');
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await finalMessage(h, await send('four')));
    expect(first.map((m) => m.status)).toEqual(['delivered_by_push', 'delivered_by_push', 'delivered_by_push']);
    expect(first.map((m) => m.deliveries[0].decision.reason)).toEqual([1, 2, 3].map((n) => expect.stringContaining(`frequency_cap_ok: ${n} of at most 3 commercial messages per 7 days across channels`)));

    const fourth = await finalMessage(h, await send('four'));
    expect(fourth.status).toBe('skipped');
    expect(fourth.skipped.push).toMatch(/^frequency_cap: at most 3 commercial messages per 7 days across channels; 3 already sent/);
    expect(fourth.deliveries).toEqual([]);
    expect(h.push.callsFor(fourth.id)).toBe(0);
    expect(pushesTo(token)).toBe(3);
  });

  test('ten sends racing for the last slot: exactly one goes out', async () => {
    const { token, profileId } = await profile('race');
    for (let i = 0; i < 2; i++) expect((await finalMessage(h, await send('race'))).status).toBe('delivered_by_push');
    const ids = await Promise.all(Array.from({ length: 10 }, () => send('race')));
    const finals = await Promise.all(ids.map((id) => finalMessage(h, id)));
    expect(finals.filter((m) => m.status === 'delivered_by_push')).toHaveLength(1);
    const refused = finals.filter((m) => m.status === 'skipped');
    expect(refused).toHaveLength(9);
    for (const m of refused) expect(m.skipped.push).toMatch(/^frequency_cap:/);
    // Counted by the device side and by the delivery records.
    expect(pushesTo(token)).toBe(3);
    expect(ids.reduce((n, id) => n + h.push.callsFor(id), 0)).toBe(1);
    expect(await h.db.deliveries.countDocuments({ appId: 'demo', profileId, state: 'sent' })).toBe(3);
  });

  test('transactional messages are exempt: sent over a full cap, and take no slot', async () => {
    const { token, profileId } = await profile('exempt');
    for (let i = 0; i < 3; i++) await finalMessage(h, await send('exempt'));
    const tx = await finalMessage(h, await send('exempt', { category: 'transactional' }));
    expect(tx.status).toBe('delivered_by_push');
    expect(tx.deliveries[0].decision.reason).toBe('push_enabled (transactional: consent-exempt)');
    const ledger = await h.db.capLedgers.findOne({ _id: capLedgerId(profileId) }).lean();
    expect(ledger!.claims.map((c) => c.m)).not.toContain(tx.id);
    expect(pushesTo(token)).toBe(4);
  });

  test('overrideCaps: a 403 naming the field without the operator role; an operator key sends over the cap, counted', async () => {
    const { token } = await profile('override');
    for (let i = 0; i < 3; i++) await finalMessage(h, await send('override'));
    const adminOnly = { authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name: 'settings admin', roles: ['admin'] })}` };
    const refused = await h.call('POST', '/v1/messages', { to: { externalId: 'override' }, category: 'commercial', push: { title: 't', body: 'b' }, overrideCaps: true }, adminOnly);
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual([{ path: 'body.overrideCaps', message: "needs the 'operator' role" }]);
    // The same key may send without the flag (and is capped).
    expect((await finalMessage(h, await send('override', {}, adminOnly))).skipped.push).toMatch(/^frequency_cap:/);

    const operator = { authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name: 'campaign desk', roles: ['operator'] })}` };
    const over = await finalMessage(h, await send('override', { overrideCaps: true }, operator));
    expect(over.status).toBe('delivered_by_push');
    expect(over.deliveries[0].decision.reason).toMatch(/frequency_cap_overridden/);
    expect(pushesTo(token)).toBe(4);
  });

  test('a retried or replayed send takes one slot: the same claim, the same verdict, one push', async () => {
    await settings({ frequencyCaps: [{ max: 1, days: 7, channel: 'any' }] });
    const { token, profileId } = await profile('retried');
    const activities = createMessagingActivities({ db: h.db, pushAdapters: createPushAdapters(h.config, { db: h.db }), sms: createHttpSmsProvider(h.sms.url), receiptSecret: h.config.RECEIPT_SECRET, smsSender: 'ROTA' });
    const message = async () => {
      const messageId = randomUUID();
      const now = new Date();
      await h.db.messages.create({
        _id: messageDocId('demo', messageId), messageId, appId: 'demo', profileId, externalId: 'retried', category: 'commercial',
        push: { title: 't', body: 'b' }, smsFallback: false, requestHash: 'x', fallbackTimeoutMs: 60_000, status: 'accepted', timeline: { accepted: now }, reasons: {},
      });
      return { appId: 'demo', messageId };
    };
    const first = await message();
    expect(await activities.sendPush(first)).toEqual({ sent: true });
    expect(await activities.sendPush(first)).toEqual({ sent: true }); // a retry after the send
    const [a, b] = await Promise.all([activities.sendPush(first), activities.sendPush(first)]); // overlapping attempts
    expect([a.sent, b.sent]).toEqual([true, true]);
    const second = await message();
    expect(await activities.sendPush(second)).toMatchObject({ sent: false, reason: expect.stringMatching(/^frequency_cap:/) });
    expect(await activities.sendPush(second)).toMatchObject({ sent: false, reason: expect.stringMatching(/^frequency_cap:/) });
    const ledger = await h.db.capLedgers.findOne({ _id: capLedgerId(profileId) }).lean();
    expect(ledger!.claims.map((c) => c.m)).toEqual([first.messageId, second.messageId]);
    expect(pushesTo(token)).toBe(1);
    await settings(WEEKLY_3);
  });

  test('the claim itself: 30 concurrent claims (each message twice) for 3 slots admit exactly 3 messages, and both claims of a message agree', async () => {
    const ledger = createCapLedger(h.db);
    const profileId = `demo:prf_claims_${randomUUID().slice(0, 8)}`;
    const day = localDayNumber(Date.now(), 'Europe/Istanbul');
    const rules = [{ max: 3, days: 7, channel: 'any' as const }];
    const messages = Array.from({ length: 15 }, () => randomUUID());
    const claims = [...messages, ...messages].map((messageId) => ledger.claim({ appId: 'demo', profileId, messageId, channel: 'push', day, rules, allRules: rules, override: false }));
    const verdicts = await Promise.all(claims);
    const byMessage = new Map<string, boolean[]>();
    verdicts.forEach((v, i) => byMessage.set(messages[i % 15]!, [...(byMessage.get(messages[i % 15]!) ?? []), v.admitted]));
    expect([...byMessage.values()].filter(([x]) => x)).toHaveLength(3);
    for (const [x, y] of byMessage.values()) expect(x).toBe(y);
  });

  test('old claims are dropped once no window reaches them, and the verdicts of the kept ones stay', async () => {
    const ledger = createCapLedger(h.db);
    const profileId = `demo:prf_old_${randomUUID().slice(0, 8)}`;
    const rules = [{ max: 2, days: 7, channel: 'any' as const }];
    const today = localDayNumber(Date.now(), 'Europe/Istanbul');
    const claim = (messageId: string, day: number) => ledger.claim({ appId: 'demo', profileId, messageId, channel: 'push', day, rules, allRules: rules, override: false });
    for (let i = 0; i < 40; i++) await claim(`old-${i}`, today - 100 + i);
    const recent = [await claim('recent-1', today), await claim('recent-2', today), await claim('recent-3', today)];
    expect(recent.map((v) => v.admitted)).toEqual([true, true, false]);
    const doc = await h.db.capLedgers.findOne({ _id: capLedgerId(profileId) }).lean();
    expect(doc!.claims.every((c) => c.d >= today - 40)).toBe(true);
    expect((await claim('recent-2', today)).admitted).toBe(true);
    expect((await claim('recent-3', today)).admitted).toBe(false);
  });
});

describe('quiet hours on the real stack', () => {
  /** A window from an hour ago to an hour ahead in Istanbul: every send of the test is inside it. */
  function aroundNow() {
    const hour = wallTime(Date.now(), 'Europe/Istanbul').hour;
    const hh = (n: number) => `${String((n + 24) % 24).padStart(2, '0')}:00`;
    return { start: hh(hour - 1), end: hh(hour + 2) };
  }

  test('policy skip: a commercial send is skipped with quiet_hours, a transactional one goes out', async () => {
    await settings({ quietHours: { ...aroundNow(), policy: 'skip' } });
    const { token } = await profile('quietskip');
    const commercial = await finalMessage(h, await send('quietskip'));
    expect(commercial.status).toBe('skipped');
    expect(commercial.skipped.push).toMatch(/^quiet_hours: commercial sends are not made during quiet hours \d\d:00–\d\d:00 in Europe\/Istanbul \(the device's zone; policy skip\)$/);
    const tx = await finalMessage(h, await send('quietskip', { category: 'transactional' }));
    expect(tx.status).toBe('delivered_by_push');
    expect(pushesTo(token)).toBe(1);
  });

  test('policy defer: the message waits on a timer, and shows why', async () => {
    const window = aroundNow();
    await settings({ quietHours: { ...window, policy: 'defer' } });
    const { token } = await profile('quietdefer');
    const id = await send('quietdefer');
    const handle = h.temporal.workflow.getHandle(messageWorkflowId('demo', id));
    const timer = await eventually(async () => (await handle.fetchHistory()).events?.find((e) => e.timerStartedEventAttributes)?.timerStartedEventAttributes);
    expect(Number(timer!.startToFireTimeout?.seconds)).toBeGreaterThan(3600);
    const view = (await h.call('GET', `/v1/messages/${id}`)).body;
    expect(view.status).toBe('accepted');
    expect(view.skipped.push).toMatch(new RegExp(`^quiet_hours: deferred until ${window.end} in Europe/Istanbul`));
    expect(pushesTo(token)).toBe(0);
    await handle.terminate('test done');
    await settings(WEEKLY_3);
  });
});
