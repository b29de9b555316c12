/**
 * The exactly-once campaign runs (test/soak/campaign*.soak.ts, and their smaller twins in
 * the main suite): N profiles of which every other device confirms the push, one push → SMS
 * campaign to them, and the checks every such run ends with: the FCM and SMS simulators count
 * one push per device and one SMS per silent recipient (no duplicate, no miss), and the
 * campaign's counts agree with them and with the delivery ledger.
 */
import { campaignSendKey } from '../../campaigns/progress';
import { eventually, type Harness } from './harness';

export const SOAK_CAMPAIGN = 'cx';
/** A soak's own time limit: an hour, or 60 ms a recipient for the long runs (on 2 cores the 100 000 crash and restart runs take 12-13 min each). */
export const soakTimeoutMs = (n: number) => Math.max(60 * 60_000, n * 60);

/** The template, N profiles (even: `delivers-0ms`, odd: `silent`) and the campaign, started. */
export async function startSoakCampaign(h: Harness, n: number): Promise<void> {
  expect((await h.call('POST', '/v1/attributes', { name: 'cohort', type: 'string' })).status).toBe(201);
  const template = { id: 'firsat', name: 'Fırsat', channels: { push: { title: 'Fırsat', body: 'Bugüne özel %15' }, sms: { text: 'Bugüne özel %15 indirim: uygulamaya bak.' } } };
  expect((await h.call('POST', '/v1/templates', template)).status).toBe(201);
  expect((await h.call('POST', '/v1/templates/firsat/publish')).status).toBe(201);
  const at = new Date();
  for (let start = 0; start < n; start += 1000) {
    const docs = Array.from({ length: Math.min(1000, n - start) }, (_, k) => {
      const i = start + k;
      return {
        _id: `demo:prf_cx${String(i).padStart(7, '0')}`, appId: 'demo', externalId: `cx-${i}`, msisdn: `+9053${String(10_000_000 + i)}`, attributes: { cohort: 'cx' },
        devices: [{ token: `sim-${i % 2 === 0 ? 'delivers-0ms' : 'silent'}-cx-${i}`, platform: 'android', pushEnabled: true, updatedAt: at }], createdAt: at, updatedAt: at,
      };
    });
    await h.db.profiles.insertMany(docs);
  }
  const created = await h.call('POST', '/v1/campaigns', {
    id: SOAK_CAMPAIGN, name: 'Dayanıklılık testi', audience: { rule: { attribute: 'cohort', op: 'eq', value: 'cx' } }, channelPlan: 'push_then_sms', fallbackAfterSeconds: 30,
    template: { id: 'firsat' }, category: 'transactional',
  });
  expect(created.status).toBe(201);
  expect((await h.call('POST', `/v1/campaigns/${SOAK_CAMPAIGN}/start`)).body.state).toBe('running');
}

/** How many recipients the campaign has processed so far (0 while the API cannot answer). */
export async function soakProcessed(h: Harness): Promise<number> {
  try {
    const res = await h.call('GET', `/v1/campaigns/${SOAK_CAMPAIGN}`);
    return res.status === 200 ? (res.body.progress.processed as number) : 0;
  } catch {
    return 0;
  }
}

/**
 * The checks at the end: no duplicate, no miss, and counts that agree. A delivering device
 * may get the SMS too, but only when its receipt was not there yet when its page's fallback
 * read them (a receipt is not a promise of time): each page's SMS recipients and the receipts
 * its fallback saw add up to the page.
 */
export async function expectExactlyOnce(h: Harness, n: number): Promise<void> {
  const key = campaignSendKey(SOAK_CAMPAIGN);
  const pushes = h.push.pushes.filter((p) => p.token.includes('-cx-'));
  const perToken = new Map<string, number>();
  for (const p of pushes) perToken.set(p.token, (perToken.get(p.token) ?? 0) + 1);
  expect(perToken.size).toBe(n); // no miss
  expect([...perToken.entries()].filter(([, k]) => k > 1)).toEqual([]); // no duplicate

  const sms = h.sms.messages.filter((m) => m.reference.includes(key));
  const perNumber = new Map<string, number>();
  for (const m of sms) perNumber.set(m.to, (perNumber.get(m.to) ?? 0) + 1);
  expect([...perNumber.entries()].filter(([, k]) => k > 1)).toEqual([]);
  const indexOf = (to: string) => Number(to.slice(-8)) - 10_000_000;
  const silent = [...perNumber.keys()].filter((to) => indexOf(to) % 2 === 1);
  expect(silent.length).toBe(n / 2); // every silent recipient, once
  // A delivering device gets the SMS only if its receipt was not there when its page's fallback read them:
  // per page, the fallback's SMS recipients and the receipts it saw make up the page.
  const late = [...perNumber.keys()].filter((to) => indexOf(to) % 2 === 0);
  const fallbacks = await h.db.campaignBatches.find({ appId: 'demo', campaignId: SOAK_CAMPAIGN, kind: 'fallback' }).lean();
  const pages = Math.ceil(n / 500);
  expect(fallbacks).toHaveLength(pages);
  for (const f of fallbacks) expect({ page: f.batchNo, total: f.recipients + f.receiptsSeen! }).toEqual({ page: f.batchNo, total: Math.min(500, n - f.batchNo * 500) });
  expect(late.length).toBe(n / 2 - fallbacks.reduce((k, f) => k + f.receiptsSeen!, 0));

  // Every delivering device's receipt arrives in the end; each is counted once.
  const ledger = (filter: object) => h.db.deliveries.countDocuments({ appId: 'demo', messageId: key, ...filter });
  // What a failure needs to be read: how the delivering devices' receipts were last answered, and after how many posts.
  const answers = () => {
    const last: Record<string, number> = {};
    let attempts = 0;
    for (const p of pushes) {
      if (!p.token.includes('delivers')) continue;
      const k = p.receipt ? String(p.receipt.httpStatus) : 'unanswered';
      last[k] = (last[k] ?? 0) + 1;
      attempts = Math.max(attempts, p.receipt?.attempts ?? 0);
    }
    return `receipts last answered ${JSON.stringify(last)}, at most ${attempts} posts of one`;
  };
  let onLedger = 0;
  await eventually(async () => (onLedger = await ledger({ channel: 'push', receivedAt: { $exists: true } })) === n / 2, 120_000, 500).catch((err: Error) => {
    throw new Error(`${err.message}: the ledger has ${onLedger} of ${n / 2} receipts; ${answers()}`);
  });
  let seen: { delivered?: number } = {};
  const { progress } = await eventually(async () => {
    const body = (await h.call('GET', `/v1/campaigns/${SOAK_CAMPAIGN}`)).body;
    seen = body.progress;
    return body.progress.delivered === n / 2 ? body : undefined;
  }, 120_000, 500).catch((err: Error) => {
    throw new Error(`${err.message}: the campaign says delivered ${seen.delivered}, the ledger ${n / 2}; ${answers()}`);
  });
  expect(progress).toMatchObject({ audience: n, processed: n, remaining: 0, sent: { push: n, sms: sms.length }, fallbackSms: sms.length, delivered: n / 2 });
  expect(await ledger({ channel: 'push', state: 'sent' })).toBe(n);
  expect(await ledger({ channel: 'sms', state: 'sent' })).toBe(sms.length);
  // A push sent by an attempt that died before recording it is sent again with the same Idempotency-Key (and collapse key).
  const repeats = h.push.callsFor('') - pushes.length;
  console.log(`${n} recipients: ${late.length} delivering devices' receipts came after their page's fallback read them (they got the SMS too); ${repeats} push calls repeated under the same Idempotency-Key; ${answers()}`);
}
