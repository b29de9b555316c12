/**
 * POST /v1/messages on the send pipeline, on the real stack: a template (or inline content)
 * rendered per channel at send time, a channel order with e-mail, read back from the FCM, web
 * push and SMS simulators and the run's SMTP sink; the unsubscribe link of a received commercial
 * e-mail, clicked one-click, blocks the next one.
 */
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatIysDate } from '../../iys/dates';
import { resolveTemporalCli } from '../../infra/tools';
import { messageStatus } from '../../data/messageTimeline';
import { messageWorkflowId } from '../../workflows/pushWithSmsFallback';
import { startWebPushSimulator, type WebPushSimulator } from '../../simulators/webPushSimulator';
import { saveApiKey } from '../../tenants/apiKeys';
import { eventually, startHarness, type Harness } from '../support/harness';
import { rotaWorkflows } from '../support/workflows';

let h: Harness;
let webPush: WebPushSimulator;
/** The app's VAPID public key (PUT /v1/settings/channels/webpush made the pair): browsers subscribe with it. */
let vapidPublicKey: string;
const smtpApi = process.env.SMTP_API_URL;
const withSink = smtpApi ? test : test.skip;

const TEMPLATE = {
  id: 'kargo',
  name: 'Kargo',
  channels: {
    push: { title: 'Merhaba {{ profile.attributes.firstName }}', body: 'Siparişin {{ vars.orderId }} yola çıktı: {{ profile.attributes.city | upcase: "tr" }}' },
    sms: { text: 'Sayın {{ profile.attributes.firstName }}, siparişiniz {{ vars.orderId }} kargoda. Şimdiden güle güle kullanın.' },
    email: {
      subject: 'Siparişin {{ vars.orderId }} yolda, {{ profile.attributes.firstName }}',
      html: '<p>Merhaba {{ profile.attributes.firstName }}, ğüşıöç İĞÜŞÖÇ</p>',
      text: 'Merhaba {{ profile.attributes.firstName }}, ğüşıöç İĞÜŞÖÇ',
    },
    webPush: { title: 'Şule, siparişin {{ vars.orderId }} yolda', body: 'Kargo takibi için dokun: {{ profile.attributes.city | upcase: "tr" }}', url: 'https://shop.example/siparis/{{ vars.orderId }}' },
  },
};

beforeAll(async () => {
  h = await startHarness('channels');
  webPush = await startWebPushSimulator({ receiptUrl: `${h.api.url}/v1/receipts`, receiptDelayMs: 100 });
  const admin = { authorization: `Bearer ${await saveApiKey(h.db, { appId: 'demo', name: 'admin', roles: ['admin'] })}` };
  const vapid = await h.call('PUT', '/v1/settings/channels/webpush', { subject: 'mailto:ops@example.com' }, admin);
  expect(vapid.status).toBe(200);
  vapidPublicKey = vapid.body.summary.publicKey;
  for (const name of ['firstName', 'city']) expect((await h.call('POST', '/v1/attributes', { name, type: 'string' })).status).toBe(201);
  expect((await h.call('POST', '/v1/templates', TEMPLATE)).status).toBe(201);
  expect((await h.call('POST', '/v1/templates/kargo/publish')).status).toBe(201);
  // Only SMS, and its variable has no default: a send without it skips the channel.
  expect((await h.call('POST', '/v1/templates', { id: 'kod', name: 'Kod', channels: { sms: { text: 'Kodun {{ vars.code }}' }, email: { subject: 'Kodun', text: 'Kodun {{ vars.code | default: "yok" }}' } } })).status).toBe(201);
  expect((await h.call('POST', '/v1/templates/kod/publish')).status).toBe(201);
});
afterAll(async () => {
  await h?.close();
  await webPush?.close();
});

async function profile(externalId: string, extra: Record<string, unknown> = {}) {
  const res = await h.call('POST', '/v1/profiles', {
    externalId, email: `${externalId}@example.com`, msisdn: '+905321112233', attributes: { firstName: 'Şule', city: 'izmir' }, ...extra,
  });
  expect(res.status).toBe(201);
  const key = await h.db.profileKeys.findOne({ _id: `demo:x:${externalId}` }).lean();
  return key!.profileId;
}

async function send(body: Record<string, unknown>): Promise<string> {
  const res = await h.call('POST', '/v1/messages', { fallbackAfterSeconds: 120, ...body });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const finished = (id: string) =>
  eventually(async () => {
    const res = await h.call('GET', `/v1/messages/${id}`);
    return res.body && !['accepted', 'push_sent'].includes(res.body.status) ? res.body : undefined;
  });

// --- reading mail back from the sink: headers unfolded, bodies and encoded words decoded ---

interface Mail { headers: Record<string, string>; subject: string; text?: string; html?: string }

function qp(s: string): string {
  const bytes: number[] = [];
  const src = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < src.length; i++) {
    const hex = src.slice(i + 1, i + 3);
    if (src[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(src.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

const decodeWords = (v: string) =>
  v.replace(/(=\?[^?]+\?[QB]\?[^?]*\?=)\s+(?==\?)/gi, '$1').replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : qp(text.replace(/_/g, ' ')),
  );

function headersOf(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  return out;
}

function parseMail(raw: string): Mail {
  const split = (s: string) => {
    const at = s.search(/\r?\n\r?\n/);
    return { head: headersOf(s.slice(0, at)), body: s.slice(at).replace(/^\r?\n\r?\n/, '') };
  };
  const top = split(raw);
  const mail: Mail = { headers: top.head, subject: decodeWords(top.head.subject ?? '') };
  const take = (head: Record<string, string>, body: string) => {
    const enc = (head['content-transfer-encoding'] ?? '7bit').toLowerCase();
    const decoded = enc === 'quoted-printable' ? qp(body) : enc === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
    if (/text\/html/i.test(head['content-type'] ?? '')) mail.html = decoded.trim();
    else if (/text\/plain/i.test(head['content-type'] ?? '')) mail.text = decoded.trim();
  };
  const boundary = /boundary="?([^";]+)"?/i.exec(top.head['content-type'] ?? '')?.[1];
  if (!boundary) take(top.head, top.body);
  else for (const part of top.body.split(`--${boundary}`).slice(1, -1)) {
    const p = split(part.replace(/^\r?\n/, ''));
    take(p.head, p.body);
  }
  return mail;
}

async function mailsFor(messageId: string): Promise<Mail[]> {
  const { messages } = (await (await fetch(`${smtpApi}/api/v1/messages`)).json()) as { messages: { raw: string }[] };
  return messages.filter((m) => m.raw.includes(`${messageId}:email@rota`)).map((m) => parseMail(m.raw));
}

const smsFor = (id: string) => h.sms.messages.filter((s) => s.reference.includes(id));
const pushesFor = (id: string) => h.push.pushes.filter((p) => p.data.rota_message_id === id);

async function epostaConsent(externalId: string, status: 'ONAY' | 'RET') {
  const put = await h.call('PUT', `/v1/profiles/${externalId}/consents/EPOSTA`, { status, source: 'HS_WEB', consentDate: formatIysDate(Date.now() - 3_600_000) });
  expect(put.status).toBe(200);
}

describe('a template renders Turkish text in each channel, with the profile and the send-time variables', () => {
  test('push', async () => {
    await profile('tpl-push', { devices: [{ token: 'sim-delivers-tplpush', platform: 'android' }] });
    const id = await send({ to: { externalId: 'tpl-push' }, template: { id: 'kargo', variables: { orderId: 'TR-42' } }, channels: ['push'] });
    expect((await finished(id)).status).toBe('delivered_by_push');
    expect(pushesFor(id).map((p) => [p.notification?.title, p.notification?.body])).toEqual([['Merhaba Şule', 'Siparişin TR-42 yola çıktı: İZMİR']]);
  });

  test('web push: encrypted to the browser’s subscription with the app’s VAPID key, decrypted intact', async () => {
    const subscription = webPush.subscribe({ applicationServerKey: vapidPublicKey });
    await profile('tpl-web', { devices: [{ token: subscription.endpoint, platform: 'web', webPush: subscription.keys }] });
    const id = await send({ to: { externalId: 'tpl-web' }, template: { id: 'kargo', variables: { orderId: 'TR-44' } }, channels: ['push'] });
    expect((await finished(id)).status).toBe('delivered_by_push'); // the service worker's receipt came back
    const got = webPush.pushes.filter((p) => p.data.rota_message_id === id);
    expect(got.map((p) => p.payload)).toMatchObject([
      { title: 'Şule, siparişin TR-44 yolda', body: 'Kargo takibi için dokun: İZMİR', data: { rota_url: 'https://shop.example/siparis/TR-44' } },
    ]);
    expect(got[0]!.vapid.k).toBe(vapidPublicKey);
  });

  test('SMS', async () => {
    await profile('tpl-sms');
    const id = await send({ to: { externalId: 'tpl-sms' }, template: { id: 'kargo', variables: { orderId: 'TR-43' } }, channels: ['sms'] });
    const msg = await finished(id);
    expect(msg.status).toBe('sms_sent');
    expect(msg.outcome).toBe('SMS sent');
    expect(smsFor(id).map((s) => s.text)).toEqual(['Sayın Şule, siparişiniz TR-43 kargoda. Şimdiden güle güle kullanın.']);
    expect(pushesFor(id)).toHaveLength(0);
  });

  withSink('e-mail (subject, HTML and text over SMTP); transactional mail carries no unsubscribe link', async () => {
    await profile('tpl-mail');
    const id = await send({ to: { externalId: 'tpl-mail' }, template: { id: 'kargo', version: 1, variables: { orderId: 'TR-44' } }, channels: ['email'] });
    const msg = await finished(id);
    expect(msg.status).toBe('email_sent');
    expect(msg.timeline.map((s: { step: string }) => s.step)).toEqual(['accepted', 'email_sent']);
    expect(msg.deliveries.map((d: { channel: string; state: string }) => `${d.channel}:${d.state}`)).toEqual(['email:sent']);
    const mails = await mailsFor(id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Siparişin TR-44 yolda, Şule');
    expect(mails[0]!.text).toBe('Merhaba Şule, ğüşıöç İĞÜŞÖÇ');
    expect(mails[0]!.html).toBe('<p>Merhaba Şule, ğüşıöç İĞÜŞÖÇ</p>');
    expect(mails[0]!.headers['list-unsubscribe']).toBeUndefined();
  });
});

withSink('["push","email"]: a silent device falls to e-mail after the timeout, a dead one at once', async () => {
  await profile('pe-silent', { devices: [{ token: 'sim-silent-pe', platform: 'android' }] });
  await profile('pe-dead', { devices: [{ token: 'sim-unregistered-pe', platform: 'android' }] });
  const inline = { push: { title: 'Kargo', body: 'Yolda' }, email: { subject: 'Kargo', text: 'Kargonuz yolda, {{ profile.attributes.firstName }}' } };
  const silent = await send({ to: { externalId: 'pe-silent' }, ...inline, channels: ['push', 'email'], fallbackAfterSeconds: 2 });
  const dead = await send({ to: { externalId: 'pe-dead' }, ...inline, channels: ['push', 'email'] });

  const s = await finished(silent);
  expect(s.status).toBe('email_sent_after_push_timeout');
  expect(s.timeline.map((x: { step: string }) => x.step)).toEqual(['accepted', 'push_sent', 'push_timed_out', 'email_sent']);
  expect((await mailsFor(silent)).map((m) => m.text)).toEqual(['Kargonuz yolda, Şule']);

  const d = await finished(dead);
  expect(d.status).toBe('email_sent_push_unavailable');
  expect(d.skipped.push).toMatch(/UNREGISTERED/);
  expect(await mailsFor(dead)).toHaveLength(1);
  expect(smsFor(silent).length + smsFor(dead).length).toBe(0);
});

withSink('commercial e-mail without EPOSTA ONAY is skipped with no_consent, and no mail goes', async () => {
  await profile('no-onay');
  const id = await send({ to: { externalId: 'no-onay' }, category: 'commercial', email: { subject: 'İndirim', text: 'Bugün %20' }, channels: ['email'] });
  const msg = await finished(id);
  expect(msg.status).toBe('skipped');
  expect(msg.skipped.email).toMatch(/^no_consent/);
  expect(msg.timeline.map((x: { step: string }) => x.step)).toEqual(['accepted', 'email_skipped']);
  expect(await mailsFor(id)).toHaveLength(0);
});

withSink("the unsubscribe link of a received commercial e-mail, POSTed one-click, stores EPOSTA RET and blocks the next commercial e-mail", async () => {
  const profileId = await profile('unsub');
  await epostaConsent('unsub', 'ONAY');
  const body = { to: { externalId: 'unsub' }, category: 'commercial', email: { subject: 'Kampanya', text: 'İndirim başladı', html: '<html><body><p>İndirim başladı</p></body></html>' }, channels: ['email'] };
  const first = await send(body);
  expect((await finished(first)).status).toBe('email_sent');
  const [mail] = await mailsFor(first);
  expect(mail!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
  const link = /^<([^>]+)>$/.exec(mail!.headers['list-unsubscribe']!.replace(/\s+/g, ''))![1]!;
  expect(link.startsWith(`${h.api.url}/v1/unsubscribe/`)).toBe(true);
  // The same link in the footer of both parts, the HTML's before </body>.
  expect(mail!.text).toContain(link);
  expect(mail!.text).toMatch(/To unsubscribe/);
  expect(mail!.html).toMatch(new RegExp(`<a href="${link.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">.*</p></body></html>$`));

  const click = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  expect(click.status).toBe(200);
  expect((await h.db.profiles.findOne({ _id: profileId }).lean())!.consents?.EPOSTA).toMatchObject({ status: 'RET', source: 'HS_EPOSTA' });

  const next = await send(body);
  const blocked = await finished(next);
  expect(blocked.status).toBe('skipped');
  expect(blocked.skipped.email).toMatch(/^consent_ret/);
  expect(await mailsFor(next)).toHaveLength(0);
});

withSink('a missing variable skips that channel with template_missing_variable and the next channel goes', async () => {
  await profile('missing');
  const id = await send({ to: { externalId: 'missing' }, template: { id: 'kod' }, channels: ['sms', 'email'] });
  const msg = await finished(id);
  expect(msg.status).toBe('email_sent');
  expect(msg.skipped.sms).toMatch(/^template_missing_variable: vars\.code in sms\.text/);
  expect(smsFor(id)).toHaveLength(0);
  expect((await mailsFor(id)).map((m) => m.text)).toEqual(['Kodun yok']);

  // With the variable, SMS goes and e-mail is never tried.
  const withCode = await send({ to: { externalId: 'missing' }, template: { id: 'kod', variables: { code: '4821' } }, channels: ['sms', 'email'] });
  expect((await finished(withCode)).status).toBe('sms_sent');
  expect(smsFor(withCode).map((s) => s.text)).toEqual(['Kodun 4821']);
  expect(await mailsFor(withCode)).toHaveLength(0);
});

test('the same idempotency key and body answer the first message; another body is a 409', async () => {
  await profile('idem');
  const body = { to: { externalId: 'idem' }, template: { id: 'kod', variables: { code: '1' } }, channels: ['sms'], idempotencyKey: 'idem-tpl-1' };
  const first = await h.call('POST', '/v1/messages', body);
  expect(first.status).toBe(202);
  const again = await h.call('POST', '/v1/messages', body);
  expect([again.status, again.body.id]).toEqual([200, first.body.id]);
  const other = await h.call('POST', '/v1/messages', { ...body, template: { id: 'kod', variables: { code: '2' } } });
  expect(other.status).toBe(409);
  expect((await finished(first.body.id)).status).toBe('sms_sent');
  expect(smsFor(first.body.id)).toHaveLength(1);
});

describe('bad bodies: a 400 naming the field, nothing written', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a repeated channel', { push: { body: 'b' }, channels: ['push', 'push'] }, 'body.channels'],
    ['an unknown channel', { push: { body: 'b' }, channels: ['push', 'fax'] }, 'body.channels.1'],
    ['an empty channel order', { push: { body: 'b' }, channels: [] }, 'body.channels'],
    ['a channel of the order without content', { push: { body: 'b' }, channels: ['push', 'email'] }, 'body.email'],
    ['content for a channel not in the order', { sms: { text: 'x' }, email: { subject: 's', text: 't' }, channels: ['sms'] }, 'body.email'],
    ['an e-mail without html or text', { email: { subject: 's' }, channels: ['email'] }, 'body.email.html'],
    ['a template and inline content', { template: { id: 'kod' }, sms: { text: 'x' } }, 'body.sms'],
    ['an unknown template', { template: { id: 'nope' }, channels: ['sms'] }, 'body.template.id'],
    ['a template version that does not exist', { template: { id: 'kod', version: 9 }, channels: ['sms'] }, 'body.template.version'],
    ['a template without content for a channel of the order', { template: { id: 'kod' }, channels: ['push'] }, 'body.channels'],
    ['a Liquid error in inline content', { email: { subject: 'Merhaba {{ profile.attributes.firstName ', text: 't' }, channels: ['email'] }, 'body.email.subject'],
  ];
  beforeAll(async () => {
    await profile('bad-bodies');
  });
  test.each(cases)('%s', async (_name, body, path) => {
    const before = await h.db.messages.countDocuments({ appId: 'demo' });
    const res = await h.call('POST', '/v1/messages', { to: { externalId: 'bad-bodies' }, ...body });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await h.db.messages.countDocuments({ appId: 'demo' })).toBe(before);
  });
});

test('bad content is a 400 also for an unknown recipient (not a 404)', async () => {
  const res = await h.call('POST', '/v1/messages', { to: { externalId: 'nobody-here' }, template: { id: 'nope' }, channels: ['sms'] });
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.template.id']);
  expect((await h.call('POST', '/v1/messages', { to: { externalId: 'nobody-here' }, template: { id: 'kod' }, channels: ['sms'] })).status).toBe(404);
});

test('OpenAPI documents the new body: template, channels and inline e-mail', async () => {
  const doc = (await h.call('GET', '/openapi.json')).body;
  const schema = doc.paths['/v1/messages'].post.requestBody.content['application/json'].schema;
  expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['template', 'channels', 'push', 'sms', 'email']));
  expect(schema.properties.channels.items.enum).toEqual(['push', 'sms', 'email']);
  expect(schema.properties.template.required).toEqual(['id']);
});

// Last: the run's channel-order histories replay against the current code; RECORD_HISTORIES=1 keeps two as fixtures (test/unit/replay.test.ts).
const RECORDED = ['email_sent_after_push_timeout', 'email_sent_push_unavailable'];
test("this run's channel-order histories replay against the current workflow code", async () => {
  const messages = (await h.db.messages.find({ appId: 'demo' }).lean()).filter((m) => !['push_sent', 'accepted'].includes(messageStatus(m)));
  expect(messages.map((m) => messageStatus(m))).toEqual(expect.arrayContaining([...RECORDED, 'email_sent', 'sms_sent', 'skipped']));
  const saved = new Set<string>();
  for (const m of messages) {
    const workflowId = messageWorkflowId('demo', m.messageId);
    await Worker.runReplayHistory(rotaWorkflows(), await h.temporal.workflow.getHandle(workflowId).fetchHistory(), workflowId);
    const status = messageStatus(m);
    if (process.env.RECORD_HISTORIES && RECORDED.includes(status) && !saved.has(status)) {
      const cli = (await resolveTemporalCli())!.path;
      const json = execFileSync(cli, ['workflow', 'show', '--address', process.env.TEMPORAL_ADDRESS!, '-w', workflowId, '--output', 'json'], { encoding: 'utf8' });
      writeFileSync(path.join(__dirname, '../histories', `pushWithSmsFallback-${status}.json`), json);
      saved.add(status);
    }
  }
});
