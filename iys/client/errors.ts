/**
 * Every failure of an İYS call as one typed error: the H-code (or TIMEOUT, NETWORK,
 * an OAuth error), whether another try can help, and the field İYS named. Rate limits,
 * 5xx and timeouts are retryable; validation and state codes (H174/H175/H178, H467, …)
 * are final: repeating the same request gets the same answer and counts against the
 * client's error rate at İYS.
 */
import { isRetryableAnswer } from '../errorCodes';

export interface IysErrorDetail {
  code?: string;
  message?: string;
  location?: (string | number)[];
  value?: unknown;
  index?: number;
}

/** H084: the token quota is per hour, and a retry inside the hour restarts it. */
const TOKEN_QUOTA_WAIT_MS = 3_600_000;

export class IysError extends Error {
  override name = 'IysError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    readonly opts: { status?: number; field?: string; details?: IysErrorDetail[]; retryAfterMs?: number } = {},
  ) {
    super(message);
  }

  get status(): number | undefined {
    return this.opts.status;
  }
  get field(): string | undefined {
    return this.opts.field;
  }
  get details(): IysErrorDetail[] {
    return this.opts.details ?? [];
  }
  get retryAfterMs(): number | undefined {
    return this.opts.retryAfterMs;
  }

  static fromDetail(d: IysErrorDetail, status?: number): IysError {
    const code = d.code ?? `HTTP_${status ?? 0}`;
    const field = typeof d.location?.[0] === 'string' ? d.location[0] : undefined;
    return new IysError(`${code}: ${d.message ?? 'İYS error'}`, code, status !== undefined && isRetryableAnswer(status, code), { status, field, details: [d] });
  }

  /** The error an HTTP answer other than success stands for. */
  static fromResponse(status: number, body: unknown, retryAfterHeader: string | null): IysError {
    const b = (body ?? {}) as { errors?: IysErrorDetail[]; error?: string; error_description?: string };
    // The document's 403 examples spell the key "code:"; read both.
    const first = b.errors?.[0] as (IysErrorDetail & { 'code:'?: string }) | undefined;
    const code = first?.code ?? first?.['code:'] ?? b.error ?? `HTTP_${status}`;
    const message = first?.message ?? b.error_description ?? `HTTP ${status}`;
    const field = typeof first?.location?.[0] === 'string' ? first.location[0] : undefined;
    const seconds = retryAfterHeader === null ? NaN : Number(retryAfterHeader);
    const retryAfterMs = code === 'H084' ? TOKEN_QUOTA_WAIT_MS : Number.isFinite(seconds) ? seconds * 1000 : undefined;
    return new IysError(`${code}: ${message}`, code, isRetryableAnswer(status, code), { status, field, details: b.errors, retryAfterMs });
  }
}
