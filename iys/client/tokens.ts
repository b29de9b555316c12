/**
 * The İYS token lifecycle: a password grant once, then refresh grants (each returns a new
 * refresh token, which replaces the old one) while the refresh token lives, renewing 5
 * minutes before expiry. Renewals are single-flight in a process; across workers the
 * shared TokenStore is read again before and after a failed refresh, since another worker
 * may already have rotated the pair. After H084 no token call is made for an hour, as a
 * retry inside the hour restarts İYS's counter.
 */
import { IysError } from './errors';
import type { IysToken, TokenStore } from './tokenStore';
import type { AccessTokens, Transport } from './transport';

interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  refresh_expires_in: number;
}

const RENEW_MARGIN_MS = 300_000;

export class IysTokens implements AccessTokens {
  private renewing: Promise<IysToken> | undefined;
  private blockedUntil = 0;

  constructor(
    private readonly transport: Transport,
    private readonly store: TokenStore,
    private readonly credentials: { username: string; password: string },
    private readonly now: () => number,
  ) {}

  async accessToken(): Promise<string> {
    const current = await this.store.get();
    if (current && current.accessExpiresAt - RENEW_MARGIN_MS > this.now()) return current.accessToken;
    return (await this.renew(current)).accessToken;
  }

  async invalidate(accessToken: string): Promise<void> {
    const current = await this.store.get();
    // Expire it locally; the refresh token may still be good.
    if (current?.accessToken === accessToken) await this.store.put({ ...current, accessExpiresAt: 0 });
  }

  private renew(stale: IysToken | undefined): Promise<IysToken> {
    this.renewing ??= this.doRenew(stale).finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async doRenew(stale: IysToken | undefined): Promise<IysToken> {
    const latest = await this.store.get();
    if (latest && latest.accessToken !== stale?.accessToken && latest.accessExpiresAt - RENEW_MARGIN_MS > this.now()) return latest;
    let token: IysToken | undefined;
    if (latest && latest.refreshExpiresAt - RENEW_MARGIN_MS > this.now()) {
      try {
        token = await this.grant({ grant_type: 'refresh_token', refresh_token: latest.refreshToken });
      } catch (err) {
        if (!(err instanceof IysError) || err.retryable) throw err;
        // Refused: another worker may have rotated the pair first.
        const other = await this.store.get();
        if (other && other.accessToken !== latest.accessToken && other.accessExpiresAt > this.now()) return other;
      }
    }
    token ??= await this.grant({ grant_type: 'password', username: this.credentials.username, password: this.credentials.password });
    await this.store.put(token);
    return token;
  }

  private async grant(form: Record<string, string>): Promise<IysToken> {
    if (this.now() < this.blockedUntil) throw new IysError('H084: token requests paused after the hourly limit', 'H084', true, { status: 429 });
    const started = this.now();
    try {
      const { body } = await this.transport.call<TokenAnswer>('POST', '/oauth2/token', { form });
      return {
        accessToken: body.access_token,
        refreshToken: body.refresh_token,
        accessExpiresAt: started + body.expires_in * 1000,
        refreshExpiresAt: started + body.refresh_expires_in * 1000,
      };
    } catch (err) {
      if (err instanceof IysError && err.code === 'H084') this.blockedUntil = this.now() + (err.retryAfterMs ?? 3_600_000);
      throw err;
    }
  }
}
