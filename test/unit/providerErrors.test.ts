/** What a tenant sees of a provider's failure: provider, status class and a short code, never the address or the raw answer. */
import { publicProviderError, publicSkipReason } from '../../messages/providerErrors';

const PUSH = 'http://10.0.3.7:8080/v1/projects/rota/messages:send';
const unregistered = `${PUSH}: HTTP 404 {"error":{"code":404,"status":"NOT_FOUND","message":"Requested entity was not found.","details":[{"errorCode":"UNREGISTERED"}]}}`;

test.each([
  ['push', unregistered, { provider: 'push', status: '4xx', code: 'UNREGISTERED' }],
  ['push', `${PUSH}: HTTP 400 {"error":{"code":400,"status":"INVALID_ARGUMENT","message":"token secret-abc"}}`, { provider: 'push', status: '4xx', code: 'INVALID_ARGUMENT' }],
  ['sms', 'http://sms.internal/sms/send: HTTP 400 {"error":{"code":"invalid_request","message":"to: bad; text: empty"}}', { provider: 'sms', status: '4xx', code: 'invalid_request' }],
  ['sms', 'http://sms.internal/sms/send: HTTP 503 <html>upstream http://10.0.0.9 down</html>', { provider: 'sms', status: '5xx', code: 'http_503' }],
  ['push', `${PUSH}: HTTP 400 {"error":{"status":"has spaces and http://x"}}`, { provider: 'push', status: '4xx', code: 'http_400' }],
  ['push', `${PUSH}: TypeError: fetch failed`, { provider: 'push', code: 'unreachable' }],
  ['push', `${PUSH}: TimeoutError: The operation was aborted due to timeout`, { provider: 'push', code: 'timeout' }],
  ['email', 'something else entirely', { provider: 'smtp', code: 'error' }],
] as const)('%s: %s', (channel, raw, expected) => {
  expect(publicProviderError(channel, raw)).toEqual(expected);
});

test('skip reasons: each provider failure summarised, the same failure once; the gate reasons unchanged', () => {
  const other = `${PUSH}: HTTP 404 {"error":{"status":"NOT_FOUND"}}`;
  expect(publicSkipReason('push', `provider_rejected: ${unregistered}; ${unregistered}; ${other}`)).toBe('provider_rejected: push 4xx UNREGISTERED; push 4xx NOT_FOUND');
  expect(publicSkipReason('sms', 'provider_rejected: http://sms.internal/sms/send: HTTP 400 {"error":{"code":"invalid_request","message":"a; b"}}')).toBe('provider_rejected: sms 4xx invalid_request');
  expect(publicSkipReason('sms', 'gave_up: http://sms.internal/sms/send: HTTP 503 {}')).toBe('gave_up: sms 5xx http_503');
  expect(publicSkipReason('push', 'gave_up: Activity task timed out')).toBe('gave_up: push timeout');
  for (const reason of ['no_device', 'no_consent: MESAJ is RET', 'quiet_hours until 08:00 Europe/Istanbul']) expect(publicSkipReason('sms', reason)).toBe(reason);
});

test("a push to several devices: each adapter's failure summarised, with no address or provider text", () => {
  const reason = 'provider_rejected: fcm: HTTP 400 code=INVALID_ARGUMENT kind=invalid The registration token is not a valid FCM registration token; apns: HTTP 400 code=BadDeviceToken kind=invalid; fcm: unreachable kind=unavailable';
  expect(publicSkipReason('push', reason)).toBe('provider_rejected: push 4xx INVALID_ARGUMENT; push 4xx BadDeviceToken; push unreachable');
});
