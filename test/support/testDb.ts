/** A database of its own for one test file, on the run's MongoDB-wire server. */
import { randomUUID } from 'node:crypto';

export function testDbUri(name: string): string {
  return process.env.MONGODB_URI!.replace(/\/([^/?]*)(\?|$)/, `/t_${name}_${randomUUID().slice(0, 8)}$2`);
}
