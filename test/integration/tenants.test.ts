/** Apps, role-scoped keys and tenant isolation through the API. */
import { startHarness, type Harness } from '../support/harness';

const PLATFORM = 'rota_platfrm1_abcdefghijklmnopqrstuvwxyz12';
let h: Harness;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
let acmeAdmin: string;
let acmeIngest: string;

beforeAll(async () => {
  h = await startHarness('tenants', { worker: false, env: { ROTA_ADMIN_API_KEY: PLATFORM } });
  const app = await h.call('POST', '/v1/apps', { id: 'acme', name: 'Acme A.Ş.' }, bearer(PLATFORM));
  expect(app.status).toBe(201);
  acmeAdmin = app.body.adminKey;
  const key = await h.call('POST', '/v1/keys', { name: 'mobile sdk', roles: ['ingest'] }, bearer(acmeAdmin));
  expect(key.status).toBe(201);
  acmeIngest = key.body.key;
});
afterAll(async () => h?.close());

test('only the platform key creates apps, and an app id is taken once', async () => {
  expect((await h.call('POST', '/v1/apps', { id: 'other', name: 'x' }, bearer(acmeAdmin))).status).toBe(403);
  const again = await h.call('POST', '/v1/apps', { id: 'acme', name: 'again' }, bearer(PLATFORM));
  expect(again.status).toBe(409);
  expect(again.body.error.details[0].path).toBe('body.id');
  expect((await h.call('POST', '/v1/apps', { id: 'A!', name: 'x' }, bearer(PLATFORM))).status).toBe(400);
  expect((await h.call('GET', '/v1/profiles/x', undefined, bearer(PLATFORM))).status).toBe(403);
});

test("a key of app A gets 404 for app B's profile; the same externalId in both apps is two profiles", async () => {
  expect((await h.call('POST', '/v1/profiles', { externalId: 'only-acme' }, bearer(acmeIngest))).status).toBe(201);
  expect((await h.call('GET', '/v1/profiles/only-acme', undefined, bearer(h.apiKey))).status).toBe(404);
  expect((await h.call('GET', '/v1/profiles/only-acme', undefined, bearer(acmeIngest))).status).toBe(200);
  const a = await h.call('POST', '/v1/profiles', { externalId: 'same', email: 'a@acme.test' }, bearer(acmeIngest));
  const b = await h.call('POST', '/v1/profiles', { externalId: 'same', email: 'b@demo.test' }, bearer(h.apiKey));
  expect([a.status, b.status]).toEqual([201, 201]);
  expect(a.body.id).not.toBe(b.body.id);
  expect((await h.call('GET', '/v1/profiles/same', undefined, bearer(acmeIngest))).body.email).toBe('a@acme.test');
});

test('a key without the route role gets 403', async () => {
  expect((await h.call('POST', '/v1/keys', { name: 'x', roles: ['admin'] }, bearer(acmeIngest))).status).toBe(403);
  expect((await h.call('POST', '/v1/attributes', { name: 'tier', type: 'string' }, bearer(acmeIngest))).status).toBe(403);
  expect((await h.call('GET', '/v1/keys', undefined, bearer(acmeAdmin))).body.keys.map((k: { name: string }) => k.name)).toEqual(['first admin key', 'mobile sdk']);
});

test('a revoked key stops working at once, and keys are listed without secrets', async () => {
  const temp = await h.call('POST', '/v1/keys', { name: 'temp', roles: ['ingest'] }, bearer(acmeAdmin));
  expect((await h.call('GET', '/v1/profiles/same', undefined, bearer(temp.body.key))).status).toBe(200);
  expect((await h.call('DELETE', `/v1/keys/${temp.body.id}`, undefined, bearer(acmeAdmin))).status).toBe(204);
  expect((await h.call('GET', '/v1/profiles/same', undefined, bearer(temp.body.key))).status).toBe(401);
  expect((await h.call('DELETE', `/v1/keys/${temp.body.id}`, undefined, bearer(acmeAdmin))).status).toBe(404);
  const stored = await h.db.apiKeys.find({ appId: 'acme' }).lean();
  for (const k of stored) expect(JSON.stringify(k)).not.toContain(acmeIngest.split('_')[2]);
});
