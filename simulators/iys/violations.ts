/**
 * Every rule a client broke, counted. İYS watches the share of client errors (400, 401,
 * 403, 404, 422) per IP and drops an IP from its whitelist when it stays high, and it
 * answers 429 to a client that ignores its limits: a well-behaved client keeps this report
 * near empty. Injected faults are the server's doing and are not counted.
 */
import { STATE_CODES } from '../../iys/errorCodes';

export type ViolationKind = 'rateLimit' | 'malformed' | 'auth' | 'state' | 'notFound';

export interface Violation {
  at: string;
  ip: string;
  method: string;
  path: string;
  status: number;
  code?: string;
  kind: ViolationKind;
}

export interface ViolationsReport {
  total: number;
  byKind: Record<ViolationKind, number>;
  byCode: Record<string, number>;
  /** The latest 200, oldest first. */
  recent: Violation[];
}

function kindOf(status: number, code?: string): ViolationKind | undefined {
  if (status === 429) return 'rateLimit';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'notFound';
  if (code && STATE_CODES.has(code)) return 'state';
  if (status === 400 || status === 422) return 'malformed';
  return undefined;
}

export class Violations {
  private report: ViolationsReport = Violations.empty();

  private static empty(): ViolationsReport {
    return { total: 0, byKind: { rateLimit: 0, malformed: 0, auth: 0, state: 0, notFound: 0 }, byCode: {}, recent: [] };
  }

  /** Counts an answer when it is a client's fault; returns whether it was. */
  record(v: Omit<Violation, 'kind'>): boolean {
    const kind = kindOf(v.status, v.code);
    if (!kind) return false;
    const r = this.report;
    r.total++;
    r.byKind[kind]++;
    const key = v.code ?? String(v.status);
    r.byCode[key] = (r.byCode[key] ?? 0) + 1;
    r.recent.push({ ...v, kind });
    if (r.recent.length > 200) r.recent.shift();
    return true;
  }

  snapshot(): ViolationsReport {
    return structuredClone(this.report);
  }

  reset(): void {
    this.report = Violations.empty();
  }
}
