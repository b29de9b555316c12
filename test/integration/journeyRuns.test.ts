/**
 * Journey runs on the real stack through the API: events posted to /v1/events enter and move
 * runs on the Temporal dev server, sends reach the FCM simulator (whose devices post their
 * receipts back). A split sends each profile down the path its hash says, and its histories
 * replay; a duplicate entry event enters once; re-entry never / always; a version published
 * mid-run leaves running profiles on theirs; pause holds sends until resume; archive takes
 * running profiles out; API enrolment is idempotent by key.
 */
import { Worker } from '@temporalio/worker';
import { journeyWorkflowId, splitBucket, splitPath } from '../../domain/journeyRuns';
import { enterJourney } from '../../journeys/runs';
import { localId } from '../../lib/ids';
import { findProfileId } from '../../profiles/profileKeys';
import { journeyRunQuery } from '../../workflows/journeyRun';
import { eventually, startHarness, type Harness } from '../support/harness';
import { declareEvents, eventsOf } from '../support/eventTypes';
import { rotaWorkflows } from '../support/workflows';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('journeyRuns');
  for (const [id, title] of [['surum-1', 'Sürüm 1'], ['surum-2', 'Sürüm 2']] as const) {
    expect((await h.call('POST', '/v1/templates', { id, name: title, channels: { push: { title, body: 'Merhaba' } } })).status).toBe(201);
    expect((await h.call('POST', `/v1/templates/${id}/publish`)).status).toBe(201);
  }
}, 120_000);
afterAll(async () => h?.close());

async function journey(def: Record<string, unknown>): Promise<void> {
  await declareEvents(h, eventsOf(def));
  const created = await h.call('POST', '/v1/journeys', def);
  expect(created).toMatchObject({ status: 201 });
  expect((await h.call('POST', `/v1/journeys/${def.id}/publish`)).status).toBe(201);
}

async function profiles(prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const externalId = `${prefix}-${i}`;
    const res = await h.call('POST', '/v1/profiles', { externalId, devices: [{ token: `tok-${externalId}`, platform: 'android' }] });
    expect(res.status).toBeLessThan(300);
    ids.push(externalId);
  }
  return ids;
}

const post = async (events: Record<string, unknown>[]) => {
  const res = await h.call('POST', '/v1/events', { events });
  expect(res).toMatchObject({ status: 200 });
  return res.body;
};
const runs = async (journeyId: string, externalId: string) => {
  const res = await h.call('GET', `/v1/journeys/${journeyId}/profiles/${externalId}`);
  return res.status === 200 ? res.body : undefined;
};
const latestRun = async (journeyId: string, externalId: string) => (await runs(journeyId, externalId))?.runs?.[0];
const pushesTo = (externalId: string) => h.push.pushes.filter((p) => p.token === `tok-${externalId}`);
const profileId = async (externalId: string) => (await findProfileId(h.db, 'demo', { externalId }))!;
const handle = async (journeyId: string, externalId: string) => h.temporal.workflow.getHandle(journeyWorkflowId('demo', journeyId, localId(await profileId(externalId))));

/** A journey whose runs wait for `go` (a day at most), then push `template`. */
const waitThenPush = (id: string, template: string) => ({
  id, name: id, entry: { kind: 'event', event: `${id}.start` }, reEntry: { policy: 'always' },
  steps: [
    { id: 'go', kind: 'waitForEvent', event: `${id}.go`, timeout: { days: 1 }, next: { received: 'push', timedOut: 'end' } },
    { id: 'push', kind: 'send', template: { id: template }, channels: ['push'], category: 'transactional', next: 'end' },
    { id: 'end', kind: 'exit' },
  ],
});

test('a 50/50 split: each profile takes the path its hash gives, the counts add up, and the runs replay', async () => {
  await journey({
    id: 'ab', name: 'A/B', entry: { kind: 'event', event: 'ab.open' }, reEntry: { policy: 'never' },
    steps: [
      { id: 'split', kind: 'split', paths: [{ name: 'A', percent: 50, next: 'endA' }, { name: 'B', percent: 50, next: 'endB' }] },
      { id: 'endA', kind: 'exit' },
      { id: 'endB', kind: 'exit' },
    ],
  });
  const people = await profiles('ab', 60);
  await post(people.map((externalId) => ({ externalId, name: 'ab.open' })));
  for (const externalId of people) await eventually(async () => (await latestRun('ab', externalId))?.status === 'completed', 120_000, 200);

  let a = 0;
  for (const externalId of people) {
    const expected = splitPath([50, 50], splitBucket('ab', 1, 'split', await profileId(externalId))) === 0 ? 'A' : 'B';
    const run = await latestRun('ab', externalId);
    expect(run.path.map((p: { stepId: string; via: string }) => [p.stepId, p.via])).toEqual([['split', expected], [expected === 'A' ? 'endA' : 'endB', 'completed']]);
    if (expected === 'A') a++;
  }
  const stats = (await h.call('GET', '/v1/journeys/ab/stats')).body;
  expect(stats.totals).toEqual({ entered: 60, active: 0, completed: 60, converted: 0, exited: 0 });
  expect(stats.steps.split).toMatchObject({ entered: 60, waiting: 0, left: { endA: a, endB: 60 - a } });
  // Replaying a run's history takes the same path (the split is computed from ids, not drawn at run time).
  for (const externalId of people.slice(0, 5)) {
    const history = await (await handle('ab', externalId)).fetchHistory();
    await Worker.runReplayHistory(rotaWorkflows(), history, externalId);
  }
}, 240_000);

test('a duplicate entry event enters once; re-entry never refuses a second event, always takes it', async () => {
  const once = { id: 'once', name: 'once', entry: { kind: 'event', event: 'signup' }, reEntry: { policy: 'never' }, steps: [{ id: 'end', kind: 'exit' }] };
  await journey(once);
  await journey({ ...once, id: 'every', name: 'every', reEntry: { policy: 'always' } });
  const [p] = await profiles('dup', 1);
  await post([{ externalId: p, name: 'signup', eventId: 'signup-1' }]);
  await post([{ externalId: p, name: 'signup', eventId: 'signup-1' }]); // the client re-sent the batch
  for (const j of ['once', 'every']) await eventually(async () => (await latestRun(j, p!))?.status === 'completed', 60_000, 100);
  // The same event again after the run ended: still a duplicate.
  await post([{ externalId: p, name: 'signup', eventId: 'signup-1' }]);
  await post([{ externalId: p, name: 'signup', eventId: 'signup-2' }]);
  await eventually(async () => (await runs('every', p!))?.entries === 2 && (await latestRun('every', p!))?.status === 'completed', 60_000, 100);
  // `once` refused signup-2: its workflow ran and did not enter.
  await eventually(async () => (await (await handle('once', p!)).result())?.status === 'not_entered', 60_000, 200);
  expect((await runs('once', p!)).entries).toBe(1);
  expect((await runs('every', p!)).entries).toBe(2);
}, 120_000);

test('a version published mid-run leaves running profiles on theirs; new entries take the new one', async () => {
  await journey(waitThenPush('ver', 'surum-1'));
  const [early, later] = await profiles('ver', 2);
  await post([{ externalId: early, name: 'ver.start' }]);
  await eventually(async () => (await latestRun('ver', early!))?.currentStep === 'go', 60_000, 100);
  const patched = await h.call('PATCH', '/v1/journeys/ver', { steps: waitThenPush('ver', 'surum-2').steps });
  expect(patched.status).toBe(200);
  expect((await h.call('POST', '/v1/journeys/ver/publish')).status).toBe(201);
  await post([{ externalId: later, name: 'ver.start' }]);
  await eventually(async () => (await latestRun('ver', later!))?.currentStep === 'go', 60_000, 100);
  await post([{ externalId: early, name: 'ver.go' }, { externalId: later, name: 'ver.go' }]);
  for (const p of [early, later]) await eventually(async () => (await latestRun('ver', p!))?.status === 'completed', 60_000, 100);
  expect(pushesTo(early!).map((x) => x.notification?.title)).toEqual(['Sürüm 1']);
  expect(pushesTo(later!).map((x) => x.notification?.title)).toEqual(['Sürüm 2']);
  expect([(await latestRun('ver', early!)).version, (await latestRun('ver', later!)).version]).toEqual([1, 2]);
  const stats = (await h.call('GET', '/v1/journeys/ver/stats')).body;
  expect(stats.versions.map((v: { version: number; totals: { completed: number } }) => [v.version, v.totals.completed])).toEqual([[2, 1], [1, 1]]);
  expect(stats.steps.push.left).toEqual({ end: 2 });
}, 120_000);

test('pause holds a run before its send and takes no entries; resume sends; archive takes waiting runs out', async () => {
  await journey(waitThenPush('hold', 'surum-1'));
  const [held, refused, waiting] = await profiles('hold', 3);
  await post([{ externalId: held, name: 'hold.start' }, { externalId: waiting, name: 'hold.start' }]);
  for (const p of [held, waiting]) await eventually(async () => (await latestRun('hold', p!))?.currentStep === 'go', 60_000, 100);

  expect((await h.call('POST', '/v1/journeys/hold/pause')).body).toEqual({ id: 'hold', state: 'paused' });
  await post([{ externalId: held, name: 'hold.go' }, { externalId: refused, name: 'hold.start' }]);
  const run = await handle('hold', held!);
  await eventually(async () => (await run.query(journeyRunQuery)).status === 'held', 60_000, 100);
  expect(pushesTo(held!)).toHaveLength(0);
  expect(await runs('hold', refused!)).toBeUndefined();
  expect((await h.call('POST', '/v1/journeys/hold/enrolments', { externalId: refused })).status).toBe(409);

  expect((await h.call('POST', '/v1/journeys/hold/resume')).body).toEqual({ id: 'hold', state: 'active' });
  await eventually(async () => (await latestRun('hold', held!))?.status === 'completed', 60_000, 100);
  expect(pushesTo(held!)).toHaveLength(1);

  expect((await h.call('POST', '/v1/journeys/hold/archive')).body).toEqual({ id: 'hold', state: 'archived' });
  await eventually(async () => (await latestRun('hold', waiting!))?.status === 'exited', 60_000, 100);
  expect(await latestRun('hold', waiting!)).toMatchObject({ exitReason: 'archived' });
  expect(pushesTo(waiting!)).toHaveLength(0);
  const stats = (await h.call('GET', '/v1/journeys/hold/stats')).body;
  expect(stats.totals).toEqual({ entered: 2, active: 0, completed: 1, converted: 0, exited: 1 });
  expect(stats.steps.go).toMatchObject({ entered: 2, waiting: 0, exited: 1, left: { push: 1 } });
}, 180_000);

test('API enrolment: a repeated key enters once; unknown profile 404, bad key 400', async () => {
  await journey({ ...waitThenPush('enrol', 'surum-1'), entry: { kind: 'api' } });
  const [p] = await profiles('enrol', 1);
  const first = await h.call('POST', '/v1/journeys/enrol/enrolments', { externalId: p, idempotencyKey: 'k1' });
  expect(first).toMatchObject({ status: 202, body: { eventId: 'api:k1' } });
  expect((await h.call('POST', '/v1/journeys/enrol/enrolments', { externalId: p, idempotencyKey: 'k1' })).status).toBe(202);
  await eventually(async () => (await latestRun('enrol', p!))?.currentStep === 'go', 60_000, 100);
  expect((await runs('enrol', p!)).entries).toBe(1);
  expect((await h.call('POST', '/v1/journeys/enrol/enrolments', { externalId: 'nobody' })).status).toBe(404);
  const bad = await h.call('POST', '/v1/journeys/enrol/enrolments', { externalId: p, entryKey: 'a b' });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('entryKey');
  expect((await h.call('POST', '/v1/journeys/enrol/archive')).status).toBe(200);
}, 120_000);

test('a send step branching on clicked: an opened push takes the clicked path at once; an unopened one is still in its window', async () => {
  expect((await h.call('POST', '/v1/attributes', { name: 'promoClicked', type: 'boolean' })).status).toBe(201);
  await journey({
    id: 'click', name: 'click', entry: { kind: 'api' }, reEntry: { policy: 'never' }, sendRatePerSecond: 5,
    steps: [
      { id: 'promo', kind: 'send', template: { id: 'surum-1' }, channels: ['push'], category: 'transactional', outcomeWindow: { hours: 1 }, next: { clicked: 'thanks', default: 'end' } },
      { id: 'thanks', kind: 'updateProfile', set: { promoClicked: true }, next: 'end' },
      { id: 'end', kind: 'exit' },
    ],
  });
  const [opens, ignores] = await profiles('click', 2);
  for (const p of [opens, ignores]) expect((await h.call('POST', '/v1/journeys/click/enrolments', { externalId: p })).status).toBe(202);
  // Both pushes shown and confirmed by their devices; the runs wait for a click.
  await eventually(async () => [opens, ignores].every((p) => pushesTo(p!)[0]?.receipt?.status === 'delivered'), 60_000, 100);
  const push = pushesTo(opens!)[0]!;
  const opened = await h.call('POST', '/v1/receipts', { appId: 'demo', messageId: push.data.rota_message_id, token: push.data.rota_receipt_token, status: 'opened' });
  expect(opened.status).toBeLessThan(300);
  await eventually(async () => (await latestRun('click', opens!))?.status === 'completed', 60_000, 100);
  expect((await latestRun('click', opens!)).path.map((p: { stepId: string; via: string }) => [p.stepId, p.via])).toEqual([['promo', 'clicked'], ['thanks', 'next'], ['end', 'completed']]);
  expect((await h.call('GET', `/v1/profiles/${opens}`)).body.attributes).toMatchObject({ promoClicked: true });
  expect(await latestRun('click', ignores!)).toMatchObject({ status: 'active', currentStep: 'promo' });
  // The journey's own send rate was counted in the app's budget under the journey's name.
  expect(await h.db.conn.collection('sendRates').countDocuments({ _id: { $regex: /^demo:journey-click:\d+$/ } as never })).toBeGreaterThanOrEqual(1);
  expect((await h.call('POST', '/v1/journeys/click/archive')).status).toBe(200);
  await eventually(async () => (await latestRun('click', ignores!))?.status === 'exited', 60_000, 100);
}, 120_000);

test('segment entry: a profile enters when an update or an event brings it into the segment, once per coming in', async () => {
  expect((await h.call('POST', '/v1/attributes', { name: 'tier', type: 'string' })).status).toBe(201);
  const rule = { and: [{ attribute: 'tier', op: 'eq', value: 'gold' }, { event: 'vip.purchase', op: 'atLeast', count: 2 }] };
  expect((await h.call('POST', '/v1/segments', { id: 'vips', name: 'VIPs', rule })).status).toBe(201);
  await journey({
    id: 'vip', name: 'vip', entry: { kind: 'segment', segmentId: 'vips' }, reEntry: { policy: 'always' },
    steps: [{ id: 'hello', kind: 'send', template: { id: 'surum-1' }, channels: ['push'], category: 'transactional', next: 'end' }, { id: 'end', kind: 'exit' }],
  });
  const [p] = await profiles('vip', 1);
  const upsert = (tier: string) => h.call('POST', '/v1/profiles', { externalId: p, attributes: { tier } });
  expect((await upsert('gold')).status).toBeLessThan(300);
  await post([{ externalId: p, name: 'vip.purchase' }]);
  expect(await runs('vip', p!)).toBeUndefined(); // gold with one purchase: not in the segment yet
  await post([{ externalId: p, name: 'vip.purchase' }]); // the second purchase brings it in
  await eventually(async () => (await latestRun('vip', p!))?.status === 'completed', 60_000, 100);
  await post([{ externalId: p, name: 'vip.purchase' }]); // still in: no second entry
  expect((await upsert('silver')).status).toBeLessThan(300); // out
  expect((await upsert('gold')).status).toBeLessThan(300); // in again: enters again
  await eventually(async () => (await runs('vip', p!))?.entries === 2 && (await latestRun('vip', p!))?.status === 'completed', 60_000, 100);
  expect(pushesTo(p!)).toHaveLength(2);
  expect((await runs('vip', p!)).entries).toBe(2);
}, 120_000);

test('a send gated out takes its gatedOut path and is counted by reason; caps refuse entries past maxTotal', async () => {
  await journey({
    id: 'gate', name: 'gate', entry: { kind: 'event', event: 'gate.start' }, reEntry: { policy: 'never' }, caps: { maxTotal: 2 },
    steps: [
      { id: 'push', kind: 'send', template: { id: 'surum-1' }, channels: ['push'], category: 'transactional', next: { gatedOut: 'nodevice', default: 'end' } },
      { id: 'nodevice', kind: 'exit' },
      { id: 'end', kind: 'exit' },
    ],
  });
  // No device: the gate keeps the push back (no_device).
  for (const externalId of ['gate-0', 'gate-1', 'gate-2']) expect((await h.call('POST', '/v1/profiles', { externalId })).status).toBeLessThan(300);
  await post([{ externalId: 'gate-0', name: 'gate.start' }, { externalId: 'gate-1', name: 'gate.start' }]);
  for (const p of ['gate-0', 'gate-1']) await eventually(async () => (await latestRun('gate', p))?.status === 'completed', 60_000, 100);
  await post([{ externalId: 'gate-2', name: 'gate.start' }]);
  await eventually(async () => (await (await handle('gate', 'gate-2')).result())?.status === 'not_entered', 60_000, 200);
  const stats = (await h.call('GET', '/v1/journeys/gate/stats')).body;
  expect(stats.totals).toMatchObject({ entered: 2, completed: 2 });
  expect(stats.steps.push).toMatchObject({ entered: 2, left: { nodevice: 2 }, gatedOut: { no_device: 2 } });
  expect((await latestRun('gate', 'gate-0')).path[0]).toMatchObject({ stepId: 'push', via: 'gatedOut', outcome: 'gatedOut' });
}, 120_000);

test('exit segment: a profile that leaves it exits at its next step, before the send', async () => {
  expect((await h.call('POST', '/v1/attributes', { name: 'level', type: 'string' })).status).toBe(201);
  expect((await h.call('POST', '/v1/segments', { id: 'golds', name: 'Golds', rule: { attribute: 'level', op: 'eq', value: 'gold' } })).status).toBe(201);
  await journey({ ...waitThenPush('stay', 'surum-1'), exitSegment: 'golds' });
  const [p] = await profiles('stay', 1);
  expect((await h.call('POST', '/v1/profiles', { externalId: p, attributes: { level: 'gold' } })).status).toBeLessThan(300);
  await post([{ externalId: p, name: 'stay.start' }]);
  await eventually(async () => (await latestRun('stay', p!))?.currentStep === 'go', 60_000, 100);
  expect((await h.call('POST', '/v1/profiles', { externalId: p, attributes: { level: 'silver' } })).status).toBeLessThan(300);
  await post([{ externalId: p, name: 'stay.go' }]);
  await eventually(async () => (await latestRun('stay', p!))?.status === 'exited', 60_000, 100);
  expect(await latestRun('stay', p!)).toMatchObject({ exitReason: 'left_segment' });
  expect(pushesTo(p!)).toHaveLength(0);
}, 120_000);

test('re-entry after D days: refused until D days after the last exit, taken after', async () => {
  await journey({ id: 'later', name: 'later', entry: { kind: 'api' }, reEntry: { policy: 'afterDays', days: 7 }, steps: [{ id: 'end', kind: 'exit' }] });
  const [p] = await profiles('later', 1);
  expect((await h.call('POST', '/v1/journeys/later/enrolments', { externalId: p })).status).toBe(202);
  await eventually(async () => (await latestRun('later', p!))?.status === 'completed', 60_000, 100);
  const exitedAt = Date.parse((await latestRun('later', p!)).exitedAt);
  const ref = { appId: 'demo', journeyId: 'later', profileId: await profileId(p!) };
  expect(await enterJourney(h.db, ref, 'api:six-days', new Date(exitedAt + 6 * 86_400_000))).toEqual({ entered: false, reason: 'reentry_too_soon' });
  expect(await enterJourney(h.db, ref, 'api:eight-days', new Date(exitedAt + 8 * 86_400_000))).toMatchObject({ entered: true, entryNo: 2 });
}, 120_000);
