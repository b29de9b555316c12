/**
 * Rate-limit violations by Rota's own İYS client, collected across the whole run: each
 * harness with an İYS simulator writes its count to the run's data directory, and the
 * global teardown sums them and fails the run if any exist.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ViolationsReport } from '../../simulators/iys';

const PREFIX = 'iys-violations-';

export function recordIysViolations(suite: string, report: ViolationsReport): void {
  const dir = process.env.ROTA_TEST_DATA_DIR;
  if (!dir) return;
  writeFileSync(path.join(dir, `${PREFIX}${suite}-${process.pid}-${Date.now()}.json`), JSON.stringify({ suite, rateLimit: report.byKind.rateLimit, byCode: report.byCode }));
}

/** The run's total, with one line per suite that talked to İYS. */
export function sumIysViolations(dir: string): { total: number; suites: { suite: string; rateLimit: number }[] } {
  const suites = readdirSync(dir)
    .filter((f) => f.startsWith(PREFIX))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { suite: string; rateLimit: number });
  return { total: suites.reduce((n, s) => n + s.rateLimit, 0), suites };
}
