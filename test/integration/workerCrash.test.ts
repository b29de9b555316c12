/**
 * Nothing twice when a worker dies: the worker runs as its own process, is SIGKILLed after
 * the push went out, and a new worker finishes the message. The simulators count the sends.
 */
import { workerProcesses } from '../support/workerProcess';
import { eventually, finalMessage, startHarness, type Harness } from '../support/harness';

let h: Harness;
const workers = workerProcesses();
const spawnWorker = () => workers.spawn(h);

beforeAll(async () => {
  h = await startHarness('crash', { worker: false });
});
// Each test starts from no worker at all, so the one it kills is the only one that can hold the work.
afterEach(() => workers.killAll());
afterAll(async () => h?.close());

test('a worker SIGKILLed after the push: exactly one push and one SMS', async () => {
  await h.call('POST', '/v1/profiles', { externalId: 'crash', msisdn: '+905551112233', devices: [{ token: 'sim-silent-crash', platform: 'android' }] });
  const first = spawnWorker();
  const res = await h.call('POST', '/v1/messages', { to: { externalId: 'crash' }, push: { title: 'Hello', body: 'World' }, fallbackAfterSeconds: 8 });
  expect(res.status).toBe(202);
  const id = res.body.id as string;

  await eventually(async () => h.push.pushes.some((p) => p.data.rota_message_id === id));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  spawnWorker();
  const msg = await finalMessage(h, id);
  expect(msg.status).toBe('sms_sent_after_push_timeout');
  // What the phone got: one push, one SMS. A kill between the provider call and the record's
  // completion would make the new worker call again, and the idempotency key would absorb it.
  expect(h.push.pushes.filter((p) => p.data.rota_message_id === id)).toHaveLength(1);
  expect(h.sms.messages.filter((s) => s.reference.includes(id))).toHaveLength(1);
  expect(h.sms.callsFor(id)).toBe(1); // the SMS was sent by the second worker alone
  expect(msg.deliveries.map((d: { channel: string; state: string }) => `${d.channel}:${d.state}`)).toEqual(['push:sent', 'sms:sent']);
});

test('a worker SIGKILLed between the provider call and recording it: the retry is absorbed, the device gets one push', async () => {
  await h.call('POST', '/v1/profiles', { externalId: 'window', msisdn: '+905551112244', devices: [{ token: 'sim-slowack-4000ms-window', platform: 'android' }] });
  const first = spawnWorker();
  const res = await h.call('POST', '/v1/messages', { to: { externalId: 'window' }, push: { title: 'Hello', body: 'World' }, fallbackAfterSeconds: 5 });
  const id = res.body.id as string;

  // The simulator has the push but has not answered yet: the delivery record is still pending.
  await eventually(async () => h.push.callsFor(id) === 1);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const pending = await h.db.deliveries.findOne({ appId: 'demo', messageId: id, channel: 'push' }).lean();
  expect(pending?.state).toBe('pending');

  spawnWorker();
  const msg = await finalMessage(h, id, 90_000);
  expect(msg.status).toBe('sms_sent_after_push_timeout');
  expect(h.push.callsFor(id)).toBe(2); // the new worker called again…
  expect(h.push.pushes.filter((p) => p.data.rota_message_id === id)).toHaveLength(1); // …and the idempotency key kept the device at one push
  expect(h.sms.messages.filter((s) => s.reference.includes(id))).toHaveLength(1);
  expect(msg.deliveries.find((d: { channel: string }) => d.channel === 'push')).toMatchObject({ state: 'sent', attempts: 2 });
}, 150_000);
