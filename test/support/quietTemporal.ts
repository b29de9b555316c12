/** Every test file: the Temporal SDK logs errors only, so the test output stays readable. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger(process.env.TEST_SDK_LOG === 'warn' ? 'WARN' : 'ERROR') });
} catch {
  // The runtime is per process and jest reuses workers: already installed by an earlier file.
}
