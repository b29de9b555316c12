/**
 * A Temporal namespace of the test's own. Suites share one dev server and every harness
 * seeds the same `demo` app, so per-app workflow ids (`iys-outbox:demo`, a sync schedule)
 * would otherwise be one workflow for two suites at once, or a finished suite's
 * workflow, still open on a task queue nobody polls, that takes the next suite's signals.
 */
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';

const ONE_DAY = msToTs('1 day');
const GRPC_NOT_FOUND = 5;

export async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: ONE_DAY });
  // A new namespace reaches the services' caches a moment later: until then it is "not found".
  for (const deadline = Date.now() + 60_000; ; ) {
    try {
      await connection.workflowService.listOpenWorkflowExecutions({ namespace, maximumPageSize: 1 });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== GRPC_NOT_FOUND || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
