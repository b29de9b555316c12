/**
 * Request bodies: which media types a route takes (415 for any other), and their parsers.
 * Bodies are parsed per route, after the key is checked (api/routing.ts), never before.
 */
import express, { type Request, type RequestHandler } from 'express';
import { ApiError } from './errors';

export const JSON_TYPE = 'application/json';

/**
 * Whether a body was sent: a length above 0 or a chunked body. A GET, or a POST with
 * `content-length: 0`, has none, whatever its content type says.
 */
export function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > 0;
}

/** 415 naming the type sent and the ones taken, before a byte of the body is read. */
export function requireBodyType(types: string[]): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req) || req.is(types)) return next();
    const sent = req.headers['content-type'];
    const taken = types.join(', ');
    throw new ApiError(415, 'unsupported_media_type', `the body was sent as ${sent ? `'${sent}'` : 'no content type'}; this route takes ${taken}`, [
      { path: 'headers.content-type', message: `must be ${types.length > 1 ? 'one of ' : ''}${taken}` },
    ]);
  };
}

/** The parsers for `types` (JSON as JSON, any text type as a string), each bounded by `limit`. */
export function bodyParsers(types: string[], limit: string): RequestHandler[] {
  const json = types.filter((t) => t === JSON_TYPE || t.endsWith('+json'));
  const text = types.filter((t) => !json.includes(t));
  return [...(json.length ? [express.json({ type: json, limit })] : []), ...(text.length ? [express.text({ type: text, limit })] : [])];
}
