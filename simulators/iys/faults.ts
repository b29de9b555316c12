/**
 * "İYS is having a bad day": for the next `count` calls, or for `forMs`, answer an error
 * (5xx, or 429 H124 with Retry-After), answer slowly, or never answer (the connection is
 * dropped after `delayMs`, so a client sees its own timeout). The token endpoint is spared
 * unless `includeToken`. Injected answers are not client violations.
 */
import type { RequestHandler } from 'express';
import { IYS_CODES, type IysCode } from '../../iys/errorCodes';

export interface FaultSpec {
  mode?: 'error' | 'slow' | 'timeout';
  status?: number;
  code?: IysCode;
  count?: number;
  forMs?: number;
  delayMs?: number;
  retryAfterSec?: number;
  includeToken?: boolean;
}

export class Faults {
  private spec: FaultSpec | undefined;
  private remaining = 0;
  private until = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  injected = 0;

  set(spec: FaultSpec): void {
    this.spec = spec;
    this.remaining = spec.forMs === undefined ? (spec.count ?? 1) : 0;
    this.until = spec.forMs === undefined ? 0 : Date.now() + spec.forMs;
  }

  clear(): void {
    this.spec = undefined;
    this.remaining = 0;
    this.until = 0;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private take(token: boolean): FaultSpec | undefined {
    const spec = this.spec;
    if (!spec || (token && !spec.includeToken)) return undefined;
    if (this.until > Date.now()) return spec;
    if (this.remaining > 0) {
      this.remaining--;
      return spec;
    }
    return undefined;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  middleware(token = false): RequestHandler {
    return (req, res, next) => {
      const spec = this.take(token);
      if (!spec) return next();
      this.injected++;
      const mode = spec.mode ?? 'error';
      if (mode === 'slow') return this.later(spec.delayMs ?? 2000, next);
      if (mode === 'timeout') return this.later(spec.delayMs ?? 30_000, () => req.socket.destroy());
      const status = spec.status ?? 503;
      const code: IysCode = spec.code ?? (status === 429 ? 'H124' : status === 503 ? 'H192' : 'H015');
      if (status === 429) res.setHeader('Retry-After', String(spec.retryAfterSec ?? 1));
      res.status(status).json({ errors: [{ code, message: IYS_CODES[code].message }] });
    };
  }
}
