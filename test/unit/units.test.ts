/** Pure pieces: phone normalisation, deterministic ids, receipt tokens, the send gate, config errors. */
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../config';
import { decideSend } from '../../gate/sendGate';
import { newMessageId, pushDeliveryId } from '../../lib/ids';
import { normalizeMsisdn } from '../../lib/phone';
import { receiptToken, verifyReceiptToken } from '../../lib/receiptTokens';
import { deviceBehaviour as behaviourOf } from '../../simulators/deviceReceipts';
import { generateApiKey, parseApiKey } from '../../tenants/apiKeys';

test.each([
  ['+905321234567', '+905321234567'],
  ['05321234567', '+905321234567'],
  ['0532 123 45 67', '+905321234567'],
  ['5321234567', '+905321234567'],
  ['905321234567', '+905321234567'],
  ['0090 532 123 45 67', '+905321234567'],
  ['+44 20 7946 0958', '+442079460958'],
  ['12345', undefined],
  ['0212 123 45 67', undefined],
  ['+0123456789', undefined],
])('normalizeMsisdn(%s) = %s', (input, expected) => {
  expect(normalizeMsisdn(input)).toBe(expected);
});

test('message ids: derived from an idempotency key they are stable, per app, and valid UUIDs', () => {
  const a = newMessageId('app1', 'order-1');
  expect(newMessageId('app1', 'order-1')).toBe(a);
  expect(newMessageId('app2', 'order-1')).not.toBe(a);
  expect(z.uuid().safeParse(a).success).toBe(true);
  expect(newMessageId('app1')).not.toBe(newMessageId('app1'));
  expect(pushDeliveryId('app1', a, 'secret-token')).not.toContain('secret-token');
  expect(pushDeliveryId('app1', a, 'secret-token').startsWith('app1:')).toBe(true);
});

test('receipt tokens bind app and message', () => {
  const t = receiptToken('s3cret-s3cret-s3cret', 'app', 'm1');
  expect(verifyReceiptToken('s3cret-s3cret-s3cret', 'app', 'm1', t)).toBe(true);
  expect(verifyReceiptToken('s3cret-s3cret-s3cret', 'app', 'm2', t)).toBe(false);
  expect(verifyReceiptToken('s3cret-s3cret-s3cret', 'other', 'm1', t)).toBe(false);
});

test('API keys round-trip through the parser', () => {
  const key = generateApiKey();
  expect(parseApiKey(key)).toEqual({ id: key.split('_')[1], secret: key.split('_')[2] });
  expect(parseApiKey('rota_short_x')).toBeUndefined();
});

describe('send gate', () => {
  const device = { token: 't', platform: 'ios' as const, pushEnabled: true, updatedAt: new Date() };
  test('push needs a push-enabled device', () => {
    expect(decideSend({ profile: { devices: [] }, channel: 'push', category: 'transactional' })).toMatchObject({ allowed: false, reason: expect.stringMatching(/^no_device/) });
    expect(decideSend({ profile: { devices: [{ ...device, pushEnabled: false }] }, channel: 'push', category: 'commercial' })).toMatchObject({ allowed: false, reason: expect.stringMatching(/^push_disabled/) });
    expect(decideSend({ profile: { devices: [device] }, channel: 'push', category: 'commercial' }).allowed).toBe(true);
  });
  test('SMS needs a number; transactional sends are marked consent-exempt', () => {
    expect(decideSend({ profile: { devices: [] }, channel: 'sms', category: 'transactional' }).allowed).toBe(false);
    expect(decideSend({ profile: { devices: [], msisdn: '+905321234567' }, channel: 'sms', category: 'transactional' })).toEqual({ allowed: true, reason: 'msisdn_present (transactional: consent-exempt)' });
  });
});

test('the push simulators read device behaviour from the token', () => {
  expect(behaviourOf('sim-delivers-x', 100)).toEqual({ kind: 'delivers', delayMs: 100 });
  expect(behaviourOf('sim-delivers-2500ms-x', 100)).toEqual({ kind: 'delivers', delayMs: 2500 });
  expect(behaviourOf('sim-silent-x', 100)).toEqual({ kind: 'silent' });
  expect(behaviourOf('sim-unregistered-x', 100)).toEqual({ kind: 'unregistered' });
  expect(behaviourOf('sim-slowack-3000ms-x', 100)).toEqual({ kind: 'silent', ackDelayMs: 3000 });
});

test('a bad configuration names the variable', () => {
  const good = { MONGODB_URI: 'mongodb://h/x', TEMPORAL_ADDRESS: 'h:7233', SMTP_URL: 'smtp://h:25', SMS_PROVIDER_URL: 'http://h', RECEIPT_SECRET: 'x'.repeat(16) };
  expect(loadConfig(good).PORT).toBe(3000);
  expect(() => loadConfig({ ...good, PORT: 'eighty' })).toThrow(ConfigError);
  expect(() => loadConfig({ ...good, TEMPORAL_ADDRESS: 'nohostport' })).toThrow(/TEMPORAL_ADDRESS: must be host:port/);
  expect(() => loadConfig({ ...good, MONGODB_URI: undefined })).toThrow(/MONGODB_URI/);
});
