/** Segments: every rule kind, validation naming the failing node, members, exports, roles and tenant isolation. */
import { startHarness, type Harness } from '../support/harness';

const PLATFORM = 'rota_platfrm1_abcdefghijklmnopqrstuvwxyz12';
let h: Harness;
let otherApp: string;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

beforeAll(async () => {
  h = await startHarness('segments', { worker: false, env: { ROTA_ADMIN_API_KEY: PLATFORM } });
  for (const [name, type, extra] of [['plan', 'string', { allowed: ['free', 'gold'] }], ['score', 'number', {}], ['vip', 'boolean', {}], ['signup', 'date', {}], ['tags', 'stringList', {}], ['city', 'string', {}]] as const) {
    expect((await h.call('POST', '/v1/attributes', { name, type, ...extra })).status).toBe(201);
  }
  const people = [
    { externalId: 'ayse', email: 'ayse@example.com', attributes: { plan: 'gold', score: 80, vip: true, signup: ago(3), tags: ['kadın', 'istanbul'], city: 'İstanbul' }, devices: [{ token: 't-ayse', platform: 'ios' }] },
    { externalId: 'mehmet', msisdn: '05321234567', attributes: { plan: 'free', score: 20, signup: ago(40), city: 'Çanakkale' }, devices: [{ token: 't-mehmet', platform: 'android', pushEnabled: false }] },
    { externalId: 'şule', attributes: { score: 50, tags: ['öğrenci'], city: 'Muğla, Bodrum "merkez"' } },
  ];
  for (const p of people) expect((await h.call('POST', '/v1/profiles', p)).status).toBe(201);
  const buy = (who: string, n: number, daysAgo: number) => Array.from({ length: n }, (_, i) => ({ eventId: `${who}-buy-${daysAgo}-${i}`, name: 'purchase', externalId: who, occurredAt: ago(daysAgo) }));
  expect((await h.call('POST', '/v1/events', { events: [...buy('ayse', 3, 1), ...buy('ayse', 2, 20), ...buy('mehmet', 1, 2)] })).status).toBe(200);
  await h.db.profiles.updateOne({ appId: 'demo', externalId: 'ayse' }, { $set: { consents: { MESAJ: { status: 'ONAY', recipientType: 'BIREYSEL', consentDate: new Date() } } } });

  const other = await h.call('POST', '/v1/apps', { id: 'other', name: 'Other' }, bearer(PLATFORM));
  otherApp = other.body.adminKey;
  await h.call('POST', '/v1/attributes', { name: 'plan', type: 'string' }, bearer(otherApp));
  await h.call('POST', '/v1/profiles', { externalId: 'ayse', attributes: { plan: 'gold' } }, bearer(otherApp));
  await h.call('POST', '/v1/events', { eventId: 'o-1', name: 'purchase', externalId: 'ayse' }, bearer(otherApp));
});
afterAll(async () => h?.close());

async function members(rule: unknown): Promise<string[]> {
  const res = await h.call('POST', '/v1/segments/preview', { rule, sample: 100 });
  expect(res.status).toBe(200);
  expect(res.body.sample).toHaveLength(res.body.count);
  return res.body.sample.map((p: { externalId: string }) => p.externalId).sort();
}

test.each([
  ['eq', { attribute: 'plan', op: 'eq', value: 'gold' }, ['ayse']],
  ['ne includes profiles without the attribute', { attribute: 'plan', op: 'ne', value: 'gold' }, ['mehmet', 'şule']],
  ['in', { attribute: 'plan', op: 'in', values: ['gold', 'free'] }, ['ayse', 'mehmet']],
  ['nin', { attribute: 'plan', op: 'nin', values: ['gold'] }, ['mehmet', 'şule']],
  ['range', { attribute: 'score', op: 'between', values: [20, 50] }, ['mehmet', 'şule']],
  ['gt', { attribute: 'score', op: 'gt', value: 50 }, ['ayse']],
  ['exists', { attribute: 'vip', op: 'exists' }, ['ayse']],
  ['notExists', { attribute: 'plan', op: 'notExists' }, ['şule']],
  ['contains on a list', { attribute: 'tags', op: 'contains', value: 'öğrenci' }, ['şule']],
  ['contains in a string (Turkish letters)', { attribute: 'city', op: 'contains', value: 'İst' }, ['ayse']],
  ['contains takes regex characters literally', { attribute: 'city', op: 'contains', value: '.*' }, []],
  ['contains with quotes and a comma', { attribute: 'city', op: 'contains', value: ', Bodrum "m' }, ['şule']],
  ['contains up to the pattern limit', { attribute: 'city', op: 'contains', value: 'x'.repeat(100) }, []],
  ['absolute date', { attribute: 'signup', op: 'gte', value: ago(10) }, ['ayse']],
  ['relative date', { attribute: 'signup', op: 'withinLastDays', days: 7 }, ['ayse']],
  ['older than', { attribute: 'signup', op: 'moreThanDaysAgo', days: 30 }, ['mehmet']],
  ['at least 3 purchases in 7 days', { event: 'purchase', op: 'atLeast', count: 3, withinDays: 7 }, ['ayse']],
  ['at least 5 purchases ever', { event: 'purchase', op: 'atLeast', count: 5 }, ['ayse']],
  ['exactly 1 purchase in 7 days', { event: 'purchase', op: 'exactly', count: 1, withinDays: 7 }, ['mehmet']],
  ['at most 1 purchase in 30 days', { event: 'purchase', op: 'atMost', count: 1, withinDays: 30 }, ['mehmet', 'şule']],
  ['never purchased', { event: 'purchase', op: 'never' }, ['şule']],
  ['has any device', { device: {} }, ['ayse', 'mehmet']],
  ['push-enabled device', { device: { pushEnabled: true } }, ['ayse']],
  ['android device', { device: { platform: 'android' } }, ['mehmet']],
  ['push-enabled android device', { device: { platform: 'android', pushEnabled: true } }, []],
  ['MESAJ consent', { consent: { type: 'MESAJ' } }, ['ayse']],
  ['has a phone number', { channel: 'msisdn' }, ['mehmet']],
  ['and', { and: [{ attribute: 'score', op: 'gte', value: 20 }, { device: {} }] }, ['ayse', 'mehmet']],
  ['or', { or: [{ attribute: 'plan', op: 'eq', value: 'free' }, { event: 'purchase', op: 'never' }] }, ['mehmet', 'şule']],
  ['not', { not: { event: 'purchase', op: 'atLeast', count: 1, withinDays: 7 } }, ['şule']],
])('%s', async (_name, rule, expected) => {
  expect(await members(rule)).toEqual(expected);
});

test.each([
  ['unknown attribute', { attribute: 'shoe', op: 'eq', value: 1 }, 'body.rule.attribute'],
  ['wrong value type', { and: [{ device: {} }, { attribute: 'score', op: 'gt', value: 'high' }] }, 'body.rule.and.1.value'],
  ['value not allowed', { attribute: 'plan', op: 'eq', value: 'platinum' }, 'body.rule.value'],
  ['operator not for the type', { attribute: 'vip', op: 'gt', value: true }, 'body.rule.op'],
  ['between needs two values', { attribute: 'score', op: 'between', values: [1] }, 'body.rule.values'],
  ['missing count', { event: 'purchase', op: 'atLeast' }, 'body.rule.count'],
  ['unknown rule', { or: [{ shoe: 1 }] }, 'body.rule.or.0'],
  ['empty and', { and: [] }, 'body.rule.and'],
  ['bad platform', { device: { platform: 'symbian' } }, 'body.rule.device.platform'],
  ['bad consent type', { consent: { type: 'FAX' } }, 'body.rule.consent.type'],
  ['an empty attribute name', { attribute: '' }, 'body.rule.attribute'],
  ['an empty attribute name and an operator', { attribute: '', op: 'eq', value: 'x' }, 'body.rule.attribute'],
  ['an attribute name that is no field name', { and: [{ device: {} }, { attribute: 'a.b', op: 'exists' }] }, 'body.rule.and.1.attribute'],
  ['an empty event name', { event: '', op: 'never' }, 'body.rule.event'],
  ['an unknown operator', { attribute: 'score', op: 'approximately', value: 1 }, 'body.rule.op'],
  ['an operator of another kind of leaf', { event: 'purchase', op: 'eq', count: 1 }, 'body.rule.op'],
  ['an object where a string goes', { attribute: 'city', op: 'eq', value: { $ne: null } }, 'body.rule.value'],
  ['a list inside a list of values', { attribute: 'score', op: 'in', values: [1, [2]] }, 'body.rule.values.1'],
  ['a count that is not a number', { event: 'purchase', op: 'atLeast', count: '3' }, 'body.rule.count'],
  ['a contains pattern past its limit', { attribute: 'city', op: 'contains', value: 'x'.repeat(101) }, 'body.rule.value'],
  ['more contains conditions than a rule may have', { or: Array.from({ length: 11 }, (_, i) => ({ attribute: 'city', op: 'contains', value: `c${i}` })) }, 'body.rule.or.10'],
  ['more than 100 conditions', { or: Array.from({ length: 101 }, () => ({ channel: 'email' })) }, 'body.rule.or.100'],
])('a rule with %s is a 400 naming the failing node, and nothing is saved', async (_name, rule, path) => {
  const preview = await h.call('POST', '/v1/segments/preview', { rule });
  expect(preview.status).toBe(400);
  expect(preview.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  const save = await h.call('POST', '/v1/segments', { name: 'bad', rule });
  expect(save.status).toBe(400);
  expect(await h.db.segments.countDocuments({ appId: 'demo' })).toBe(0);
});

test('a saved segment counts, pages and exports the same members, as NDJSON and as CSV with Turkish letters intact', async () => {
  const saved = await h.call('POST', '/v1/segments', { id: 'everyone-scored', name: 'Puanı olanlar', rule: { attribute: 'score', op: 'exists' } });
  expect(saved.status).toBe(201);
  expect((await h.call('POST', '/v1/segments', { id: 'everyone-scored', name: 'again', rule: { channel: 'email' } })).status).toBe(409);
  const count = await h.call('GET', '/v1/segments/everyone-scored/count');
  expect(count.body.count).toBe(3);

  const first = await h.call('GET', '/v1/segments/everyone-scored/members?limit=2');
  expect(first.body.members).toHaveLength(2);
  const second = await h.call('GET', `/v1/segments/everyone-scored/members?limit=2&after=${first.body.next}`);
  expect(second.body.members).toHaveLength(1);
  expect(second.body.next).toBeUndefined();
  const paged = [...first.body.members, ...second.body.members].map((p: { externalId: string }) => p.externalId).sort();
  expect(paged).toEqual(['ayse', 'mehmet', 'şule']);

  const ndjson = await fetch(`${h.api.url}/v1/segments/everyone-scored/export`, { headers: bearer(h.apiKey) });
  expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
  const lines = (await ndjson.text()).trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((p) => p.externalId).sort()).toEqual(paged);

  const csv = await fetch(`${h.api.url}/v1/segments/everyone-scored/export?format=csv`, { headers: bearer(h.apiKey) });
  expect(csv.headers.get('content-type')).toContain('text/csv');
  const bytes = Buffer.from(await csv.arrayBuffer());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = bytes.toString('utf8');
  expect(text).toContain('şule');
  expect(text).toContain('Çanakkale');
  expect(text).toContain('"Muğla, Bodrum ""merkez"""');
  expect(text.split('\r\n')[0]).toBe('\uFEFFid,externalId,email,msisdn,anonymousIds,city,plan,score,signup,tags,vip');
  expect(text.trim().split('\r\n')).toHaveLength(4);

  expect((await h.call('GET', '/v1/segments')).body.segments.map((s: { id: string }) => s.id)).toEqual(['everyone-scored']);
  expect((await h.call('DELETE', '/v1/segments/everyone-scored')).status).toBe(204);
  expect((await h.call('GET', '/v1/segments/everyone-scored/count')).status).toBe(404);
});

test("an app's segments never count another app's profiles, and its keys cannot read them", async () => {
  const rule = { and: [{ attribute: 'plan', op: 'eq', value: 'gold' }, { event: 'purchase', op: 'atLeast', count: 1 }] };
  expect(await members(rule)).toEqual(['ayse']);
  const other = await h.call('POST', '/v1/segments/preview', { rule }, bearer(otherApp));
  expect(other.body.count).toBe(1);
  expect(other.body.sample[0].id).not.toBe((await h.call('GET', '/v1/profiles/ayse')).body.id);
  await h.call('POST', '/v1/segments', { id: 'golds', name: 'Gold', rule }, bearer(otherApp));
  expect((await h.call('GET', '/v1/segments/golds/count')).status).toBe(404);
});

test('a key without the designer role gets 403', async () => {
  const ingest = await h.call('POST', '/v1/keys', { name: 'sdk', roles: ['ingest'] }, bearer(otherApp));
  const res = await h.call('POST', '/v1/segments/preview', { rule: { channel: 'email' } }, bearer(ingest.body.key));
  expect(res.status).toBe(403);
});
