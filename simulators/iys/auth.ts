/**
 * `POST /oauth2/token` (password and refresh_token grants, JSON or form body) and the
 * bearer check of every other endpoint. Tokens are JWT-shaped like İYS's (the claims a
 * client may decode: preferred_username, serviceProvider.iysCode, brands); the simulator
 * still looks them up, so a rotated refresh token stops working at once.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { SimHttpError } from './errors';
import type { IysUser, ResolvedOptions, SimClock } from './options';

interface Session {
  user: IysUser;
  /** When the 4-hour refresh window started (login, or the last refresh when refreshes extend it). */
  sessionStart: number;
}

interface IssuedToken {
  session: Session;
  expiresAt: number;
}

export interface TokenStats {
  passwordGrants: number;
  refreshGrants: number;
}

const oauthError = (error: 'invalid_request' | 'invalid_grant', description: string) =>
  new SimHttpError(400, { error, error_description: description });

/** The checks of a string field, with the document's three messages (absent, not a string, empty). */
function requireString(body: Record<string, unknown>, field: string, missing: string, wrongType: string, empty: string): string {
  const v = body[field];
  if (v === undefined || v === null) throw oauthError('invalid_request', missing);
  if (typeof v !== 'string') throw oauthError('invalid_request', wrongType);
  if (v === '') throw oauthError('invalid_grant', empty);
  return v;
}

export class TokenService {
  private readonly access = new Map<string, IssuedToken>();
  private readonly refresh = new Map<string, IssuedToken>();
  private readonly secret = randomBytes(32);
  readonly stats: TokenStats = { passwordGrants: 0, refreshGrants: 0 };

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly clock: SimClock,
  ) {}

  /** Answers a token request body; throws the OAuth error the document gives. */
  grant(body: Record<string, unknown>): Record<string, unknown> {
    const grantType = body.grant_type;
    if (grantType === undefined || grantType === null) throw oauthError('invalid_request', 'Giriş yöntemi belirtilmemiş.');
    if (grantType === '') throw oauthError('invalid_grant', 'Giriş yöntemi boş olamaz.');
    if (typeof grantType !== 'string') throw oauthError('invalid_grant', 'Desteklenmeyen giriş yöntemi.');
    if (grantType === 'password') return this.passwordGrant(body);
    if (grantType === 'refresh_token') return this.refreshGrant(body);
    throw oauthError('invalid_request', 'Bilinmeyen giriş yöntemi.');
  }

  private passwordGrant(body: Record<string, unknown>): Record<string, unknown> {
    const username = requireString(body, 'username', 'Kullanıcı adı verilmemiş.', 'Desteklenmeyen kullanıcı adı türü.', 'Kullanıcı adı boş bırakılamaz.');
    const password = requireString(body, 'password', 'Şifre verilmemiş.', 'Desteklenmeyen şifre türü.', 'Şifre boş bırakılamaz.');
    const user = this.opts.users.find((u) => u.username === username && u.password === password);
    if (!user) throw oauthError('invalid_request', 'Kullanıcı kimlik bilgileri geçersiz.');
    this.stats.passwordGrants++;
    return this.issue({ user, sessionStart: this.clock.now() });
  }

  private refreshGrant(body: Record<string, unknown>): Record<string, unknown> {
    const token = requireString(body, 'refresh_token', 'Yenileme jetonu verilmemiş.', 'Desteklenmeyen yenileme jetonu türü.', 'Yenileme jetonu boş olamaz.');
    const issued = this.refresh.get(token);
    // Not in the document: the answer to an expired, rotated or unknown refresh token.
    if (!issued || issued.expiresAt <= this.clock.now()) throw oauthError('invalid_grant', 'Yenileme jetonu geçersiz veya süresi dolmuş.');
    // Rotation: the document tells clients to use the new refresh token from now on.
    this.refresh.delete(token);
    this.stats.refreshGrants++;
    const session = this.opts.refreshExtendsSession ? { ...issued.session, sessionStart: this.clock.now() } : issued.session;
    return this.issue(session);
  }

  private issue(session: Session): Record<string, unknown> {
    const now = this.clock.now();
    const accessTtl = this.opts.accessTokenTtlSec;
    const refreshExpiresAt = session.sessionStart + this.opts.refreshTokenTtlSec * 1000;
    const accessToken = this.jwt(session.user, now, accessTtl, 'Bearer');
    const refreshToken = this.jwt(session.user, now, Math.max(0, Math.round((refreshExpiresAt - now) / 1000)), 'Refresh');
    this.access.set(accessToken, { session, expiresAt: now + accessTtl * 1000 });
    this.refresh.set(refreshToken, { session, expiresAt: refreshExpiresAt });
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: accessTtl,
      refresh_expires_in: Math.round((refreshExpiresAt - now) / 1000),
      token_type: 'bearer',
    };
  }

  private jwt(user: IysUser, now: number, ttlSec: number, typ: string): string {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const claims = {
      jti: randomUUID(),
      exp: Math.floor(now / 1000) + ttlSec,
      iat: Math.floor(now / 1000),
      iss: 'iys-simulator/auth/realms/integrator',
      typ,
      preferred_username: user.username,
      realm_access: { roles: ['API_USER'] },
      serviceProvider: { iysCode: user.iysCode },
      brands: user.brandCodes.map((brandCode) => ({ brandCode })),
    };
    const unsigned = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
    return `${unsigned}.${createHmac('sha256', this.secret).update(unsigned).digest('base64url')}`;
  }

  /** Counters back to zero; issued tokens stay valid. */
  resetStats(): void {
    this.stats.passwordGrants = 0;
    this.stats.refreshGrants = 0;
  }

  /** The user of a valid access token. */
  userOf(accessToken: string): IysUser | undefined {
    const issued = this.access.get(accessToken);
    if (!issued || issued.expiresAt <= this.clock.now()) return undefined;
    return issued.session.user;
  }

  /** Express guard: 401 H351 without a valid bearer token, 403 H353 when iysCode or brandCode are not the user's. */
  guard(): RequestHandler {
    return (req, res, next) => {
      const header = req.headers.authorization ?? '';
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const user = m ? this.userOf(m[1]!) : undefined;
      if (!user) throw SimHttpError.code('H351');
      const { iysCode, brandCode } = req.params as { iysCode?: string; brandCode?: string };
      if (iysCode !== undefined && Number(iysCode) !== user.iysCode) throw SimHttpError.code('H353');
      if (brandCode !== undefined && !user.brandCodes.includes(Number(brandCode))) {
        throw SimHttpError.code('H353', { message: 'brandCode, kullanıcı izinleriyle eşleştirilemiyor' });
      }
      res.locals.user = user;
      next();
    };
  }
}
