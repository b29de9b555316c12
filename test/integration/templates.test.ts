/**
 * Templates against the real API and database: CRUD, immutable versions, save-time Liquid
 * errors with their lines, missing variables (skip, default filter, fail), Turkish text in
 * every channel, SMS encodings in previews, roles and tenants, and resolveTemplate +
 * renderTemplate as the send pipeline calls them.
 */
import { startHarness, type Harness } from '../support/harness';
import { renderChannel, renderTemplate, profileContext } from '../../templates/render';
import { resolveTemplate } from '../../templates/store';

let h: Harness;
let operatorKey: string;
let ingestKey: string;
let otherAppKey: string;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const welcome = {
  id: 'welcome',
  name: 'Hoş geldin',
  channels: {
    push: { title: 'Merhaba {{ profile.attributes.firstName }}', body: 'Hoş geldin!', data: { screen: 'home' } },
    sms: { text: 'Merhaba {{ profile.attributes.firstName | default: "dostum" }}, kodun {{ vars.code }}' },
  },
};

beforeAll(async () => {
  h = await startHarness('templates', { worker: false });
  for (const name of ['firstName', 'city']) expect((await h.call('POST', '/v1/attributes', { name, type: 'string' })).status).toBe(201);
  for (const p of [
    { externalId: 'sule', email: 'sule@example.com', msisdn: '+905321234567', attributes: { firstName: 'Şule', city: 'İzmir' } },
    { externalId: 'anon', attributes: {} },
  ]) expect((await h.call('POST', '/v1/profiles', p)).status).toBe(201);
  operatorKey = (await h.call('POST', '/v1/keys', { name: 'ops', roles: ['operator'] })).body.key;
  ingestKey = (await h.call('POST', '/v1/keys', { name: 'sdk', roles: ['ingest'] })).body.key;
  otherAppKey = (await h.call('POST', '/v1/apps', { id: 'tpl-other', name: 'Other' }, bearer(h.platformKey))).body.adminKey;
  expect([operatorKey, ingestKey, otherAppKey].every(Boolean)).toBe(true);
  expect((await h.call('POST', '/v1/templates', welcome)).status).toBe(201);
});
afterAll(async () => h?.close());

const preview = (id: string, body: Record<string, unknown>, key?: string) => h.call('POST', `/v1/templates/${id}/preview`, body, key ? bearer(key) : undefined);

describe('CRUD', () => {
  test('create, read, list; a taken id is a 409', async () => {
    const created = await h.call('POST', '/v1/templates', { id: 'crud-1', name: 'One', description: 'first', channels: { sms: { text: 'hi' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'crud-1', name: 'One', description: 'first', missingVariable: 'skip', channels: { sms: { text: 'hi' } }, revision: 1, latestVersion: null });
    expect((await h.call('GET', '/v1/templates/crud-1')).body).toEqual(created.body);
    const list = await h.call('GET', '/v1/templates');
    expect(list.body.templates.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(['crud-1', 'welcome']));
    const again = await h.call('POST', '/v1/templates', { id: 'crud-1', name: 'Two', channels: { sms: { text: 'x' } } });
    expect(again.status).toBe(409);
    expect(again.body.error.details[0].path).toBe('body.id');
    expect((await h.call('GET', '/v1/templates/crud-1')).body.name).toBe('One');
  });

  test('a generated id when none is given', async () => {
    const created = await h.call('POST', '/v1/templates', { name: 'Anonymous', channels: { webPush: { title: 't' } } });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^tpl_[a-z0-9]{12}$/);
  });

  test('update the draft: fields, one channel replaced, one removed, one added; others kept', async () => {
    await h.call('POST', '/v1/templates', { id: 'crud-2', name: 'Two', channels: { sms: { text: 'a' }, push: { body: 'b' } } });
    const updated = await h.call('PATCH', '/v1/templates/crud-2', { name: 'Two!', missingVariable: 'fail', channels: { sms: { text: 'c' }, push: null, email: { subject: 's', text: 't' } } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Two!', missingVariable: 'fail', revision: 2, channels: { sms: { text: 'c' }, email: { subject: 's', text: 't' } } });
    expect(updated.body.channels.push).toBeUndefined();
    const again = await h.call('PATCH', '/v1/templates/crud-2', { description: 'x' });
    expect(again.body).toMatchObject({ name: 'Two!', description: 'x', revision: 3, channels: { sms: { text: 'c' }, email: { subject: 's', text: 't' } } });
    expect((await h.call('PATCH', '/v1/templates/crud-2', { description: null })).body.description).toBeUndefined();
  });

  test('removing the last channel, an empty update and bad shapes are 400s naming the field; nothing changes', async () => {
    await h.call('POST', '/v1/templates', { id: 'crud-3', name: 'Three', channels: { sms: { text: 'a' } } });
    const last = await h.call('PATCH', '/v1/templates/crud-3', { channels: { sms: null } });
    expect(last.status).toBe(400);
    expect(last.body.error.details[0].path).toBe('body.channels');
    expect((await h.call('PATCH', '/v1/templates/crud-3', {})).status).toBe(400);
    const email = await h.call('POST', '/v1/templates', { id: 'crud-4', name: 'x', channels: { email: { subject: 's' } } });
    expect(email.status).toBe(400);
    expect(email.body.error.details[0].path).toBe('body.channels.email.html');
    const none = await h.call('POST', '/v1/templates', { id: 'crud-4', name: 'x', channels: {} });
    expect(none.body.error.details[0].path).toBe('body.channels');
    const reserved = await h.call('POST', '/v1/templates', { id: 'crud-4', name: 'x', channels: { push: { body: 'b', data: { 'google.x': '1' } } } });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.details[0].path).toMatch(/^body\.channels\.push\.data/);
    expect((await h.call('GET', '/v1/templates/crud-4')).status).toBe(404);
    expect((await h.call('GET', '/v1/templates/crud-3')).body).toMatchObject({ revision: 1, channels: { sms: { text: 'a' } } });
  });

  test('unknown templates are 404s', async () => {
    expect((await h.call('GET', '/v1/templates/nope')).status).toBe(404);
    expect((await h.call('PATCH', '/v1/templates/nope', { name: 'x' })).status).toBe(404);
    expect((await h.call('POST', '/v1/templates/nope/publish')).status).toBe(404);
    expect((await h.call('GET', '/v1/templates/nope/versions')).status).toBe(404);
    expect((await h.call('GET', '/v1/templates/nope/versions/1')).status).toBe(404);
    expect((await preview('nope', { externalId: 'sule' })).status).toBe(404);
  });
});

describe('versions', () => {
  test('publish makes an immutable numbered version; the draft moves on without touching it', async () => {
    await h.call('POST', '/v1/templates', { id: 'ver-1', name: 'V', channels: { sms: { text: 'first' } } });
    expect((await h.call('GET', '/v1/templates/ver-1/versions/latest')).status).toBe(409);
    const v1 = await h.call('POST', '/v1/templates/ver-1/publish');
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ id: 'ver-1', version: 1, channels: { sms: { text: 'first' } } });
    // An unchanged draft: publishing again answers the same version, no second one.
    const same = await h.call('POST', '/v1/templates/ver-1/publish');
    expect(same.status).toBe(200);
    expect(same.body).toEqual(v1.body);

    await h.call('PATCH', '/v1/templates/ver-1', { name: 'V2', channels: { sms: { text: 'second' }, push: { body: 'p' } } });
    expect((await h.call('GET', '/v1/templates/ver-1/versions/1')).body).toEqual(v1.body);
    const v2 = await h.call('POST', '/v1/templates/ver-1/publish');
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, name: 'V2', channels: { sms: { text: 'second' }, push: { body: 'p' } } });

    expect((await h.call('GET', '/v1/templates/ver-1')).body).toMatchObject({ latestVersion: 2 });
    expect((await h.call('GET', '/v1/templates/ver-1/versions/latest')).body).toEqual(v2.body);
    expect((await h.call('GET', '/v1/templates/ver-1/versions/1')).body).toEqual(v1.body);
    expect((await h.call('GET', '/v1/templates/ver-1/versions/3')).status).toBe(404);
    expect((await h.call('GET', '/v1/templates/ver-1/versions/0')).status).toBe(400);
    const list = await h.call('GET', '/v1/templates/ver-1/versions');
    expect(list.body.versions.map((v: { version: number; channels: string[] }) => [v.version, v.channels])).toEqual([[2, ['push', 'sms']], [1, ['sms']]]);
    // No route changes a version.
    for (const method of ['PATCH', 'PUT', 'DELETE']) expect((await h.call(method, '/v1/templates/ver-1/versions/1', method === 'DELETE' ? undefined : { name: 'x' })).status).toBe(404);
  });

  test('publishes racing on one draft make one version', async () => {
    await h.call('POST', '/v1/templates', { id: 'ver-race', name: 'R', channels: { sms: { text: 'r' } } });
    const answers = await Promise.all(Array.from({ length: 6 }, () => h.call('POST', '/v1/templates/ver-race/publish')));
    expect(answers.map((a) => a.body.version)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect((await h.call('GET', '/v1/templates/ver-race/versions')).body.versions).toHaveLength(1);
  });

  test('resolveTemplate: the latest published version, a named one, or why there is none', async () => {
    await h.call('POST', '/v1/templates', { id: 'ver-resolve', name: 'R', channels: { sms: { text: 'one' } } });
    expect(await resolveTemplate(h.db, 'demo', 'ver-resolve')).toMatchObject({ ok: false, reason: 'template_not_published' });
    await h.call('POST', '/v1/templates/ver-resolve/publish');
    await h.call('PATCH', '/v1/templates/ver-resolve', { channels: { sms: { text: 'two' } } });
    // The draft is not what sends use.
    expect(await resolveTemplate(h.db, 'demo', 'ver-resolve')).toMatchObject({ ok: true, template: { version: 1, channels: { sms: { text: 'one' } } } });
    await h.call('POST', '/v1/templates/ver-resolve/publish');
    expect(await resolveTemplate(h.db, 'demo', 'ver-resolve')).toMatchObject({ ok: true, template: { id: 'ver-resolve', version: 2, missingVariable: 'skip', channels: { sms: { text: 'two' } } } });
    const v1 = await resolveTemplate(h.db, 'demo', 'ver-resolve', 1);
    expect(v1).toMatchObject({ ok: true, template: { version: 1, channels: { sms: { text: 'one' } } } });
    // Shared by every caller in the process (published versions are cached), so nobody can change it.
    if (v1.ok) expect(() => Object.assign(v1.template.channels.sms!, { text: 'changed' })).toThrow(TypeError);
    expect(await resolveTemplate(h.db, 'demo', 'ver-resolve', 1)).toMatchObject({ ok: true, template: { channels: { sms: { text: 'one' } } } });
    expect(await resolveTemplate(h.db, 'demo', 'ver-resolve', 9)).toMatchObject({ ok: false, reason: 'template_version_not_found' });
    expect(await resolveTemplate(h.db, 'demo', 'nope')).toMatchObject({ ok: false, reason: 'template_not_found' });
    // Another tenant's template of the same id is not found.
    expect(await resolveTemplate(h.db, 'tpl-other', 'ver-resolve')).toMatchObject({ ok: false, reason: 'template_not_found' });
  });
});

describe('save-time Liquid errors are 400s naming the field and the line', () => {
  test.each([
    ['an unknown filter', { sms: { text: 'Merhaba\n{{ profile.attributes.firstName | shout }}' } }, 'body.channels.sms.text', 2, /undefined filter: shout/],
    ['an unknown tag', { email: { subject: 's', html: '<p>\n</p>\n{% iff vars.x %}' } }, 'body.channels.email.html', 3, /tag "iff" not found/],
    ['a syntax error', { push: { body: 'ok', title: 'a\n\n\n{{ vars.x ' } }, 'body.channels.push.title', 4, /not closed/],
    ['a data value', { push: { body: 'ok', data: { orderId: '{{ vars.id | nope }}' } } }, 'body.channels.push.data.orderId', 1, /undefined filter: nope/],
    ['an unknown variable', { webPush: { title: 't', url: 'https://x.example/\n{{ customer.id }}' } }, 'body.channels.webPush.url', 2, /unknown variable customer\.id/],
    ['a file tag', { sms: { text: '{% include "x" %}' } }, 'body.channels.sms.text', 1, /not available/],
  ])('%s', async (_name, channels, path, line, message) => {
    const res = await h.call('POST', '/v1/templates', { id: 'bad', name: 'Bad', channels });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toHaveLength(1);
    expect(res.body.error.details[0].path).toBe(path);
    expect(res.body.error.details[0].message).toMatch(new RegExp(`^line ${line}\\b`));
    expect(res.body.error.details[0].message).toMatch(message);
    expect(res.body.error.message).toContain(path);
    expect((await h.call('GET', '/v1/templates/bad')).status).toBe(404);
  });

  test('every field with a problem is named; an update with one changes nothing', async () => {
    const res = await h.call('PATCH', '/v1/templates/welcome', { name: 'changed', channels: { sms: { text: '{{ a | b }}' }, push: { body: '{% x %}' } } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.channels.push.body', 'body.channels.sms.text']);
    expect((await h.call('GET', '/v1/templates/welcome')).body).toMatchObject({ name: welcome.name, revision: 1 });
  });
});

describe('missing variables', () => {
  test('skip names the variable; the default filter fills it; a condition on it is false', async () => {
    const res = await preview('welcome', { externalId: 'anon', vars: { code: '1234' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'welcome', version: null, externalId: 'anon' });
    expect(res.body.channels.push).toEqual({ ok: false, reason: 'template_missing_variable', variable: 'profile.attributes.firstName', field: 'push.title', line: 1, action: 'skip' });
    expect(res.body.channels.sms).toMatchObject({ ok: true, content: { text: 'Merhaba dostum, kodun 1234' } });

    const known = await preview('welcome', { externalId: 'sule', vars: { code: '1234' } });
    expect(known.body.channels.push).toEqual({ ok: true, content: { title: 'Merhaba Şule', body: 'Hoş geldin!', data: { screen: 'home' } } });
    expect(known.body.channels.sms.content.text).toBe('Merhaba Şule, kodun 1234');

    const noVars = await preview('welcome', { externalId: 'sule', channels: ['sms'] });
    expect(Object.keys(noVars.body.channels)).toEqual(['sms']);
    expect(noVars.body.channels.sms).toMatchObject({ ok: false, reason: 'template_missing_variable', variable: 'vars.code', field: 'sms.text' });
  });

  test('the fail policy marks the same gap as a failed send', async () => {
    await h.call('POST', '/v1/templates', { id: 'strict', name: 'Strict', missingVariable: 'fail', channels: { sms: { text: 'Sipariş {{ vars.orderId }}' } } });
    expect((await preview('strict', { externalId: 'sule' })).body.channels.sms).toMatchObject({ ok: false, reason: 'template_missing_variable', variable: 'vars.orderId', action: 'fail' });
  });

  test('journey event attributes', async () => {
    await h.call('POST', '/v1/templates', { id: 'cart', name: 'Cart', channels: { push: { body: '{{ event.attributes.product }} sepette{% if event.attributes.count %} ({{ event.attributes.count }}){% endif %}' } } });
    expect((await preview('cart', { externalId: 'sule', event: { name: 'cart_add', attributes: { product: 'Çay' } } })).body.channels.push).toEqual({ ok: true, content: { body: 'Çay sepette' } });
    expect((await preview('cart', { externalId: 'sule' })).body.channels.push).toMatchObject({ ok: false, reason: 'template_missing_variable', variable: 'event' });
  });

  test('what the send pipeline calls: resolve, then render per recipient, never a hole', async () => {
    await h.call('POST', '/v1/templates/welcome/publish');
    const found = await resolveTemplate(h.db, 'demo', 'welcome');
    if (!found.ok) throw new Error(found.message);
    const profile = async (externalId: string) => profileContext((await h.db.profiles.findOne({ appId: 'demo', externalId }).lean())!);
    expect(await renderChannel(found.template, 'push', { profile: await profile('anon') })).toMatchObject({ ok: false, reason: 'template_missing_variable', variable: 'profile.attributes.firstName', action: 'skip' });
    expect(await renderTemplate(found.template, { profile: await profile('sule'), vars: { code: '9' } })).toEqual({
      ok: true, content: { push: { title: 'Merhaba Şule', body: 'Hoş geldin!', data: { screen: 'home' } }, sms: { text: 'Merhaba Şule, kodun 9' } },
    });
  });
});

test('Turkish text renders correctly in all four channels', async () => {
  const turkish = {
    id: 'turkce', name: 'Türkçe',
    channels: {
      push: { title: 'Sayın {{ profile.attributes.firstName }}', body: '{{ profile.attributes.city | upcase: "tr" }}: şemsiyeni unutma, yağmur çıkacak.', deepLink: 'app://hava/{{ profile.attributes.city | downcase: "tr" }}' },
      sms: { text: 'Sayın {{ profile.attributes.firstName }}, siparişiniz yola çıktı. İyi günler! ĞÜŞİÖÇ ğüşıöç' },
      email: { subject: 'Siparişiniz hazır, {{ profile.attributes.firstName }}', html: '<h1>Merhaba {{ profile.attributes.firstName }}</h1><p>{{ profile.attributes.city }} şubemizde sizi bekliyor.</p>', text: 'Merhaba {{ profile.attributes.firstName }}, {{ profile.attributes.city }} şubemizde sizi bekliyor.' },
      webPush: { title: 'Işıklı kampanya', body: 'Çılgın indirim {{ profile.attributes.city }}’de', url: 'https://örnek.example/kampanya?şehir={{ profile.attributes.city | url_encode }}' },
    },
  };
  expect((await h.call('POST', '/v1/templates', turkish)).status).toBe(201);
  const res = await preview('turkce', { externalId: 'sule' });
  expect(res.status).toBe(200);
  expect(res.body.channels).toMatchObject({
    push: { ok: true, content: { title: 'Sayın Şule', body: 'İZMİR: şemsiyeni unutma, yağmur çıkacak.', deepLink: 'app://hava/izmir' } },
    sms: { ok: true, content: { text: 'Sayın Şule, siparişiniz yola çıktı. İyi günler! ĞÜŞİÖÇ ğüşıöç' }, sms: { encoding: 'GSM-7', shiftTable: 'turkish' } },
    email: { ok: true, content: { subject: 'Siparişiniz hazır, Şule', html: '<h1>Merhaba Şule</h1><p>İzmir şubemizde sizi bekliyor.</p>', text: 'Merhaba Şule, İzmir şubemizde sizi bekliyor.' } },
    webPush: { ok: true, content: { title: 'Işıklı kampanya', body: 'Çılgın indirim İzmir’de', url: `https://örnek.example/kampanya?şehir=${encodeURIComponent('İzmir')}` } },
  });
});

describe('preview: SMS encoding and segments', () => {
  beforeAll(async () => {
    expect((await h.call('POST', '/v1/templates', { id: 'sms-any', name: 'Any SMS', channels: { sms: { text: '{{ vars.text }}' } } })).status).toBe(201);
  });
  const sms = async (text: string) => {
    const res = await preview('sms-any', { externalId: 'sule', vars: { text } });
    expect(res.status).toBe(200);
    expect(res.body.channels.sms.content.text).toBe(text);
    return res.body.channels.sms.sms;
  };

  test.each([
    ['plain GSM-7 at 160', 'a'.repeat(160), { encoding: 'GSM-7', shiftTable: 'default', length: 160, segments: 1 }, /default alphabet/],
    ['plain GSM-7 at 161', 'a'.repeat(161), { encoding: 'GSM-7', length: 161, segments: 2, perSegment: 153 }, /default alphabet/],
    ['escapes', 'Fiyat: 10€ [indirimli]', { encoding: 'GSM-7', shiftTable: 'default', length: 25, escaped: ['€', '[', ']'] }, /extension table/],
    ['Turkish single shift', 'Şule, ğ ı İ ç', { encoding: 'GSM-7', shiftTable: 'turkish', length: 18, segments: 1, perSegment: 155 }, /Turkish national language single shift table/],
    ['UCS-2 at 70', `🎉${'a'.repeat(68)}`, { encoding: 'UCS-2', length: 70, segments: 1 }, /in no GSM 7-bit table/],
    ['UCS-2 at 71', `🎉${'a'.repeat(69)}`, { encoding: 'UCS-2', length: 71, segments: 2, perSegment: 67 }, /in no GSM 7-bit table/],
  ])('%s', async (_name, text, expected, reason) => {
    const counted = await sms(text);
    expect(counted).toMatchObject(expected);
    expect(counted.reason).toMatch(reason);
  });

  test('a published version or latest, as a send would render it', async () => {
    await h.call('POST', '/v1/templates/sms-any/publish');
    await h.call('PATCH', '/v1/templates/sms-any', { channels: { sms: { text: 'draft {{ vars.text }}' } } });
    expect((await preview('sms-any', { externalId: 'sule', version: 'latest', vars: { text: 'x' } })).body).toMatchObject({ version: 1, channels: { sms: { content: { text: 'x' } } } });
    expect((await preview('sms-any', { externalId: 'sule', version: 1, vars: { text: 'x' } })).body.channels.sms.content.text).toBe('x');
    expect((await preview('sms-any', { externalId: 'sule', vars: { text: 'x' } })).body).toMatchObject({ version: null, channels: { sms: { content: { text: 'draft x' } } } });
    expect((await preview('sms-any', { externalId: 'sule', version: 5 })).status).toBe(404);
    expect((await preview('sms-any', { externalId: 'nobody' })).status).toBe(404);
  });
});

test('roles: designers write, operators read and preview, others get 403', async () => {
  expect((await h.call('GET', '/v1/templates', undefined, bearer(operatorKey))).status).toBe(200);
  expect((await h.call('GET', '/v1/templates/welcome', undefined, bearer(operatorKey))).status).toBe(200);
  expect((await h.call('GET', '/v1/templates/welcome/versions', undefined, bearer(operatorKey))).status).toBe(200);
  expect((await preview('welcome', { externalId: 'sule', vars: { code: '1' } }, operatorKey)).status).toBe(200);
  for (const [method, path, body] of [['POST', '/v1/templates', { name: 'x', channels: { sms: { text: 'x' } } }], ['PATCH', '/v1/templates/welcome', { name: 'x' }], ['POST', '/v1/templates/welcome/publish', undefined]] as const) {
    const res = await h.call(method, path, body, bearer(operatorKey));
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/'designer' role/);
  }
  const ingest = await h.call('GET', '/v1/templates', undefined, bearer(ingestKey));
  expect(ingest.status).toBe(403);
  expect(ingest.body.error.message).toMatch(/'designer' or the 'operator' role/);
});

test("another app's key sees none of this app's templates", async () => {
  expect((await h.call('GET', '/v1/templates', undefined, bearer(otherAppKey))).body.templates).toEqual([]);
  expect((await h.call('GET', '/v1/templates/welcome', undefined, bearer(otherAppKey))).status).toBe(404);
  expect((await h.call('POST', '/v1/templates/welcome/publish', undefined, bearer(otherAppKey))).status).toBe(404);
  // The same id in the other app is its own template.
  expect((await h.call('POST', '/v1/templates', { id: 'welcome', name: 'Theirs', channels: { sms: { text: 'theirs' } } }, bearer(otherAppKey))).status).toBe(201);
  expect((await h.call('GET', '/v1/templates/welcome')).body.name).toBe(welcome.name);
});

test('the OpenAPI document covers every template route with its role', async () => {
  const doc = (await h.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { 'x-required-role'?: string; requestBody?: unknown }>> };
  const expected: [string, string, string][] = [
    ['/v1/templates', 'post', 'designer'], ['/v1/templates', 'get', 'designer | operator'],
    ['/v1/templates/{id}', 'get', 'designer | operator'], ['/v1/templates/{id}', 'patch', 'designer'],
    ['/v1/templates/{id}/publish', 'post', 'designer'], ['/v1/templates/{id}/versions', 'get', 'designer | operator'],
    ['/v1/templates/{id}/versions/{version}', 'get', 'designer | operator'], ['/v1/templates/{id}/preview', 'post', 'designer | operator'],
  ];
  for (const [path, method, role] of expected) expect(doc.paths[path]?.[method]?.['x-required-role']).toBe(role);
  expect(JSON.stringify(doc.paths['/v1/templates']!.post!.requestBody)).toContain('webPush');
});
