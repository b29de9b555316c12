/** The part of http_ece (Encrypted Content-Encoding for HTTP, RFC 8188) the web push simulator uses; the package ships no types. */
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';

  export interface EceParams {
    version?: 'aes128gcm' | 'aesgcm' | 'aesgcm128';
    /** The receiver's key pair (decrypt) or the sender's (encrypt). */
    privateKey?: ECDH;
    /** The other side's public key (base64url or bytes); for aes128gcm decryption it is read from the header's keyid. */
    dh?: string | Buffer;
    /** The subscription's auth secret (base64url or bytes). */
    authSecret?: string | Buffer;
    salt?: string | Buffer;
    rs?: number;
  }

  export function decrypt(buffer: Buffer, params: EceParams): Buffer;
  export function encrypt(buffer: Buffer, params: EceParams): Buffer;
}
