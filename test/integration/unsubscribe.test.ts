/**
 * The unsubscribe link of commercial e-mail: the headers go out over real SMTP, opening the
 * link changes nothing, the one-click POST stores an EPOSTA RET through the consent store
 * (audited, pending for İYS), and a repeat or a forged token changes nothing.
 */
import { createSmtpEmailProvider } from '../../providers/email';
import { formatIysDate } from '../../iys/dates';
import { unsubscribeToken, unsubscribeUrl } from '../../lib/unsubscribeTokens';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('unsubscribe');
});
afterAll(async () => h?.close());

async function profileWithEmailConsent(externalId: string) {
  expect((await h.call('POST', '/v1/profiles', { externalId, email: `${externalId}@example.com` })).status).toBe(201);
  const put = await h.call('PUT', `/v1/profiles/${externalId}/consents/EPOSTA`, { status: 'ONAY', source: 'HS_WEB', consentDate: formatIysDate(Date.now() - 3_600_000) });
  expect(put.status).toBe(200);
  const key = await h.db.profileKeys.findOne({ _id: `demo:x:${externalId}` }).lean();
  return key!.profileId;
}

const link = (profileId: string) => unsubscribeUrl(h.api.url, unsubscribeToken(h.config.RECEIPT_SECRET, 'demo', profileId));
const epostaOf = async (profileId: string) => (await h.db.profiles.findOne({ _id: profileId }).lean())!.consents?.EPOSTA;

// An SMTP server given from outside (SMTP_URL) has no message API to read the mail back from.
const apiUrl = process.env.SMTP_API_URL;
(apiUrl ? test : test.skip)('commercial mail carries List-Unsubscribe with one-click, over real SMTP', async () => {
  const provider = createSmtpEmailProvider(process.env.SMTP_URL!, 'Rota <no-reply@rota.local>');
  const reference = `unsub-${Date.now()}`;
  await provider.send({ to: 'elif@example.com', subject: 'Kampanya', text: 'İndirim', reference, unsubscribeUrl: 'https://rota.example/v1/unsubscribe/tok' });
  provider.close();
  const { messages } = (await (await fetch(`${apiUrl}/api/v1/messages`)).json()) as { messages: { raw: string }[] };
  const raw = messages.find((m) => m.raw.includes(reference))!.raw;
  expect(raw).toMatch(/^List-Unsubscribe: <https:\/\/rota\.example\/v1\/unsubscribe\/tok>/m);
  expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
});

test('opening the link shows a confirm form and changes nothing; the one-click POST stores EPOSTA RET once', async () => {
  const profileId = await profileWithEmailConsent('elif');
  const page = await fetch(link(profileId));
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<form method="post">');
  expect((await epostaOf(profileId))?.status).toBe('ONAY');

  const click = await fetch(link(profileId), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  expect(click.status).toBe(200);
  const after = await epostaOf(profileId);
  expect(after).toMatchObject({ status: 'RET', source: 'HS_EPOSTA' });
  const change = await h.db.consentChanges.findOne({ _id: after!.changeId }).lean();
  expect(change).toMatchObject({ status: 'RET', actor: { job: 'unsubscribe_link' }, iys: { state: 'pending' } });
  expect(await h.db.consentAudit.countDocuments({ appId: 'demo', profileId, changeId: after!.changeId })).toBe(1);

  // A second click (or a mail client's retry) stores nothing new.
  expect((await fetch(link(profileId), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })).status).toBe(200);
  expect(await h.db.consentChanges.countDocuments({ appId: 'demo', profileId, type: 'EPOSTA' })).toBe(2);
});

test('a forged or altered token is a 404 and changes nothing', async () => {
  const profileId = await profileWithEmailConsent('mert');
  const good = unsubscribeToken(h.config.RECEIPT_SECRET, 'demo', profileId);
  const forged = unsubscribeToken('another-secret-0123456789', 'demo', profileId);
  const altered = `${Buffer.from(JSON.stringify(['demo', 'demo:someone-else'])).toString('base64url')}.${good.split('.')[1]}`;
  for (const token of [forged, altered, 'not-a-token-at-all']) {
    const res = await fetch(`${h.api.url}/v1/unsubscribe/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(404);
  }
  expect((await epostaOf(profileId))?.status).toBe('ONAY');
});
