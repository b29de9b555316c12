/** Liveness, readiness (MongoDB and Temporal answer) and Prometheus metrics (behind the scraper's token: every tenant's counters). */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { route } from '../routing';

const check = z.object({ status: z.enum(['ok', 'failing']), error: z.string().optional() });
const readiness = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ mongodb: check, temporal: check }) });

async function probe(fn: () => Promise<unknown>): Promise<z.infer<typeof check>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 2 s')), 2000)))]);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'failing', error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes({ db, temporal, metrics }: ApiDeps) {
  return [
    route({
      method: 'get', path: '/healthz', tag: 'operations', access: 'public',
      summary: 'Liveness: the process answers',
      responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
      handler: ({ res }) => void res.json({ status: 'ok' }),
    }),
    route({
      method: 'get', path: '/readyz', tag: 'operations', access: 'public',
      summary: 'Readiness: MongoDB and Temporal both answer',
      responses: { 200: { description: 'ready', schema: readiness }, 503: { description: 'a dependency is failing', schema: readiness } },
      handler: async ({ res }) => {
        const [mongodb, temporalCheck] = await Promise.all([
          probe(() => db.ping()),
          probe(() => temporal.connection.workflowService.getSystemInfo({})),
        ]);
        const ready = mongodb.status === 'ok' && temporalCheck.status === 'ok';
        res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { mongodb, temporal: temporalCheck } });
      },
    }),
    route({
      method: 'get', path: '/metrics', tag: 'operations', access: 'metrics',
      summary: 'Prometheus metrics (bearer ROTA_METRICS_TOKEN, or the platform administrator key)',
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain', schema: z.string() } },
      handler: async ({ res }) => {
        res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      },
    }),
  ];
}
