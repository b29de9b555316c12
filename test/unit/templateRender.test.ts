/** Template rendering without a database: typed answers, missing variables, escaping, limits, and the save-time Liquid checks. */
import type { ResolvedTemplate, TemplateChannels } from '../../templates/channels';
import { checkSource } from '../../templates/liquid';
import { profileContext, renderChannel, renderTemplate, type RenderContext } from '../../templates/render';

const template = (channels: TemplateChannels, missingVariable: 'skip' | 'fail' = 'skip'): ResolvedTemplate => ({ appId: 'demo', id: 't', version: 1, name: 't', missingVariable, channels });
const ayse: RenderContext = { profile: { externalId: 'ayse', email: 'ayse@example.com', attributes: { firstName: 'Ayşe', city: 'İzmir', score: 80, tags: ['a', 'b'] } } };

describe('rendering', () => {
  test('profile fields, attributes, event and vars', async () => {
    const t = template({ sms: { text: '{{ profile.attributes.firstName }} ({{ profile.externalId }}, {{ profile.attributes.score | plus: 1 }}) {{ event.name }}:{{ event.attributes.sku }} {{ vars.code }} {{ profile.attributes.tags | join: "+" }}' } });
    const r = await renderChannel(t, 'sms', { ...ayse, event: { name: 'purchase', attributes: { sku: 'X1' } }, vars: { code: 42 } });
    expect(r).toEqual({ ok: true, content: { text: 'Ayşe (ayse, 81) purchase:X1 42 a+b' } });
  });

  test('a missing variable skips, naming the variable, the field and the line; never renders a hole', async () => {
    const t = template({ sms: { text: 'Merhaba\n{{ profile.attributes.nickname }}!' } });
    expect(await renderChannel(t, 'sms', ayse)).toEqual({ ok: false, reason: 'template_missing_variable', variable: 'profile.attributes.nickname', field: 'sms.text', line: 2, action: 'skip' });
  });

  test('a default filter fills the gap, also in an assign; a condition on a missing variable is false', async () => {
    const t = template({ sms: { text: '{% assign n = vars.n | default: 3 %}{{ profile.attributes.nickname | default: "dostum" }} {{ n }}{% if vars.vip %} VIP{% endif %}' } });
    expect(await renderChannel(t, 'sms', ayse)).toEqual({ ok: true, content: { text: 'dostum 3' } });
  });

  test('the fail policy makes a missing variable a failed send', async () => {
    const r = await renderChannel(template({ push: { body: '{{ vars.orderId }}' } }, 'fail'), 'push', ayse);
    expect(r).toMatchObject({ ok: false, reason: 'template_missing_variable', variable: 'vars.orderId', field: 'push.body', action: 'fail' });
  });

  test('null counts as missing, like an absent value', async () => {
    expect(await renderChannel(template({ sms: { text: 'x{{ vars.a }}' } }), 'sms', { ...ayse, vars: { a: null } })).toMatchObject({ ok: false, variable: 'vars.a' });
  });

  test('without an event, event variables are missing', async () => {
    expect(await renderChannel(template({ sms: { text: '{{ event.attributes.sku }}' } }), 'sms', ayse)).toMatchObject({ ok: false, reason: 'template_missing_variable', variable: 'event' });
  });

  test('a push data value is a template; a value rendered empty is left out, a missing one skips', async () => {
    const t = template({ push: { body: 'b', data: { order: '{{ vars.order }}', coupon: '{{ vars.coupon | default: "" }}' } } });
    expect(await renderChannel(t, 'push', { ...ayse, vars: { order: 'o-1' } })).toEqual({ ok: true, content: { body: 'b', data: { order: 'o-1' } } });
    expect(await renderChannel(t, 'push', ayse)).toMatchObject({ ok: false, field: 'push.data.order', variable: 'vars.order' });
  });

  test('a required field rendered empty skips the recipient; an optional one is left out', async () => {
    const t = template({ webPush: { title: '{% if vars.x %}x{% endif %} ', body: '{{ vars.b | default: "" }}' } });
    expect(await renderChannel(t, 'webPush', ayse)).toEqual({ ok: false, reason: 'template_empty_content', field: 'webPush.title', action: 'skip' });
    expect(await renderChannel(t, 'webPush', { ...ayse, vars: { x: 1 } })).toEqual({ ok: true, content: { title: 'x ' } });
  });

  test('e-mail HTML escapes outputs (| raw opts out); the text part and the subject do not; a subject stays one line', async () => {
    const t = template({ email: { subject: 'Hi {{ vars.name }}\r\nBcc: x@example.com', html: '<p>{{ vars.name }}</p>{{ vars.banner | raw }}', text: '{{ vars.name }}' } });
    const r = await renderChannel(t, 'email', { ...ayse, vars: { name: '<Ayşe & Co>', banner: '<img src="b.png">' } });
    expect(r).toEqual({ ok: true, content: { subject: 'Hi <Ayşe & Co> Bcc: x@example.com', html: '<p>&lt;Ayşe &amp; Co&gt;</p><img src="b.png">', text: '<Ayşe & Co>' } });
  });

  test('SMS text is composed (NFC): a decomposed ş becomes one character', async () => {
    const r = await renderChannel(template({ sms: { text: '{{ vars.n }}' } }), 'sms', { ...ayse, vars: { n: 'Şule'.normalize('NFD') } });
    expect(r).toEqual({ ok: true, content: { text: 'Şule' } });
  });

  test('case filters take a locale: Turkish dotted and dotless i', async () => {
    const r = await renderChannel(template({ sms: { text: '{{ "istanbul" | upcase: "tr" }} {{ "ISPARTA" | downcase: "tr" }} {{ "ılık" | capitalize: "tr" }} {{ "istanbul" | upcase }}' } }), 'sms', ayse);
    expect(r).toEqual({ ok: true, content: { text: 'İSTANBUL ısparta Ilık ISTANBUL' } });
  });

  test('dates print as ISO and take the date filter with a time zone', async () => {
    const profile = profileContext({ externalId: 'x', attributes: { signup: new Date('2024-01-01T21:30:00Z') } });
    const r = await renderChannel(template({ sms: { text: '{{ profile.attributes.signup }} {{ profile.attributes.signup | date: "%d.%m.%Y %H:%M", "Europe/Istanbul" }}' } }), 'sms', { profile });
    expect(r).toEqual({ ok: true, content: { text: '2024-01-01T21:30:00.000Z 02.01.2024 00:30' } });
  });

  test('no prototype properties', async () => {
    expect(await renderChannel(template({ sms: { text: '{{ profile.constructor }}' } }), 'sms', ayse)).toMatchObject({ ok: false, variable: 'profile.constructor' });
  });

  test('a runaway template is a bounded failure, not a hang', async () => {
    const r = await renderChannel(template({ sms: { text: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' } }), 'sms', ayse);
    expect(r).toMatchObject({ ok: false, reason: 'template_render_error', field: 'sms.text', action: 'fail' });
  });

  test('a channel the template lacks', async () => {
    expect(await renderChannel(template({ sms: { text: 'x' } }), 'email', ayse)).toEqual({ ok: false, reason: 'template_channel_missing', channel: 'email', action: 'fail' });
  });

  test('renderTemplate renders every channel, or answers the first failure', async () => {
    const t = template({ sms: { text: 'Selam {{ profile.attributes.firstName }}' }, push: { title: 'Hey', body: '{{ profile.attributes.city }}' } });
    expect(await renderTemplate(t, ayse)).toEqual({ ok: true, content: { push: { title: 'Hey', body: 'İzmir' }, sms: { text: 'Selam Ayşe' } } });
    expect(await renderTemplate(t, ayse, ['sms'])).toEqual({ ok: true, content: { sms: { text: 'Selam Ayşe' } } });
    expect(await renderTemplate(t, { profile: { attributes: {} } })).toMatchObject({ ok: false, variable: 'profile.attributes.city', field: 'push.body' });
  });
});

describe('save-time checks', () => {
  const check = (source: string, kind: 'text' | 'html' = 'text') => checkSource(source, kind, 'body.channels.sms.text');

  test('valid Liquid passes, with loops and their locals', () => {
    expect(check('{% for t in profile.attributes.tags %}{{ t }}{{ forloop.index }}{% endfor %}{% assign x = vars.a %}{{ x }}')).toEqual([]);
  });

  test.each([
    ['an unknown filter', 'Merhaba\n{{ profile.attributes.firstName | shout }}', 2, /undefined filter: shout/],
    ['an unknown tag', 'a\nb\n{% iff vars.x %}', 3, /tag "iff" not found/],
    ['an unclosed output', 'a\n\n{{ vars.x ', 3, /not closed/],
    ['an unclosed block', '{% if vars.x %}\nx', 1, /not closed/],
    ['a file tag', 'x\n{% include "footer" %}', 2, /not available in templates/],
    ['an unknown variable root', 'x\n{{ customer.name }}', 2, /unknown variable customer\.name/],
    ['a profile field that does not exist', '{{ profile.firstName }}', 1, /profile has no field firstName.*profile\.attributes\.<name>/],
    ['an event field that does not exist', '{{ event.sku }}', 1, /event has no field sku/],
  ])('%s is an issue naming the field and the line', (_name, source, line, message) => {
    const issues = check(source);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('body.channels.sms.text');
    expect(issues[0]!.message).toMatch(new RegExp(`^line ${line}(, column \\d+)?: `));
    expect(issues[0]!.message).toMatch(message);
  });
});

test('a __proto__ key in send-time variables is an ordinary variable, not a prototype', async () => {
  const vars = JSON.parse('{"__proto__":{"polluted":"yes"},"name":"Ali"}') as Record<string, unknown>;
  const t = template({ sms: { text: '{{ vars.name }} {{ vars.polluted | default: "clean" }} {{ vars.__proto__.polluted }}' } });
  expect(await renderChannel(t, 'sms', { ...ayse, vars })).toEqual({ ok: true, content: { text: 'Ali clean yes' } });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
