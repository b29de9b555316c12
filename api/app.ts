/** The Express app factory: middleware, every route, the docs and the error handler. */
import express from 'express';
import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';
import { createAuthenticator } from './auth';
import type { ApiDeps } from './deps';
import { errorMiddleware, notFoundMiddleware } from './errors';
import { buildOpenApi, docsRouter } from './openapi';
import { rateLimitPerKey } from './rateLimit';
import { mountRoutes, type RouteSpec } from './routing';
import { healthRoutes } from './routes/health';
import { messageRoutes } from './routes/messages';
import { unsubscribeRoutes } from './routes/unsubscribe';
import { deliverySettingsRoutes } from './routes/deliverySettings';
import { channelSettingsRoutes } from './routes/channelSettings';
import { campaignRoutes } from './routes/campaigns';
import { journeyRoutes } from './routes/journeys';
import { profileRoutes } from './routes/profiles';
import { attributeRoutes } from './routes/attributes';
import { eventTypeRoutes } from './routes/eventTypes';
import { eventRoutes } from './routes/events';
import { segmentRoutes } from './routes/segments';
import { templateRoutes } from './routes/templates';
import { identifyRoutes } from './routes/identify';
import { tenantRoutes } from './routes/tenants';
import { consentRoutes } from './routes/consents';
import { iysRoutes } from './routes/iys';
import { iysSyncRoutes } from './routes/iysSync';
import { iysDriftRoutes } from './routes/iysDrift';
import { uninstallProbeRoutes } from './routes/uninstallProbe';
import { whoamiRoutes } from './routes/whoami';
import { consoleRouter } from './console';
import { publicUrl } from '../config';

export const API_VERSION = '0.1.0';

// Consent imports carry tens of thousands of rows, as JSON or as CSV (text/csv, or text/plain as spreadsheets often send it).
const CONSENT_IMPORT_BODY = { bodyTypes: ['application/json', 'text/csv', 'text/plain'], bodyLimit: '25mb' };

function withBodyOptions(spec: RouteSpec): RouteSpec {
  return spec.method === 'post' && spec.path === '/v1/consents/import' && !spec.bodyTypes ? { ...spec, ...CONSENT_IMPORT_BODY } : spec;
}

export function allRoutes(deps: ApiDeps): RouteSpec[] {
  return [...healthRoutes(deps), ...tenantRoutes(deps), ...whoamiRoutes(deps), ...attributeRoutes(deps), ...profileRoutes(deps), ...identifyRoutes(deps), ...eventRoutes(deps), ...eventTypeRoutes(deps), ...segmentRoutes(deps), ...templateRoutes(deps), ...consentRoutes(deps), ...iysRoutes(deps), ...iysSyncRoutes(deps), ...iysDriftRoutes(deps), ...deliverySettingsRoutes(deps), ...channelSettingsRoutes(deps), ...uninstallProbeRoutes(deps), ...messageRoutes(deps), ...campaignRoutes(deps), ...journeyRoutes(deps), ...unsubscribeRoutes(deps)].map(withBodyOptions);
}

export function createApp(base: Omit<ApiDeps, 'auth'>): express.Express {
  const deps: ApiDeps = { ...base, auth: createAuthenticator(base.db, base.config.ROTA_ADMIN_API_KEY, base.config.ROTA_METRICS_TOKEN) };
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
  // No body parser here: each route parses its own body once its key has been checked (api/routing.ts).

  const routes = allRoutes(deps);
  app.use(consoleRouter());
  app.use(docsRouter(buildOpenApi(routes, { version: API_VERSION, serverUrl: deps.config.PUBLIC_URL ?? publicUrl(deps.config) })));
  const { ROTA_RATE_LIMIT_PER_SECOND: perSecond, ROTA_RATE_LIMIT_BURST: burst } = deps.config;
  app.use(mountRoutes(routes, { authenticate: deps.auth.require, limitPerKey: perSecond > 0 ? rateLimitPerKey({ perSecond, burst }) : undefined }));
  app.use(notFoundMiddleware);
  app.use(errorMiddleware);
  return app;
}
