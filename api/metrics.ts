/** Prometheus metrics: process defaults, HTTP latency by route, and the business counters. */
import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rota_' });
  const httpDuration = new Histogram({
    name: 'rota_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const messagesAccepted = new Counter({
    name: 'rota_messages_accepted_total',
    help: 'Messages accepted through /v1/messages',
    labelNames: ['category'] as const,
    registers: [registry],
  });
  const receipts = new Counter({
    name: 'rota_push_receipts_total',
    help: 'Device receipts accepted through /v1/receipts',
    labelNames: ['status'] as const,
    registers: [registry],
  });

  const timeRequests: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      // The route pattern, not the URL, so ids do not explode the label set.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route: `${req.baseUrl}${route}`, status: String(res.statusCode) });
    });
    next();
  };

  return { registry, messagesAccepted, receipts, timeRequests };
}

export type ApiMetrics = ReturnType<typeof createMetrics>;
