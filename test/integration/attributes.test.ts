/** The typed attribute registry: permissive inference, strict mode, limits, and no write on a bad value. */
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('attributes', { worker: false });
});
afterAll(async () => h?.close());

const upsert = (attributes: Record<string, unknown>, externalId = 'p1') => h.call('POST', '/v1/profiles', { externalId, attributes });

test('permissive: first use registers the inferred type; a later value of another type is a 400 naming it, and nothing changes', async () => {
  const first = await upsert({ city: 'İstanbul', score: 42, vip: true, birthday: '1990-05-17', tags: ['çay', 'kahve'] });
  expect(first.status).toBe(201);
  expect(first.body.attributes).toEqual({ city: 'İstanbul', score: 42, vip: true, birthday: '1990-05-17T00:00:00.000Z', tags: ['çay', 'kahve'] });
  const registry = await h.call('GET', '/v1/attributes');
  expect(Object.fromEntries(registry.body.attributes.map((a: { name: string; type: string }) => [a.name, a.type]))).toEqual({ birthday: 'date', city: 'string', score: 'number', tags: 'stringList', vip: 'boolean' });

  const before = await h.db.profiles.findOne({ appId: 'demo', externalId: 'p1' }).lean();
  const bad = await upsert({ city: 'Ankara', score: 'high', newThing: 1 });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details).toEqual([{ path: 'body.attributes.score', message: 'must be a number (number attribute)' }]);
  expect(await h.db.profiles.findOne({ appId: 'demo', externalId: 'p1' }).lean()).toEqual(before);
  expect((await h.call('GET', '/v1/attributes')).body.attributes.map((a: { name: string }) => a.name)).not.toContain('newThing');
});

test('null removes an attribute', async () => {
  const res = await upsert({ vip: null });
  expect(res.body.attributes.vip).toBeUndefined();
  expect(res.body.attributes.city).toBe('İstanbul');
});

test('strict: unknown attributes are rejected until defined; definitions carry limits', async () => {
  expect((await h.call('PUT', '/v1/attributes/mode', { mode: 'strict' })).status).toBe(200);
  const unknown = await upsert({ plan: 'gold' });
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.details[0]).toMatchObject({ path: 'body.attributes.plan', message: expect.stringMatching(/unknown attribute/) });

  expect((await h.call('POST', '/v1/attributes', { name: 'plan', type: 'string', allowed: ['free', 'gold'] })).status).toBe(201);
  expect((await h.call('POST', '/v1/attributes', { name: 'age', type: 'number', min: 0, max: 150 })).status).toBe(201);
  expect((await h.call('POST', '/v1/attributes', { name: 'plan', type: 'number' })).status).toBe(409);
  const badDef = await h.call('POST', '/v1/attributes', { name: 'x', type: 'boolean', min: 1 });
  expect(badDef.status).toBe(400);
  expect(badDef.body.error.details[0].path).toBe('body.min');

  expect((await upsert({ plan: 'gold', age: 30 })).status).toBe(200);
  const outside = await upsert({ plan: 'platinum', age: 200 });
  expect(outside.status).toBe(400);
  expect(outside.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.attributes.plan', 'body.attributes.age']);
  expect((await h.call('GET', '/v1/profiles/p1')).body.attributes).toMatchObject({ plan: 'gold', age: 30 });
  await h.call('PUT', '/v1/attributes/mode', { mode: 'permissive' });
});

test('attribute names must be safe field names', async () => {
  const res = await upsert({ 'a.b': 1, $where: 2 });
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.attributes.a.b', 'body.attributes.$where']);
  const empty = await upsert({ '': 1 });
  expect(empty.status).toBe(400);
  expect(empty.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.attributes.']);
});

test.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
  '%s, a built-in member of JavaScript objects, is refused as an attribute name: at definition and at every profile write, naming it',
  async (name) => {
    const definition = await h.call('POST', '/v1/attributes', { name, type: 'string' });
    expect(definition.status).toBe(400);
    expect(definition.body.error.details).toEqual([{ path: 'body.name', message: expect.stringContaining(name) }]);
    for (const mode of ['permissive', 'strict']) {
      expect((await h.call('PUT', '/v1/attributes/mode', { mode })).status).toBe(200);
      const write = await upsert({ [name]: 'x', city: 'Ankara' }, `reserved-${name}`);
      expect(write.status).toBe(400);
      expect(write.body.error.details).toEqual([{ path: `body.attributes.${name}`, message: expect.stringContaining(name) }]);
    }
    await h.call('PUT', '/v1/attributes/mode', { mode: 'permissive' });
    expect((await h.call('GET', `/v1/profiles/reserved-${name}`)).status).toBe(404);
    expect((await h.call('GET', '/v1/attributes')).body.attributes.map((a: { name: string }) => a.name)).not.toContain(name);
  },
);

test('__proto__ is refused as an attribute name at definition', async () => {
  const res = await h.call('POST', '/v1/attributes', '{"name":"__proto__","type":"string"}');
  expect(res.status).toBe(400);
  expect(res.body.error.details[0].path).toBe('body.name');
});

test('__proto__ is refused as an attribute name on a profile write, and nothing is written', async () => {
  const res = await h.call('POST', '/v1/profiles', '{"externalId":"proto-writer","attributes":{"__proto__":{"x":1}}}');
  expect(res.status).toBe(400);
  expect(res.body.error.details[0].path).toBe('body.attributes.__proto__');
  expect((await h.call('GET', '/v1/profiles/proto-writer')).status).toBe(404);
});
