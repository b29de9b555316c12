/**
 * Nothing twice when a worker dies: the worker runs as its own process, is SIGKILLed after
 * the push went out, and a new worker finishes the message. The simulators count the sends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eventually, finalMessage, startHarness, type Harness } from '../support/harness';

let h: Harness;
const workers: ChildProcess[] = [];

function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../worker.ts')], {
    env: { ...process.env, ...h.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  h = await startHarness('crash', { worker: false });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await h?.close();
});

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
