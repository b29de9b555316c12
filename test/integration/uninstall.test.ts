/**
 * Uninstall tracking on the profile: a token a provider reported dead is marked with the
 * time, visible on the profile and as a segment condition, and a new registration of the
 * token (a reinstall) clears it.
 */
import { markTokenUninstalled } from '../../data/profileDevices';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('uninstall');
});
afterAll(async () => h?.close());

const count = async (rule: unknown) => (await h.call('POST', '/v1/segments/preview', { rule, sample: 0 })).body.count as number;

test('a dead token is marked uninstalled, shown on the profile, found by segments, and cleared by a reinstall', async () => {
  const created = await h.call('POST', '/v1/profiles', { externalId: 'zeynep', devices: [{ token: 'sim-unregistered-zeynep', platform: 'ios' }, { token: 'sim-delivers-zeynep', platform: 'android' }] });
  expect(created.status).toBe(201);
  expect(await count({ device: { uninstalled: true } })).toBe(0);
  expect(await count({ device: { platform: 'ios' } })).toBe(1);

  const at = new Date();
  const profileId = (await h.db.profileKeys.findOne({ _id: 'demo:x:zeynep' }).lean())!.profileId;
  expect(await markTokenUninstalled(h.db, 'demo', 'sim-unregistered-zeynep', at)).toEqual([profileId]);
  // Said twice (a retried activity): nothing more changes.
  expect(await markTokenUninstalled(h.db, 'demo', 'sim-unregistered-zeynep', at)).toEqual([]);

  const view = (await h.call('GET', '/v1/profiles/zeynep')).body;
  const ios = view.devices.filter((d: { token: string }) => d.token === 'sim-unregistered-zeynep');
  expect(ios).toEqual([expect.objectContaining({ platform: 'ios', uninstalledAt: at.toISOString() })]);
  expect(view.devices.find((d: { token: string }) => d.token === 'sim-delivers-zeynep').uninstalledAt).toBeUndefined();
  expect(await count({ device: { uninstalled: true } })).toBe(1);
  expect(await count({ device: { uninstalled: true, platform: 'ios' } })).toBe(1);
  expect(await count({ device: { platform: 'ios' } })).toBe(0);
  expect(await count({ device: { platform: 'android', pushEnabled: true } })).toBe(1);

  // The app is installed again and registers the same token: a live device again.
  expect((await h.call('POST', '/v1/profiles/zeynep/devices', { token: 'sim-unregistered-zeynep', platform: 'ios' })).status).toBeLessThan(300);
  const again = (await h.call('GET', '/v1/profiles/zeynep')).body.devices.filter((d: { token: string }) => d.token === 'sim-unregistered-zeynep');
  expect(again).toHaveLength(1);
  expect(again[0].uninstalledAt).toBeUndefined();
  expect(await count({ device: { uninstalled: true } })).toBe(0);
});

test('a registration newer than the dead-token answer is not marked', async () => {
  const before = new Date(Date.now() - 60_000);
  expect((await h.call('POST', '/v1/profiles', { externalId: 'can', devices: [{ token: 'sim-delivers-can', platform: 'android' }] })).status).toBe(201);
  expect(await markTokenUninstalled(h.db, 'demo', 'sim-delivers-can', before)).toEqual([]);
});

test('uninstalled with a push setting is a 400 naming the field', async () => {
  const res = await h.call('POST', '/v1/segments/preview', { rule: { device: { uninstalled: true, pushEnabled: true } } });
  expect(res.status).toBe(400);
  expect(res.body.error.details[0].path).toBe('body.rule.device.pushEnabled');
});
