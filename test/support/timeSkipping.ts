/** Temporal's time-skipping test server: the cached binary the tool cache prepared when there is one, else the SDK's own download. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTimeSkippingServer } from '../../infra/tools';

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const server = await resolveTimeSkippingServer();
  return TestWorkflowEnvironment.createTimeSkipping(server ? { server: { executable: { type: 'existing-path', path: server.path } } } : {});
}
