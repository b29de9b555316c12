/** Bad input gets a 4xx naming the field, a missing or wrong key a 401, a missing role a 403, and none of them writes anything. */
import { saveApiKey } from '../../tenants/apiKeys';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('validation', { worker: false });
  const seeded = await h.call('POST', '/v1/profiles', { externalId: 'known', msisdn: '+905321234567', devices: [{ token: 'sim-silent-known', platform: 'ios' }] });
  expect(seeded.status).toBe(201);
});
afterAll(async () => h?.close());

async function counts() {
  return {
    profiles: await h.db.profiles.countDocuments({ appId: 'demo' }),
    messages: await h.db.messages.countDocuments({ appId: 'demo' }),
    deliveries: await h.db.deliveries.countDocuments({ appId: 'demo' }),
    known: await h.db.profiles.findOne({ appId: 'demo', externalId: 'known' }).lean(),
  };
}

const profileCases: [string, unknown, string][] = [
  ['missing externalId', { msisdn: '+905321234567' }, 'body.externalId'],
  ['bad phone number', { externalId: 'known', msisdn: '12345' }, 'body.msisdn'],
  ['bad e-mail', { externalId: 'known', email: 'not-an-email' }, 'body.email'],
  ['unknown platform', { externalId: 'known', devices: [{ token: 'x', platform: 'symbian' }] }, 'body.devices.0.platform'],
  ['bad time zone', { externalId: 'known', devices: [{ token: 'x', platform: 'ios', timeZone: 'Mars/Olympus' }] }, 'body.devices.0.timeZone'],
  ['unknown field', { externalId: 'known', shoeSize: 42 }, 'body'],
  ['wrong type', { externalId: 12 }, 'body.externalId'],
];

test.each(profileCases)('POST /v1/profiles, %s: 400 naming %s, nothing written', async (_name, body, path) => {
  const before = await counts();
  const res = await h.call('POST', '/v1/profiles', body);
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_request');
  expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  expect(await counts()).toEqual(before);
});

const messageCases: [string, unknown, string][] = [
  ['missing recipient', { push: { title: 't', body: 'b' } }, 'body.to'],
  ['missing push content', { to: { externalId: 'known' } }, 'body.push'],
  ['empty title', { to: { externalId: 'known' }, push: { title: '', body: 'b' } }, 'body.push.title'],
  ['unknown category', { to: { externalId: 'known' }, push: { title: 't', body: 'b' }, category: 'spam' }, 'body.category'],
  ['fallback too long', { to: { externalId: 'known' }, push: { title: 't', body: 'b' }, fallbackAfterSeconds: 9_999_999 }, 'body.fallbackAfterSeconds'],
  ['fallback not a number', { to: { externalId: 'known' }, push: { title: 't', body: 'b' }, fallbackAfterSeconds: 'soon' }, 'body.fallbackAfterSeconds'],
];

test.each(messageCases)('POST /v1/messages, %s: 400 naming %s, nothing written or started', async (_name, body, path) => {
  const before = await counts();
  const res = await h.call('POST', '/v1/messages', body);
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  expect(await counts()).toEqual(before);
});

test('malformed JSON is a 400, not a 500', async () => {
  const before = await counts();
  for (const path of ['/v1/profiles', '/v1/messages']) {
    const res = await h.call('POST', path, '{"externalId": "known",');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
  }
  expect(await counts()).toEqual(before);
});

test('a message to an unknown profile is a 404 naming the field', async () => {
  const res = await h.call('POST', '/v1/messages', { to: { externalId: 'nobody' }, push: { title: 't', body: 'b' } });
  expect(res.status).toBe(404);
  expect(res.body.error.details[0].path).toBe('body.to.externalId');
});

test.each([
  ['no key', {}],
  ['a malformed key', { authorization: 'Bearer hello' }],
  ['an unknown key', { authorization: 'Bearer rota_abcdefgh_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345' }],
  ['a known id with the wrong secret', {} as Record<string, string>],
])('%s: 401 on both endpoints, nothing written', async (name, headers) => {
  if (name === 'a known id with the wrong secret') headers = { authorization: `Bearer ${h.apiKey.slice(0, 14)}${'x'.repeat(32)}` };
  const before = await counts();
  const p = await h.call('POST', '/v1/profiles', { externalId: 'intruder' }, headers);
  const m = await h.call('POST', '/v1/messages', { to: { externalId: 'known' }, push: { title: 't', body: 'b' } }, headers);
  expect([p.status, m.status]).toEqual([401, 401]);
  expect(p.body.error.code).toBe('unauthorized');
  expect(await counts()).toEqual(before);
});

test('a key without the route role gets 403 and writes nothing', async () => {
  const ingestOnly = await saveApiKey(h.db, { appId: 'demo', name: 'sdk', roles: ['ingest'] });
  const before = await counts();
  const res = await h.call('POST', '/v1/messages', { to: { externalId: 'known' }, push: { title: 't', body: 'b' } }, { authorization: `Bearer ${ingestOnly}` });
  expect(res.status).toBe(403);
  expect(await counts()).toEqual(before);
  const allowed = await h.call('GET', '/v1/profiles/known', undefined, { authorization: `Bearer ${ingestOnly}` });
  expect(allowed.status).toBe(200);
});

test('a phone number in Turkish national form is stored as E.164; a device token moves to the profile that registers it last', async () => {
  const a = await h.call('POST', '/v1/profiles', { externalId: 'a', msisdn: '0532 765 43 21', devices: [{ token: 'shared-token', platform: 'android' }] });
  expect(a.body.msisdn).toBe('+905327654321');
  const b = await h.call('POST', '/v1/profiles', { externalId: 'b', devices: [{ token: 'shared-token', platform: 'android' }] });
  expect(b.status).toBe(201);
  expect((await h.call('GET', '/v1/profiles/a')).body.devices).toEqual([]);
  expect((await h.call('GET', '/v1/profiles/b')).body.devices.map((d: { token: string }) => d.token)).toEqual(['shared-token']);
});

test('/openapi.json documents every route with its schemas', async () => {
  const res = await h.call('GET', '/openapi.json');
  expect(res.status).toBe(200);
  expect(Object.keys(res.body.paths)).toEqual(
    expect.arrayContaining([
      '/healthz', '/readyz', '/metrics', '/v1/profiles', '/v1/profiles/{externalId}', '/v1/messages', '/v1/messages/{id}', '/v1/receipts',
      '/v1/identify', '/v1/events', '/v1/segments', '/v1/segments/preview', '/v1/segments/{id}/count', '/v1/segments/{id}/members', '/v1/segments/{id}/export',
    ]),
  );
  // Batch items and segment rules are validated by hand; the document still shows their real shapes.
  const events = JSON.stringify(res.body.paths['/v1/events'].post.requestBody);
  expect(events).toContain('occurredAt');
  expect(res.body.paths['/v1/events'].post.responses['413']).toBeDefined();
  expect(JSON.stringify(res.body.paths['/v1/segments'].post.requestBody)).toContain('withinDays');
  const create = res.body.paths['/v1/messages'].post;
  expect(create.requestBody.content['application/json'].schema.required).toEqual(['to']);
  expect(Object.keys(create.requestBody.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['push', 'template', 'channels']));
  expect(create.responses['400']).toBeDefined();
  expect((await fetch(`${h.api.url}/docs`)).status).toBe(200);
});

test('every response carries a request id; /metrics counts requests by route', async () => {
  const res = await fetch(`${h.api.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
  expect(res.headers.get('x-request-id')).toBe('trace-123');
  const metrics = await (await fetch(`${h.api.url}/metrics`, { headers: { authorization: `Bearer ${h.platformKey}` } })).text();
  expect(metrics).toMatch(/rota_http_request_duration_seconds_count\{method="POST",route="\/v1\/profiles",status="400"\} \d+/);
});
