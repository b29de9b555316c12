/** Temporal's time-skipping test server: the cached binary the tool cache prepared when there is one, else the SDK's own download. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type Config } from '../../config';
import { resolveTimeSkippingServer } from '../../infra/tools';

/**
 * The SDK gives the server's JVM a fixed 5 s to start listening, which a loaded 2-core machine
 * can miss: a start that timed out is tried again (the JVM's files are warm by then).
 */
const START_ATTEMPTS = 3;

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const server = await resolveTimeSkippingServer();
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping(server ? { server: { executable: { type: 'existing-path', path: server.path } } } : {});
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !/did not start within/.test(String(err))) throw err;
    }
  }
}

/**
 * The configuration of a worker on the time-skipping server: the activities get their
 * database and providers from the test (the addresses here are never dialled), the
 * simulators' from `env`.
 */
export function timeSkippingConfig(taskQueue: string, env: Record<string, string>): Config {
  return loadConfig({
    MONGODB_URI: 'mongodb://unused/x', TEMPORAL_ADDRESS: 'unused:1', SMTP_URL: 'smtp://unused:25', SMS_PROVIDER_URL: 'http://127.0.0.1:9',
    RECEIPT_SECRET: 'time-skipping-secret-0123', TEMPORAL_TASK_QUEUE: taskQueue, ...env,
  });
}
