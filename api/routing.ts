/**
 * Routes are declared once, with zod schemas for params, query and body: the same
 * declaration validates requests, names the role a route needs, and produces the
 * OpenAPI document (api/openapi.ts). A handler only runs on validated input.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../domain/auth';
import { validationError } from './errors';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** e.g. application/x-ndjson for streamed exports; default application/json */
  contentType?: string;
}

/**
 * `role` is the API-key role needed; `public` routes take no key (probes, docs, device
 * receipts); `platform` routes take only the platform administrator's key (ROTA_ADMIN_API_KEY).
 */
export type Access = Role | 'public' | 'platform';

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

export function mountRoutes(routes: RouteSpec[], authenticate: (access: Exclude<Access, 'public'>) => RequestHandler): Router {
  const router = Router();
  for (const spec of routes) {
    const handlers: RequestHandler[] = [];
    if (spec.access !== 'public') handlers.push(authenticate(spec.access));
    handlers.push(async (req, res) => {
      const params = parseOr400('params', spec.params, req.params);
      const query = parseOr400('query', spec.query, req.query);
      // A route without a body schema ignores any body; one with a schema gets {} for an empty body so the schema names the missing fields.
      const body = parseOr400('body', spec.body, req.body ?? {});
      await spec.handler({ params, query, body, req, res });
    });
    router[spec.method](spec.path, ...handlers);
  }
  return router;
}
