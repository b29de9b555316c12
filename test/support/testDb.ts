/** A database of its own for one test file, on the run's MongoDB-wire server. */
import { randomUUID } from 'node:crypto';

/** `base`: another server's URI than the run's (a test that restarts its own). */
export function testDbUri(name: string, base = process.env.MONGODB_URI!): string {
  return base.replace(/\/([^/?]*)(\?|$)/, `/t_${name}_${randomUUID().slice(0, 8)}$2`);
}
