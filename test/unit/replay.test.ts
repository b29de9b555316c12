/**
 * Recorded workflow histories (test/histories, written by the e2e test with
 * RECORD_HISTORIES=1) must replay against the current workflow code: a change that alters
 * the command sequence without `patched()` fails here before it breaks running workflows.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rotaWorkflows } from '../support/workflows';

const dir = path.join(__dirname, '../histories');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));
const load = (f: string): unknown => JSON.parse(readFileSync(path.join(dir, f), 'utf8'));

test('there are recorded histories for each outcome', () => {
  expect(fixtures.map((f) => f.replace(/\.json$/, '')).sort()).toEqual([
    'iysSyncRun-completed',
    'journeyRun-completed', 'journeyRun-continued_as_new', 'journeyRun-converted_in_wait', 'journeyRun-converted_waiting',
    'pushWithSmsFallback-delivered_by_push', 'pushWithSmsFallback-email_sent_after_push_timeout', 'pushWithSmsFallback-email_sent_push_unavailable',
    'pushWithSmsFallback-not_delivered', 'pushWithSmsFallback-sms_sent_after_push_timeout', 'pushWithSmsFallback-sms_sent_push_unavailable',
    'uninstallProbeRun-completed', 'uninstallProbeRun-continued_as_new',
  ]);
});

test.each(fixtures)('%s replays against the current workflows', async (f) => {
  await Worker.runReplayHistory(rotaWorkflows(), load(f), f);
});

test('an unpatched change to the command sequence is caught', async () => {
  const changed = require.resolve('../support/changedWorkflow');
  await expect(Worker.runReplayHistory({ workflowsPath: changed }, load('pushWithSmsFallback-sms_sent_after_push_timeout.json'), 'changed')).rejects.toThrow(DeterminismViolationError);
});
