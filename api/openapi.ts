/** The OpenAPI 3.1 document, generated from the same route declarations that validate requests, and the docs page. */
import express, { Router } from 'express';
import swaggerUi from 'swagger-ui-dist';
import { z } from 'zod';
import { errorBodySchema } from './errors';
import type { RouteSpec } from './routing';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parametersOf(where: 'path' | 'query', schema: z.ZodType | undefined): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Invalid input; `details` names each failing field',
  401: 'Missing or invalid API key',
  403: 'The API key lacks the role this route needs',
  413: 'Too many items in one request',
  415: 'The body is not sent as a media type this route takes (`details` names `headers.content-type`)',
  429: 'Rate limit of this API key exceeded; retry after `Retry-After` seconds',
};

export function buildOpenApi(routes: RouteSpec[], info: { version: string; serverUrl?: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const errorSchema = schemaOf(errorBodySchema, 'output');
  for (const r of routes) {
    const oasPath = r.path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, JsonSchema> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema ? { content: { [spec.contentType ?? 'application/json']: { schema: schemaOf(spec.schema, 'output') } } } : {}),
      };
    }
    const errorStatuses = [
      ...(r.body || r.query || r.params ? [400] : []), ...(r.access === 'public' ? [] : [401, 403]), ...(r.body ? [415] : []), ...(r.access === 'public' || r.access === 'metrics' ? [] : [429]),
    ];
    for (const status of errorStatuses) {
      responses[String(status)] ??= { description: ERROR_RESPONSES[status], content: { 'application/json': { schema: errorSchema } } };
    }
    (paths[oasPath] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${oasPath.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [...parametersOf('path', r.params), ...parametersOf('query', r.query)],
      ...(r.body ? { requestBody: { required: true, content: Object.fromEntries((r.bodyTypes ?? ['application/json']).map((type) => [type, { schema: schemaOf(r.bodyDoc ?? r.body!, 'input') }])) } } : {}),
      responses,
      ...(r.access === 'public' ? { security: [] } : { 'x-required-role': typeof r.access === 'string' ? r.access : r.access.join(' | ') }),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Rota API', version: info.version, description: 'Customer data, journeys, campaigns and İYS consent on Temporal.' },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'rota_<id>_<secret>' } } },
    security: [{ apiKey: [] }],
    paths,
  };
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rota API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;

export function docsRouter(document: JsonSchema): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => void res.json(document));
  router.use('/docs/assets', express.static(swaggerUi.getAbsoluteFSPath(), { index: false }));
  router.get('/docs', (_req, res) => void res.type('html').send(DOCS_HTML));
  return router;
}
