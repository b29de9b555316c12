/**
 * Every activity heartbeats from a timer while it runs (activities/heartbeat.ts): a slow stage
 * with no heartbeat of its own is not cut off by the heartbeat timeout, and the timer repeats
 * the last details, so a retry still resumes from them.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeat, keepingAlive } from '../../activities/heartbeat';

function environment(info: { heartbeatTimeoutMs?: number; heartbeatDetails?: unknown }) {
  const env = new MockActivityEnvironment(info);
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return { env, beats };
}

/** Resolves once `check` holds, polling; the activity under test waits on it, so nothing depends on timing. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

test("a silent stage is kept alive with the previous attempt's details, then with the activity's own", async () => {
  const { env, beats } = environment({ heartbeatTimeoutMs: 2000, heartbeatDetails: { page: 3 } });
  const { slow } = keepingAlive({
    async slow() {
      await until(() => beats.length >= 2);
      heartbeat({ stage: 'read' });
      const after = beats.length;
      await until(() => beats.length >= after + 2);
      return 'done';
    },
  });
  await expect(env.run(slow)).resolves.toBe('done');
  expect(beats.slice(0, 2)).toEqual([{ page: 3 }, { page: 3 }]);
  expect(beats.at(-1)).toEqual({ stage: 'read' });
  expect(beats.filter((b) => (b as { stage?: string }).stage === 'read').length).toBeGreaterThanOrEqual(3);
});

test('no timer without a heartbeat timeout, and none left after the activity ends', async () => {
  const { env, beats } = environment({ heartbeatTimeoutMs: 0 });
  const { quick } = keepingAlive({ quick: async () => 7 });
  await expect(env.run(quick)).resolves.toBe(7);
  expect(beats).toEqual([]);

  const timed = environment({ heartbeatTimeoutMs: 2000 });
  const { fails } = keepingAlive({
    async fails(): Promise<never> {
      throw new Error('db down');
    },
  });
  const timers = () => (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  await expect(timed.env.run(fails)).rejects.toThrow('db down');
  expect(timers()).toBe(before);
});

test('outside an activity the helpers do nothing', async () => {
  expect(() => heartbeat({ any: 1 })).not.toThrow();
  await expect(keepingAlive({ plain: async () => 1 }).plain()).resolves.toBe(1);
});
