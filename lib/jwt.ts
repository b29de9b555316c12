/**
 * Compact JWS (JWT) signing and checking with node:crypto, for the two algorithms push
 * providers use: RS256 (a Google service account's assertion) and ES256 (an APNs provider
 * token from a .p8 key). ES256 signatures are the raw 64-byte r‖s form JWS requires, not DER.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JwtAlg = 'RS256' | 'ES256';

export type JwtHeader = { alg: JwtAlg; typ?: string; kid?: string } & Record<string, unknown>;
export type JwtClaims = Record<string, unknown>;

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function keyOptions(alg: JwtAlg, key: KeyObject): KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' } {
  return alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
}

/** A private key from PEM (PKCS#8, as in a service account's JSON or an APNs .p8 file) or as given. */
export function privateKeyOf(key: string | KeyObject): KeyObject {
  return typeof key === 'string' ? createPrivateKey(key) : key;
}

export function publicKeyOf(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key.type === 'private' ? createPublicKey(key) : key;
  return createPublicKey(key);
}

export function signJwt(header: JwtHeader, claims: JwtClaims, key: KeyObject): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), keyOptions(header.alg, key));
  return `${input}.${b64url(signature)}`;
}

export type DecodedJwt = { header: JwtHeader; claims: JwtClaims; signingInput: string; signature: Buffer };

/** Splits and parses a JWT without checking it; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(claims)) return undefined;
    return { header: header as JwtHeader, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

/** Whether the signature is `alg`'s over the signing input under `key` (the header's alg must be `alg`: no "none", no swaps). */
export function verifyJwtSignature(jwt: DecodedJwt, alg: JwtAlg, key: KeyObject): boolean {
  if (jwt.header.alg !== alg) return false;
  try {
    return verify('sha256', Buffer.from(jwt.signingInput), keyOptions(alg, key), jwt.signature);
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
