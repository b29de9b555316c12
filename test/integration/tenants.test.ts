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

describe('the last admin key', () => {
  async function newApp(id: string): Promise<string> {
    const res = await h.call('POST', '/v1/apps', { id, name: id }, bearer(PLATFORM));
    expect(res.status).toBe(201);
    return res.body.adminKey;
  }
  const keyId = (key: string) => key.split('_')[1]!;

  test('revoking the only admin key is refused with 409 and the key keeps working', async () => {
    const admin = await newApp('lone-admin');
    const ingest = await h.call('POST', '/v1/keys', { name: 'sdk', roles: ['ingest'] }, bearer(admin));
    const res = await h.call('DELETE', `/v1/keys/${keyId(admin)}`, undefined, bearer(admin));
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'last_admin_key', details: [{ path: 'params.id' }] });
    expect((await h.call('GET', '/v1/keys', undefined, bearer(admin))).status).toBe(200);
    // Keys without the admin role go as before.
    expect((await h.call('DELETE', `/v1/keys/${ingest.body.id}`, undefined, bearer(admin))).status).toBe(204);
  });

  test('with a second admin key the first can go, and then the second is the last', async () => {
    const first = await newApp('two-admins');
    const second = (await h.call('POST', '/v1/keys', { name: 'second admin', roles: ['admin', 'compliance'] }, bearer(first))).body.key as string;
    expect((await h.call('DELETE', `/v1/keys/${keyId(first)}`, undefined, bearer(second))).status).toBe(204);
    expect((await h.call('DELETE', `/v1/keys/${keyId(second)}`, undefined, bearer(second))).status).toBe(409);
    expect((await h.call('GET', '/v1/keys', undefined, bearer(second))).body.keys.map((k: { name: string }) => k.name)).toEqual(['second admin']);
  });

  test('two admin keys revoked at once: at most one goes, and an admin key is always left', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await newApp(`race-admins-${round}`);
      const b = (await h.call('POST', '/v1/keys', { name: 'b', roles: ['admin'] }, bearer(a))).body.key as string;
      const [ra, rb] = await Promise.all([
        h.call('DELETE', `/v1/keys/${keyId(a)}`, undefined, bearer(b)),
        h.call('DELETE', `/v1/keys/${keyId(b)}`, undefined, bearer(a)),
      ]);
      expect([ra.status, rb.status]).not.toEqual([204, 204]);
      for (const r of [ra, rb]) expect([204, 409]).toContain(r.status);
      expect(await h.db.apiKeys.countDocuments({ appId: `race-admins-${round}`, roles: 'admin' })).toBeGreaterThanOrEqual(1);
    }
  });
});
