/**
 * Routes are declared once, with zod schemas for params, query and body: the same
 * declaration validates requests, names the role a route needs, and produces the
 * OpenAPI document (api/openapi.ts). A handler only runs on validated input.
 *
 * Each route runs, in order: the key check, the per-key limit, the body's media type
 * (415), the body parser, validation, the handler. Nothing of a body is read for a
 * request that has no right to be answered.
 */
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../domain/auth';
import { retryTransient } from '../data/transient';
import { bodyParsers, JSON_TYPE, requireBodyType } from './contentType';
import { ApiError, validationError } from './errors';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** e.g. application/x-ndjson for streamed exports; default application/json */
  contentType?: string;
}

/**
 * `role` is the API-key role needed (or a list: any one of them will do); `public` routes take no key (probes, docs, device
 * receipts); `platform` routes take only the platform administrator's key (ROTA_ADMIN_API_KEY);
 * `metrics` takes the scraper's token (ROTA_METRICS_TOKEN) or the platform key.
 */
export type Access = Role | readonly Role[] | 'public' | 'platform' | 'metrics';

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** The body as documented, when the handler validates parts of it itself (e.g. batch items one by one). */
  bodyDoc?: z.ZodType;
  /** Media types the body may be sent as (others: 415); default application/json. Text types arrive as a string. */
  bodyTypes?: string[];
  /** Largest body taken, e.g. '25mb'; default 5mb, or 100kb on public routes. */
  bodyLimit?: string;
  responses: Record<number, ResponseSpec>;
  handler: (input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B>; req: Request; res: Response }) => Promise<void> | void;
}

/** Keeps the type inference of each route's schemas at the declaration site. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

function parseOr400(where: 'params' | 'query' | 'body', schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(where, parsed.error);
  return parsed.data;
}

export const DEFAULT_BODY_LIMIT = '5mb';
/** Routes anyone may call (device receipts) take only small bodies. */
export const PUBLIC_BODY_LIMIT = '100kb';
// Reads may be repeated after a lost race with a writer (SQLITE_BUSY), as long as nothing of the answer has been sent.
const SAFE_METHODS = new Set(['GET', 'HEAD']);
const READ_ATTEMPTS = 4;

export interface MountOptions {
  authenticate: (access: Exclude<Access, 'public'>) => RequestHandler;
  /** Runs after a key was accepted and before the body is read (the per-key rate limit); not on public or metrics routes. */
  limitPerKey?: RequestHandler;
}

export function mountRoutes(routes: RouteSpec[], { authenticate, limitPerKey }: MountOptions): Router {
  const router = Router();
  for (const spec of routes) {
    const handlers: RequestHandler[] = [];
    if (spec.access !== 'public') handlers.push(authenticate(spec.access));
    if (limitPerKey && spec.access !== 'public' && spec.access !== 'metrics') handlers.push(limitPerKey);
    if (spec.body) {
      const types = spec.bodyTypes ?? [JSON_TYPE];
      handlers.push(requireBodyType(types), ...bodyParsers(types, spec.bodyLimit ?? (spec.access === 'public' ? PUBLIC_BODY_LIMIT : DEFAULT_BODY_LIMIT)));
    }
    handlers.push(async (req, res) => {
      const params = parseOr400('params', spec.params, req.params);
      const query = parseOr400('query', spec.query, req.query);
      // A route without a body schema ignores any body (and reads none); one with a schema gets {} for an empty body so the schema names the missing fields.
      const body = parseOr400('body', spec.body, req.body ?? {});
      const run = async () => spec.handler({ params, query, body, req, res });
      await (SAFE_METHODS.has(req.method) ? retryTransient(run, READ_ATTEMPTS, () => !res.headersSent) : run());
    });
    router[spec.method](spec.path, ...handlers);
  }
  router.use(undecodableParamTo400(routes));
  return router;
}

/** An Express path (`/v1/profiles/:externalId`) as a pattern over the raw, still percent-encoded path; Express's own matching is case-insensitive and takes a trailing slash. */
function rawPattern(path: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^${source}/?$`, 'i'), names };
}

function decodes(value: string): boolean {
  try {
    decodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Express fails to decode a malformed path parameter (`/v1/profiles/%E0%A4%A`) before any
 * handler runs, and its error does not say which parameter: found here from the route
 * declarations, and answered as the 400 any other bad parameter gets.
 */
function undecodableParamTo400(routes: RouteSpec[]): ErrorRequestHandler {
  const patterns = routes.map((spec) => ({ spec, ...rawPattern(spec.path) }));
  return (err, req, _res, next) => {
    if (!(err instanceof URIError)) return next(err);
    const method = req.method.toLowerCase();
    const candidates = [...patterns.filter((p) => p.spec.method === method), ...patterns.filter((p) => p.spec.method !== method)];
    for (const { regex, names } of candidates) {
      const m = regex.exec(req.path);
      const bad = m ? names.find((_name, i) => !decodes(m[i + 1]!)) : undefined;
      if (bad) {
        const path = `params.${bad}`;
        return next(new ApiError(400, 'invalid_request', `${path}: not a valid percent-encoded value`, [{ path, message: 'not a valid percent-encoded value' }]));
      }
    }
    next(err);
  };
}
