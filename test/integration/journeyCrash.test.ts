/**
 * Journeys under a worker crash, on the real stack: 200 profiles wait in a journey, the
 * event that moves them all is posted, and the worker process is SIGKILLed while their pushes
 * go out. A new worker finishes every run: each profile pushed exactly once (the FCM
 * simulator counts what the devices showed), every path recorded once, the counts exact.
 */
import { eventually, startHarness, type Harness } from '../support/harness';
import { declareEvents, eventsOf } from '../support/eventTypes';
import { workerProcesses } from '../support/workerProcess';

const N = 200;
let h: Harness;
const workers = workerProcesses();

beforeAll(async () => {
  h = await startHarness('journeyCrash', { worker: false });
  expect((await h.call('POST', '/v1/templates', { id: 'crash', name: 'Crash', channels: { push: { title: 'Tek sefer', body: 'Bir kez' } } })).status).toBe(201);
  expect((await h.call('POST', '/v1/templates/crash/publish')).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await workers.killAll();
  await h?.close();
});

const stats = async () => (await h.call('GET', '/v1/journeys/crash/stats')).body;

test(`a worker SIGKILLed while ${N} waiting profiles are moved on: each is pushed once and its path recorded once`, async () => {
  const def = {
    id: 'crash', name: 'Crash', entry: { kind: 'event', event: 'crash.start' }, reEntry: { policy: 'never' },
    steps: [
      { id: 'go', kind: 'waitForEvent', event: 'crash.go', timeout: { days: 1 }, next: { received: 'push', timedOut: 'end' } },
      { id: 'push', kind: 'send', template: { id: 'crash' }, channels: ['push'], category: 'transactional', next: 'end' },
      { id: 'end', kind: 'exit' },
    ],
  };
  await declareEvents(h, eventsOf(def));
  expect((await h.call('POST', '/v1/journeys', def)).status).toBe(201);
  expect((await h.call('POST', '/v1/journeys/crash/publish')).status).toBe(201);
  const people = Array.from({ length: N }, (_, i) => `crash-${i}`);
  for (const externalId of people) expect((await h.call('POST', '/v1/profiles', { externalId, devices: [{ token: `tok-${externalId}`, platform: 'android' }] })).status).toBeLessThan(300);

  const first = workers.spawn(h);
  expect((await h.call('POST', '/v1/events', { events: people.map((externalId) => ({ externalId, name: 'crash.start' })) })).status).toBe(200);
  await eventually(async () => (await stats()).steps.go.waiting === N, 180_000, 500);

  expect((await h.call('POST', '/v1/events', { events: people.map((externalId) => ({ externalId, name: 'crash.go' })) })).status).toBe(200);
  const ours = () => h.push.pushes.filter((p) => p.token.startsWith('tok-crash-'));
  await eventually(async () => ours().length >= 20, 120_000, 20);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const beforeRestart = ours().length;
  console.log(`journey crash: ${beforeRestart} of ${N} pushes shown when the worker was killed`);
  expect(beforeRestart).toBeLessThan(N);

  workers.spawn(h);
  await eventually(async () => (await stats()).totals.completed === N, 240_000, 500);
  const byToken = new Map<string, number>();
  for (const p of ours()) byToken.set(p.token, (byToken.get(p.token) ?? 0) + 1);
  expect(byToken.size).toBe(N);
  expect([...byToken.values()].every((n) => n === 1)).toBe(true);
  const s = await stats();
  expect(s.totals).toEqual({ entered: N, active: 0, completed: N, converted: 0, exited: 0 });
  expect(s.steps.go).toMatchObject({ entered: N, waiting: 0, left: { push: N } });
  expect(s.steps.push).toMatchObject({ entered: N, waiting: 0, left: { end: N } });
  const sample = (await h.call('GET', '/v1/journeys/crash/profiles/crash-7')).body.runs[0];
  expect(sample.path.map((p: { stepId: string }) => p.stepId)).toEqual(['go', 'push', 'end']);
}, 600_000);
