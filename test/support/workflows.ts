/** Rota's workflows for a test's worker or replay: the bundle the run's global setup built once (test/support/globalSetup.ts). */
import { workflowCode } from '../../worker';

export const rotaWorkflows = () => workflowCode(process.env.TEMPORAL_WORKFLOW_BUNDLE);
