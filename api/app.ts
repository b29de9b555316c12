/** The Express app factory: middleware, every route, the docs and the error handler. */
import express from 'express';
import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';
import { createAuthenticator } from './auth';
import type { ApiDeps } from './deps';
import { errorMiddleware, notFoundMiddleware } from './errors';
import { buildOpenApi, docsRouter } from './openapi';
import { mountRoutes, type RouteSpec } from './routing';
import { healthRoutes } from './routes/health';
import { messageRoutes } from './routes/messages';
import { profileRoutes } from './routes/profiles';
import { attributeRoutes } from './routes/attributes';
import { eventRoutes } from './routes/events';
import { segmentRoutes } from './routes/segments';
import { identifyRoutes } from './routes/identify';
import { tenantRoutes } from './routes/tenants';
import { consentRoutes } from './routes/consents';
import { iysRoutes } from './routes/iys';
import { iysSyncRoutes } from './routes/iysSync';
import { iysDriftRoutes } from './routes/iysDrift';
import { publicUrl } from '../config';

export const API_VERSION = '0.1.0';

export function allRoutes(deps: ApiDeps): RouteSpec[] {
  return [...healthRoutes(deps), ...tenantRoutes(deps), ...attributeRoutes(deps), ...profileRoutes(deps), ...identifyRoutes(deps), ...eventRoutes(deps), ...segmentRoutes(deps), ...consentRoutes(deps), ...iysRoutes(deps), ...iysSyncRoutes(deps), ...iysDriftRoutes(deps), ...messageRoutes(deps)];
}

export function createApp(base: Omit<ApiDeps, 'auth'>): express.Express {
  const deps: ApiDeps = { ...base, auth: createAuthenticator(base.db, base.config.ROTA_ADMIN_API_KEY) };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    pinoHttp({
      logger: deps.logger,
      // The caller's request id when it sends one, so a request can be followed across services.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  app.use(deps.metrics.timeRequests);
  // Consent imports carry tens of thousands of rows, as JSON or CSV; registered first, the general parser then leaves them be.
  app.use('/v1/consents/import', express.json({ limit: '25mb' }), express.text({ type: ['text/csv', 'text/plain'], limit: '25mb' }));
  app.use(express.json({ limit: '5mb' }));

  const routes = allRoutes(deps);
  app.use(docsRouter(buildOpenApi(routes, { version: API_VERSION, serverUrl: deps.config.PUBLIC_URL ?? publicUrl(deps.config) })));
  app.use(mountRoutes(routes, deps.auth.require));
  app.use(notFoundMiddleware);
  app.use(errorMiddleware);
  return app;
}
