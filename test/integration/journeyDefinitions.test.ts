/**
 * Journey definitions on the real stack (the API over HTTP, the MongoDB-wire server): drafts
 * created and listed, a bad definition a 400 naming the step that stores nothing, publish
 * freezing immutable versions (v1 unchanged by later edits and publishes, template versions
 * pinned), the state machine and its 409s, roles, and the event names a journey may use
 * (declared, or sent by the app).
 */
import { saveApiKey } from '../../tenants/apiKeys';
import { declareEvents } from '../support/eventTypes';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('journeyDefinitions', { worker: false });
  expect((await h.call('POST', '/v1/attributes', { name: 'tier', type: 'string' })).status).toBe(201);
  await declareEvents(h, ['cart.updated', 'purchase']);
  const templates = [
    { id: 'sepet', name: 'Sepet hatırlatma', channels: { push: { title: 'Sepetin seni bekliyor', body: 'Ürünlerin hâlâ sepette' }, sms: { text: 'Sepetindeki ürünler seni bekliyor' } } },
    { id: 'sepet-eposta', name: 'Sepet e-posta', channels: { email: { subject: 'Sepetin', text: 'Ürünlerin hâlâ sepette' } } },
  ];
  for (const t of templates) {
    expect((await h.call('POST', '/v1/templates', t)).status).toBe(201);
    expect((await h.call('POST', `/v1/templates/${t.id}/publish`)).status).toBe(201);
  }
  expect((await h.call('POST', '/v1/segments', { id: 'buyers', name: 'Buyers', rule: { event: 'purchase', op: 'atLeast', count: 1 } })).status).toBe(201);
});
afterAll(async () => h?.close());

const abandonedCart = (id: string): Record<string, any> => ({
  id,
  name: 'Terk edilen sepet',
  entry: { kind: 'event', event: 'cart.updated', keyAttribute: 'cartId' },
  reEntry: { policy: 'always' },
  goal: { event: 'purchase', conditions: [{ attribute: 'cartId', op: 'eq', valueFrom: 'entry.cartId' }] },
  steps: [
    { id: 'wait_cart', kind: 'waitForEvent', event: 'purchase', conditions: [{ attribute: 'cartId', op: 'eq', valueFrom: 'entry.cartId' }], timeout: { hours: 2 }, next: { received: 'bought', timedOut: 'remind' } },
    { id: 'remind', kind: 'send', template: { id: 'sepet' }, channels: ['push', 'sms'], next: 'wait_day' },
    { id: 'wait_day', kind: 'wait', duration: { days: 1 }, next: 'remind_email' },
    { id: 'remind_email', kind: 'send', template: { id: 'sepet-eposta' }, channels: ['email'], next: 'done' },
    { id: 'bought', kind: 'exit' },
    { id: 'done', kind: 'exit' },
  ],
});

const stored = async () => ({ journeys: await h.db.journeys.countDocuments({ appId: 'demo' }), versions: await h.db.journeyVersions.countDocuments({ appId: 'demo' }) });
const act = (id: string, action: string) => h.call('POST', `/v1/journeys/${id}/${action}`);
const view = async (id: string) => (await h.call('GET', `/v1/journeys/${id}`)).body;

test('a draft is created, read and listed (paged after an id); a taken id is a 409, a bad one a 400', async () => {
  const res = await h.call('POST', '/v1/journeys', abandonedCart('cart'));
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ id: 'cart', name: 'Terk edilen sepet', state: 'draft', revision: 1, latestVersion: 0, unpublishedChanges: true, versions: [] });
  expect(res.body.draft.steps[1]).toMatchObject({ id: 'remind', category: 'commercial' });
  expect(await view('cart')).toMatchObject({ id: 'cart', state: 'draft', versions: [] });
  const list = await h.call('GET', '/v1/journeys?state=draft');
  expect(list.body.journeys.map((j: any) => j.id)).toContain('cart');
  expect(await h.call('POST', '/v1/journeys', abandonedCart('cart'))).toMatchObject({ status: 409, body: { error: { details: [{ path: 'body.id' }] } } });
  expect(await h.call('POST', '/v1/journeys', abandonedCart('Kötü Id'))).toMatchObject({ status: 400, body: { error: { details: [{ path: 'body.id' }] } } });
  expect((await h.call('GET', '/v1/journeys?after=cart')).body.journeys.map((j: any) => j.id)).not.toContain('cart');
  expect((await h.call('GET', '/v1/journeys/none')).status).toBe(404);
});

test('a bad definition is a 400 naming the step, and nothing is stored (create or edit)', async () => {
  expect((await h.call('POST', '/v1/journeys', abandonedCart('edited'))).status).toBe(201);
  const before = await stored();
  const bad: [(d: Record<string, any>) => void, string][] = [
    [(d) => (d.steps[0].timeout = { days: 91 }), 'body.steps.wait_cart.timeout'],
    [(d) => (d.steps[1].template = { id: 'yok' }), 'body.steps.remind.template'],
    [(d) => (d.steps[3].channels = ['sms']), 'body.steps.remind_email.channels.0'],
    [(d) => (d.steps[2].next = 'nowhere'), 'body.steps.wait_day.next'],
    [(d) => d.steps.push({ id: 'orphan', kind: 'exit' }), 'body.steps.orphan'],
    [(d) => d.steps.push({ id: 'remind', kind: 'exit' }), 'body.steps.remind.id'],
    [(d) => (d.exitSegment = 'nobody'), 'body.exitSegment'],
    [(d) => (d.steps[0].event = 'purchase.done'), 'body.steps.wait_cart.event'],
    [(d) => d.steps.splice(1, 0, { id: 'tag', kind: 'updateProfile', set: { shoeSize: 42 }, next: 'remind' }), 'body.steps.tag.set.shoeSize'],
  ];
  for (const [change, path] of bad) {
    const d = abandonedCart('bad');
    change(d);
    const res = await h.call('POST', '/v1/journeys', d);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request' });
    expect(res.body.error.details.map((x: any) => x.path)).toContain(path);
    // The same change as an edit of a saved draft.
    const { id: _id, ...patch } = d;
    const edit = await h.call('PATCH', '/v1/journeys/edited', { steps: patch.steps, ...(d.exitSegment ? { exitSegment: d.exitSegment } : {}) });
    expect(edit.status).toBe(400);
    expect(edit.body.error.details.map((x: any) => x.path)).toContain(path);
  }
  expect(await stored()).toEqual(before);
  expect((await h.call('GET', '/v1/journeys/bad')).status).toBe(404);
  expect((await view('edited')).revision).toBe(1);
});

test('publish freezes version 1; an edit makes a new draft; the next publish is version 2 and version 1 is unchanged', async () => {
  expect((await h.call('POST', '/v1/journeys', abandonedCart('versions'))).status).toBe(201);
  const v1 = await act('versions', 'publish');
  expect(v1.status).toBe(201);
  expect(v1.body).toMatchObject({ id: 'versions', version: 1, revision: 1 });
  expect(v1.body.definition.steps[1].template).toEqual({ id: 'sepet', version: 1 }); // pinned at publish
  expect(await view('versions')).toMatchObject({ state: 'active', latestVersion: 1, unpublishedChanges: false });
  // Publishing the same draft again makes no second version.
  expect(await act('versions', 'publish')).toMatchObject({ status: 200, body: { version: 1 } });

  const edited = await h.call('PATCH', '/v1/journeys/versions', { steps: abandonedCart('x').steps.map((s: any) => (s.id === 'wait_cart' ? { ...s, timeout: { hours: 4 } } : s)), exitSegment: 'buyers' });
  expect(edited.status).toBe(200);
  expect(edited.body).toMatchObject({ state: 'active', revision: 2, latestVersion: 1, unpublishedChanges: true, draft: { exitSegment: 'buyers' } });
  expect(edited.body.draft.steps[0].timeout).toEqual({ hours: 4 });

  // A new template version is what the next journey version pins; version 1 keeps its own.
  expect((await h.call('PATCH', '/v1/templates/sepet', { channels: { push: { title: 'Son şans', body: 'Sepetin boşalmak üzere' } } })).status).toBe(200);
  expect((await h.call('POST', '/v1/templates/sepet/publish')).status).toBe(201);
  const v2 = await act('versions', 'publish');
  expect(v2).toMatchObject({ status: 201, body: { version: 2, revision: 2 } });
  expect(v2.body.definition.steps[0].timeout).toEqual({ hours: 4 });
  expect(v2.body.definition.steps[1].template).toEqual({ id: 'sepet', version: 2 });

  expect((await h.call('GET', '/v1/journeys/versions/versions/1')).body).toEqual(v1.body);
  expect((await h.call('GET', '/v1/journeys/versions/versions/3')).status).toBe(404);
  const after = await view('versions');
  expect(after).toMatchObject({ latestVersion: 2, unpublishedChanges: false });
  expect(after.versions.map((v: any) => v.version)).toEqual([2, 1]);
  // Stored under deterministic ids, and the data layer refuses to change a published version.
  expect(await h.db.journeyVersions.findOne({ _id: 'demo:versions:v1' }).lean()).toMatchObject({ version: 1 });
  await expect(h.db.journeyVersions.updateOne({ _id: 'demo:versions:v1' }, { $set: { revision: 9 } })).rejects.toThrow(/immutable/);

});

test('a draft whose segment is gone is a 409 at publish, naming the field', async () => {
  expect((await h.call('POST', '/v1/segments', { id: 'short-lived', name: 'Short', rule: { attribute: 'tier', op: 'eq', value: 'gold' } })).status).toBe(201);
  expect((await h.call('POST', '/v1/journeys', { ...abandonedCart('stale'), exitSegment: 'short-lived' })).status).toBe(201);
  expect((await h.call('DELETE', '/v1/segments/short-lived')).status).toBe(204);
  const before = await stored();
  expect(await act('stale', 'publish')).toMatchObject({ status: 409, body: { error: { code: 'invalid_definition', details: [{ path: 'draft.exitSegment', message: 'unknown segment short-lived' }] } } });
  expect(await stored()).toEqual(before);
});

test('pause, resume and archive follow the state machine; a wrong action is a 409 naming the state', async () => {
  expect((await h.call('POST', '/v1/journeys', abandonedCart('states'))).status).toBe(201);
  for (const action of ['pause', 'resume']) expect(await act('states', action)).toMatchObject({ status: 409, body: { error: { code: 'invalid_state', details: [{ path: 'state', message: 'draft' }] } } });
  expect((await act('states', 'publish')).status).toBe(201);
  expect((await act('states', 'resume')).status).toBe(409);
  expect(await act('states', 'pause')).toMatchObject({ status: 200, body: { id: 'states', state: 'paused' } });
  expect(await act('states', 'pause')).toMatchObject({ status: 409, body: { error: { details: [{ message: 'paused' }] } } });
  // A paused journey may be edited and published; it stays paused.
  expect((await h.call('PATCH', '/v1/journeys/states', { name: 'Sepet v2' })).status).toBe(200);
  expect(await act('states', 'publish')).toMatchObject({ status: 201, body: { version: 2 } });
  expect((await view('states')).state).toBe('paused');
  expect(await act('states', 'resume')).toMatchObject({ status: 200, body: { state: 'active' } });
  expect(await act('states', 'archive')).toMatchObject({ status: 200, body: { state: 'archived' } });
  for (const action of ['pause', 'resume', 'archive', 'publish']) expect(await act('states', action)).toMatchObject({ status: 409, body: { error: { details: [{ path: 'state', message: 'archived' }] } } });
  expect((await h.call('PATCH', '/v1/journeys/states', { name: 'x' })).status).toBe(409);
  expect(await view('states')).toMatchObject({ state: 'archived', latestVersion: 2, name: 'Sepet v2' });
  // A draft never published may be archived too.
  expect((await h.call('POST', '/v1/journeys', abandonedCart('discarded'))).status).toBe(201);
  expect(await act('discarded', 'archive')).toMatchObject({ status: 200, body: { state: 'archived' } });
});

test('roles: designers write, operators only read, other keys neither', async () => {
  const bearer = async (name: string, roles: any[]) => ({ authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name, roles })}` });
  const designer = await bearer('journey desk', ['designer']);
  const operator = await bearer('ops', ['operator']);
  const ingest = await bearer('sdk', ['ingest']);
  expect((await h.call('POST', '/v1/journeys', abandonedCart('roles'), designer)).status).toBe(201);
  const before = await stored();
  expect((await h.call('POST', '/v1/journeys', abandonedCart('by-operator'), operator)).status).toBe(403);
  expect((await h.call('PATCH', '/v1/journeys/roles', { name: 'x' }, operator)).status).toBe(403);
  for (const action of ['publish', 'pause', 'archive']) expect((await h.call('POST', `/v1/journeys/roles/${action}`, undefined, operator)).status).toBe(403);
  expect(await stored()).toEqual(before);
  expect((await h.call('GET', '/v1/journeys/roles', undefined, operator)).status).toBe(200);
  expect((await h.call('GET', '/v1/journeys', undefined, operator)).status).toBe(200);
  expect((await h.call('GET', '/v1/journeys/roles', undefined, ingest)).status).toBe(403);
  expect((await h.call('POST', '/v1/journeys/roles/publish', undefined, designer)).status).toBe(201);
  expect((await view('roles')).state).toBe('active');
});

test('a journey may use an event the app declared or has sent; an unknown one is a 400 naming where it is used', async () => {
  const wishlist = () => ({ ...abandonedCart('wishlist'), entry: { kind: 'event', event: 'wishlist.added' }, goal: { event: 'wishlist.bought' } });
  const refused = await h.call('POST', '/v1/journeys', wishlist());
  expect(refused.status).toBe(400);
  expect(refused.body.error.details.map((d: any) => d.path).sort()).toEqual(['body.entry.event', 'body.goal.event']);
  expect(refused.body.error.details[0].message).toMatch(/^unknown event wishlist\.(added|bought): the app has not sent it \(declare it with POST \/v1\/event-types\)$/);

  // One name is sent by a device, the other declared by the designer: both are known now.
  expect((await h.call('POST', '/v1/profiles', { externalId: 'wisher' })).status).toBe(201);
  expect((await h.call('POST', '/v1/events', { eventId: 'w-1', name: 'wishlist.added', externalId: 'wisher' })).status).toBeLessThan(300);
  const declared = await h.call('POST', '/v1/event-types', { name: 'wishlist.bought', description: 'A wishlist item was bought' });
  expect(declared).toMatchObject({ status: 201, body: { name: 'wishlist.bought', declared: true, sent: false } });
  expect(await h.call('POST', '/v1/event-types', { name: 'wishlist.bought' })).toMatchObject({ status: 409, body: { error: { details: [{ path: 'body.name' }] } } });
  expect(await h.call('POST', '/v1/event-types', { name: '9 bad' })).toMatchObject({ status: 400, body: { error: { details: [{ path: 'body.name' }] } } });
  expect((await h.call('POST', '/v1/journeys', wishlist())).status).toBe(201);

  const names = (await h.call('GET', '/v1/event-types')).body.eventTypes;
  expect(names).toEqual(expect.arrayContaining([
    { name: 'wishlist.added', declared: false, sent: true },
    { name: 'wishlist.bought', declared: true, sent: false, description: 'A wishlist item was bought' },
    { name: 'purchase', declared: true, sent: false },
  ]));
});

test('the OpenAPI document lists the journey routes', async () => {
  const doc = (await h.call('GET', '/openapi.json', undefined, {})).body;
  for (const path of ['/v1/journeys', '/v1/journeys/{id}', '/v1/journeys/{id}/publish', '/v1/journeys/{id}/pause', '/v1/journeys/{id}/resume', '/v1/journeys/{id}/archive', '/v1/journeys/{id}/versions/{version}']) {
    expect(doc.paths[path]).toBeDefined();
  }
});
