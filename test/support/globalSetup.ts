/**
 * Starts the real servers once for the run: Temporal dev server, FerretDB and the SMTP
 * sink (or uses TEMPORAL_ADDRESS / MONGODB_URI / SMTP_URL when given), and says which;
 * bundles Rota's workflows once (TEMPORAL_WORKFLOW_BUNDLE).
 * Test files reach them through the environment variables set here.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from '../../infra/stack';
import { workflowsPath } from '../../worker';

declare global {
  var __ROTA_STACK__: Stack | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rota-test-'));
  // Rota's workflows are bundled once for the run: each suite's workers and replays load this file instead of running webpack again.
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
  const [stack, bundle] = await Promise.all([startStack({ dataDir }), bundleWorkflowCode({ workflowsPath, logger: silent })]);
  process.env.TEMPORAL_WORKFLOW_BUNDLE = path.join(dataDir, 'workflow-bundle.js');
  writeFileSync(process.env.TEMPORAL_WORKFLOW_BUNDLE, bundle.code);
  globalThis.__ROTA_STACK__ = stack;
  process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
  process.env.MONGODB_URI = stack.mongoUri;
  process.env.SMTP_URL = stack.smtpUrl;
  if (stack.smtpApiUrl) process.env.SMTP_API_URL = stack.smtpApiUrl;
  process.env.ROTA_TEST_DATA_DIR = dataDir;
  process.env.ROTA_TEST_SOURCES = JSON.stringify(stack.sources);
  console.log(`\nIntegration servers for this run:\n  ${stack.description.join('\n  ')}\n`);
}
