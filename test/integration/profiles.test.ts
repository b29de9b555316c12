/** Device registration endpoints and personal-data erasure. */
import { finalMessage, startHarness, type Harness } from '../support/harness';
import { capLedgerId } from '../../gate/capLedger';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('profiles');
});
afterAll(async () => h?.close());

test('devices are registered, updated and unregistered through their own endpoints', async () => {
  expect((await h.call('POST', '/v1/profiles', { externalId: 'dev' })).status).toBe(201);
  const added = await h.call('POST', '/v1/profiles/dev/devices', { token: 'tok-1', platform: 'ios', timeZone: 'Europe/Istanbul', locale: 'tr-TR' });
  expect(added.body.devices).toMatchObject([{ token: 'tok-1', platform: 'ios', timeZone: 'Europe/Istanbul', locale: 'tr-TR', pushEnabled: true }]);
  const updated = await h.call('POST', '/v1/profiles/dev/devices', { token: 'tok-1', platform: 'ios', pushEnabled: false });
  expect(updated.body.devices).toMatchObject([{ token: 'tok-1', pushEnabled: false }]);
  expect((await h.call('POST', '/v1/profiles/dev/devices', { token: 'tok-1', platform: 'blackberry' })).status).toBe(400);
  expect((await h.call('POST', '/v1/profiles/nobody/devices', { token: 'tok-2', platform: 'ios' })).status).toBe(404);
  expect((await h.call('DELETE', '/v1/profiles/dev/devices/tok-1')).status).toBe(204);
  expect((await h.call('GET', '/v1/profiles/dev')).body.devices).toEqual([]);
  expect((await h.call('DELETE', '/v1/profiles/dev/devices/tok-1')).status).toBe(404);
});

test('erasure deletes the profile and leaves no personal data in delivery or message records', async () => {
  await h.call('POST', '/v1/profiles', { externalId: 'forget-me', msisdn: '+905320001122', email: 'forget@example.com', devices: [{ token: 'sim-silent-forget', platform: 'android' }] });
  await h.call('POST', '/v1/events', { events: [{ eventId: 'forget-1', name: 'purchase', externalId: 'forget-me', attributes: { note: 'personal' } }] });
  const sent = await h.call('POST', '/v1/messages', { to: { externalId: 'forget-me' }, push: { title: 't', body: 'b' }, fallbackAfterSeconds: 1 });
  expect((await finalMessage(h, sent.body.id)).status).toBe('sms_sent_after_push_timeout');
  // A commercial send leaves the profile a frequency-cap ledger, which names it too.
  const commercial = await h.call('POST', '/v1/messages', { to: { externalId: 'forget-me' }, category: 'commercial', push: { title: 't', body: 'b' }, fallbackAfterSeconds: 1 });
  await finalMessage(h, commercial.body.id);
  const profileId = (await h.db.profileKeys.findOne({ _id: 'demo:x:forget-me' }).lean())!.profileId;
  expect(await h.db.capLedgers.countDocuments({ _id: capLedgerId(profileId) })).toBe(1);

  expect((await h.call('DELETE', '/v1/profiles/forget-me')).status).toBe(204);
  expect(await h.db.capLedgers.countDocuments({ _id: capLedgerId(profileId) })).toBe(0);
  expect((await h.call('GET', '/v1/profiles/forget-me')).status).toBe(404);
  expect(await h.db.events.countDocuments({ appId: 'demo', eventId: 'forget-1' })).toBe(0);
  expect(await h.db.eventCounters.countDocuments({ appId: 'demo', name: 'purchase' })).toBe(0);
  const stored = JSON.stringify([await h.db.deliveries.find({ appId: 'demo' }).lean(), await h.db.messages.find({ appId: 'demo' }).lean()]);
  for (const personal of ['+905320001122', 'sim-silent-forget', 'forget-me', 'forget@example.com']) expect(stored).not.toContain(personal);
  const msg = await h.call('GET', `/v1/messages/${sent.body.id}`);
  expect(msg.body.to.externalId).toBe('erased');
  expect(msg.body.deliveries).toHaveLength(2);
  expect(stored).not.toContain(profileId);
  expect((await h.call('DELETE', '/v1/profiles/forget-me')).status).toBe(404);
  // The externalId is free again: a new person may take it.
  expect((await h.call('POST', '/v1/profiles', { externalId: 'forget-me' })).status).toBe(201);
});
