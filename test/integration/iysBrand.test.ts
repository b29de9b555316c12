/**
 * An İYS brand (iysCode + brandCode) belongs to one app: the platform administrator assigns
 * it, an app's admin can set only a brand assigned to its app, and a brand held by another
 * app is refused with 409, also when several ask for it at once.
 */
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('iysbrand', { worker: false, iys: { changesLagMs: 0 } });
});
afterAll(async () => h?.close());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const platform = (method: string, path: string, body?: unknown) => h.call(method, path, body, bearer(h.platformKey));
const paths = (res: { body: any }) => res.body.error.details.map((d: { path: string }) => d.path);

/** A new app through the platform route; answers its first admin key. */
async function newApp(id: string): Promise<string> {
  const res = await platform('POST', '/v1/apps', { id, name: id });
  expect(res.status).toBe(201);
  return res.body.adminKey;
}

const brand = (brandCode: number) => ({ iysCode: 710000, brandCode });

test('the platform administrator assigns a brand to an app, once; the app sets it and lists it', async () => {
  const admin = await newApp('brand-owner');
  const first = await platform('POST', '/v1/apps/brand-owner/iys-brands', brand(1));
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ appId: 'brand-owner', iysCode: 710000, brandCode: 1, assignedAt: expect.any(String) });
  const again = await platform('POST', '/v1/apps/brand-owner/iys-brands', brand(1));
  expect([again.status, again.body.assignedAt]).toEqual([200, first.body.assignedAt]);
  expect((await platform('GET', '/v1/apps/brand-owner/iys-brands')).body.brands).toEqual([expect.objectContaining(brand(1))]);

  const set = await h.call('PUT', '/v1/iys/settings', { mode: 'integrator', ...brand(1) }, bearer(admin));
  expect(set.status).toBe(200);
  expect((await h.call('GET', '/v1/iys/settings', undefined, bearer(admin))).body).toMatchObject({ mode: 'integrator', ...brand(1) });
  expect((await h.call('GET', '/v1/iys/brands', undefined, bearer(admin))).body.brands).toEqual([expect.objectContaining(brand(1))]);
});

test("an app's admin cannot set another app's brand (409) nor one not assigned to it (403), and its settings stay", async () => {
  const owner = await newApp('brand-holder');
  const other = await newApp('brand-thief');
  expect((await platform('POST', '/v1/apps/brand-holder/iys-brands', brand(2))).status).toBe(201);
  expect((await h.call('PUT', '/v1/iys/settings', { mode: 'integrator', ...brand(2) }, bearer(owner))).status).toBe(200);

  for (const mode of ['integrator', 'sync', 'off']) {
    const taken = await h.call('PUT', '/v1/iys/settings', { mode, ...brand(2) }, bearer(other));
    expect([mode, taken.status, taken.body.error.code]).toEqual([mode, 409, 'iys_brand_taken']);
    expect(paths(taken)).toContain('body.brandCode');
  }
  const unassigned = await h.call('PUT', '/v1/iys/settings', { mode: 'integrator', ...brand(3) }, bearer(other));
  expect([unassigned.status, unassigned.body.error.code]).toEqual([403, 'iys_brand_not_assigned']);
  expect(paths(unassigned)).toContain('body.brandCode');
  expect((await h.call('GET', '/v1/iys/settings', undefined, bearer(other))).body).toEqual({ mode: 'off', syncIntervalMinutes: 60 });
  expect((await h.call('GET', '/v1/iys/brands', undefined, bearer(other))).body.brands).toEqual([]);

  // The owner changing its own settings is unaffected; iysCode and brandCode go together.
  expect((await h.call('PUT', '/v1/iys/settings', { mode: 'integrator', ...brand(2), syncIntervalMinutes: 30 }, bearer(owner))).status).toBe(200);
  const half = await h.call('PUT', '/v1/iys/settings', { mode: 'off', iysCode: 710000 }, bearer(owner));
  expect([half.status, paths(half)]).toEqual([400, ['body.brandCode']]);
});

test('assigning a brand another app holds is a 409 naming the field; only the platform key assigns; the app and body are checked', async () => {
  const admin = await newApp('brand-second');
  expect((await platform('POST', '/v1/apps/brand-holder/iys-brands', brand(4))).status).toBe(201);
  const taken = await platform('POST', '/v1/apps/brand-second/iys-brands', brand(4));
  expect([taken.status, taken.body.error.code]).toEqual([409, 'iys_brand_taken']);
  expect(paths(taken)).toContain('body.brandCode');
  expect((await platform('GET', '/v1/apps/brand-second/iys-brands')).body.brands).toEqual([]);

  expect((await h.call('POST', '/v1/apps/brand-second/iys-brands', brand(5), bearer(admin))).status).toBe(403);
  expect((await h.call('GET', '/v1/apps/brand-second/iys-brands', undefined, bearer(admin))).status).toBe(403);
  const noApp = await platform('POST', '/v1/apps/no-such-app/iys-brands', brand(5));
  expect([noApp.status, paths(noApp)]).toEqual([404, ['params.id']]);
  const bad = await platform('POST', '/v1/apps/brand-second/iys-brands', { iysCode: 'x', brandCode: 5 });
  expect([bad.status, paths(bad)]).toEqual([400, ['body.iysCode']]);
});

test('many apps asking for one brand at once: exactly one gets it', async () => {
  const ids = Array.from({ length: 6 }, (_, i) => `brand-race-${i}`);
  for (const id of ids) await newApp(id);
  const answers = await Promise.all(ids.map((id) => platform('POST', `/v1/apps/${id}/iys-brands`, brand(6))));
  expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  const winner = ids[answers.findIndex((a) => a.status === 201)]!;
  const holders = await Promise.all(ids.map(async (id) => ((await platform('GET', `/v1/apps/${id}/iys-brands`)).body.brands as unknown[]).length));
  expect(holders).toEqual(ids.map((id) => (id === winner ? 1 : 0)));
});
