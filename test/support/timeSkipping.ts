/** Temporal's time-skipping test server: the cached binary the tool cache prepared when there is one, else the SDK's own download. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
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
