/**
 * What an İYS simulator can be told. Defaults follow the official document; the [INFERRED]
 * rules of shared/iys/NOTES.md and the slow parts (300 s batches, a 60-minute pull lag)
 * are settings, so tests can run fast.
 */

export interface IysUser {
  username: string;
  password: string;
  iysCode: number;
  brandCodes: number[];
}

export interface IysSimulatorOptions {
  port?: number;
  host?: string;
  users?: IysUser[];
  /** Access token lifetime (document: 7200 s). */
  accessTokenTtlSec?: number;
  /** Refresh token lifetime (document: 14400 s, "4 hours from login"). */
  refreshTokenTtlSec?: number;
  /** Whether a refresh restarts the 4-hour session; the document counts it from login. */
  refreshExtendsSession?: boolean;
  /** Per-IP token requests per hour (operation text: 10; tag text: 100). */
  tokenRequestsPerHour?: number;
  /** Per-IP requests per second on every endpoint (H124). */
  requestsPerSecond?: number;
  /** Per-IP single status queries per hour (H086). */
  statusQueriesPerHour?: number;
  /** How long a batch waits before it is processed (document: query no earlier than 300 s). */
  batchDelayMs?: number;
  /** The pull feed hides movements younger than this (document: 60 minutes). */
  changesLagMs?: number;
  /** The pull feed shows movements at most this old (document: 7 days). */
  changesWindowMs?: number;
  /** H467: consents older than this many business days are refused; null turns the rule off. */
  businessDayLimit?: number | null;
  /** Public holidays (`YYYY-MM-DD`, Turkey) that are not business days. */
  holidays?: string[];
  /** H178 for an update whose consentDate equals the stored one, not only an older one ("daha güncel" reads as strictly newer). */
  rejectEqualConsentDate?: boolean;
  /** H525 once the brand holds this many records. */
  consentLimit?: number;
  /** Retailer codes of the brand (H180 for others); undefined accepts any. */
  retailerCodes?: number[];
  /** The single status query's answer for an unknown consent, which the document does not give. */
  statusNotFound?: 'http404' | 'empty200';
}

export type ResolvedOptions = Required<Omit<IysSimulatorOptions, 'port' | 'host' | 'consentLimit' | 'retailerCodes'>> &
  Pick<IysSimulatorOptions, 'consentLimit' | 'retailerCodes'>;

export const DEFAULT_USER: IysUser = { username: 'entegrasyon@rota.local', password: 'iys-sim-password', iysCode: 700001, brandCodes: [700001] };

export function resolveOptions(opts: IysSimulatorOptions): ResolvedOptions {
  return {
    users: opts.users ?? [DEFAULT_USER],
    accessTokenTtlSec: opts.accessTokenTtlSec ?? 7200,
    refreshTokenTtlSec: opts.refreshTokenTtlSec ?? 14_400,
    refreshExtendsSession: opts.refreshExtendsSession ?? false,
    tokenRequestsPerHour: opts.tokenRequestsPerHour ?? 10,
    requestsPerSecond: opts.requestsPerSecond ?? 10,
    statusQueriesPerHour: opts.statusQueriesPerHour ?? 1000,
    batchDelayMs: opts.batchDelayMs ?? 300_000,
    changesLagMs: opts.changesLagMs ?? 3_600_000,
    changesWindowMs: opts.changesWindowMs ?? 7 * 86_400_000,
    businessDayLimit: opts.businessDayLimit === undefined ? 3 : opts.businessDayLimit,
    holidays: opts.holidays ?? [],
    rejectEqualConsentDate: opts.rejectEqualConsentDate ?? true,
    consentLimit: opts.consentLimit,
    retailerCodes: opts.retailerCodes,
    statusNotFound: opts.statusNotFound ?? 'http404',
  };
}

/** The simulator's notion of now: real time plus an offset tests can move forward (token expiry, pull window, batch delay, H162/H467). */
export class SimClock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  set(instant: number): void {
    this.offsetMs = instant - Date.now();
  }
  reset(): void {
    this.offsetMs = 0;
  }
}
