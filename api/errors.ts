/**
 * The one error type and the one error middleware: every failure leaves the API as
 * `{ "error": { "code", "message", "details" } }` with the right status and no stack trace.
 */
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { isDuplicateKey } from '../data/db';
import { isDatabaseUnavailable, isTransientWriteError } from '../data/transient';
import { InvalidInputError } from '../lib/invalidInput';

export interface ErrorDetail {
  path?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Runs an insert; a duplicate key becomes a 409 naming the field that collided. */
export async function insertOr409<T>(insert: () => Promise<T>, message: string, path: string): Promise<T> {
  try {
    return await insert();
  } catch (err) {
    if (isDuplicateKey(err)) throw new ApiError(409, 'conflict', message, [{ path, message: 'already taken' }]);
    throw err;
  }
}

/** zod issues → 400 naming each failing field as `body.x.y`, `query.x` or `params.x`. */
export function validationError(where: 'body' | 'query' | 'params', error: z.ZodError): ApiError {
  const details = error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const first = details[0];
  return new ApiError(400, 'invalid_request', first ? `${first.path}: ${first.message}` : 'invalid request', details);
}

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string().optional(), message: z.string() })),
  }),
});

/** Temporal's frontend cannot be reached (gRPC UNAVAILABLE). */
function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; cause?: { code?: number } };
  return e?.name === 'ServiceError' && e.cause?.code === 14;
}

/** Maps anything a route throws to the error it answers; unknown failures are a 500 (a bug). */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof InvalidInputError) return new ApiError(400, 'invalid_request', err.message, err.issues);
  const e = err as { type?: string; status?: number; expose?: boolean; message?: string };
  if (e?.type === 'entity.parse.failed') return new ApiError(400, 'malformed_json', 'the request body is not valid JSON', [{ path: 'body', message: e.message ?? 'parse error' }]);
  if (e?.type === 'entity.too.large') return new ApiError(413, 'payload_too_large', 'the request body is too large');
  // Other client errors raised by Express and body-parser (bad URL encoding, aborted or mis-sized bodies, charsets).
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && (e.expose || err instanceof URIError)) return new ApiError(e.status, 'bad_request', e.message ?? 'bad request');
  // Before the duplicate-key check: a bulk write can carry a duplicate and a lock failure, and then it did not complete.
  if (isTransientWriteError(err)) return new ApiError(503, 'unavailable', 'the database is busy; retry shortly', [], { 'retry-after': '1' });
  if (isDatabaseUnavailable(err) || isTemporalUnavailable(err)) return new ApiError(503, 'unavailable', 'a dependency (database or Temporal) is unavailable; retry later', [], { 'retry-after': '5' });
  if (isDuplicateKey(err)) return new ApiError(409, 'conflict', 'a record with the same key already exists');
  if (err instanceof WorkflowNotFoundError) return new ApiError(404, 'not_found', 'no such workflow');
  return new ApiError(500, 'internal', 'internal error');
}

// A request answered before its body was read (401, 403, 415, 429): Node would read and discard all of it to keep the
// connection; past this much the connection is closed instead.
const MAX_DISCARDED_BODY = 1024 * 1024;

function discardAtMost(req: Request, limit: number): void {
  if (req.complete || req.readableEnded || req.listenerCount('data') > 0) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limit) req.socket.destroy();
  });
}

export const errorMiddleware: ErrorRequestHandler = (err, req, res, _next) => {
  const apiError = toApiError(err);
  if (apiError.status >= 500) req.log?.error({ err }, 'request failed');
  // A streamed answer that fails midway cannot change its status: the connection is cut so the client sees it incomplete.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(apiError.status).set(apiError.headers).json({ error: { code: apiError.code, message: apiError.message, details: apiError.details } });
  discardAtMost(req, MAX_DISCARDED_BODY);
};

export const notFoundMiddleware: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
