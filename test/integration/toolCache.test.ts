/**
 * The test command builds each tool at most once: `infra prepare` runs before jest, so by
 * now every tool the run uses must resolve from the cache (or PATH), never from a new build.
 */
import { execFileSync } from 'node:child_process';
import { resolveFerretDb, resolveTemporalCli, resolveTimeSkippingServer, TEMPORAL_CLI_VERSION } from '../../infra/tools';

const sources = JSON.parse(process.env.ROTA_TEST_SOURCES ?? '{}') as { temporal?: string; mongo?: string };

test('the time-skipping test server resolves without building', async () => {
  expect(['cache', 'path']).toContain((await resolveTimeSkippingServer())?.source);
});

(sources.temporal === 'tool' ? test : test.skip)('the Temporal CLI resolves without building, at the pinned version', async () => {
  const temporal = await resolveTemporalCli();
  expect(['cache', 'path']).toContain(temporal?.source);
  if (temporal?.source === 'cache') {
    expect(temporal.path).toContain(`temporal-${TEMPORAL_CLI_VERSION}`);
    expect(execFileSync(temporal.path, ['--version'], { encoding: 'utf8' })).toMatch(/Server 1\.29\./);
  }
});

(sources.mongo === 'tool' ? test : test.skip)('FerretDB resolves without building', async () => {
  expect((await resolveFerretDb())?.source).toBe('cache');
});
