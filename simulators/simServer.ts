/**
 * What every simulator shares: an express app with fault injection
 * (`POST /sim/faults {status, count}` makes the next `count` provider calls answer
 * `status`), and start/stop on a port.
 */
import express, { type Express, type RequestHandler } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimServer {
  url: string;
  close(): Promise<void>;
}

export function createSimApp(): { app: Express; faultInjection: RequestHandler } {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  const faults: { status: number; remaining: number } = { status: 503, remaining: 0 };
  app.post('/sim/faults', (req, res) => {
    const { status, count } = req.body as { status?: number; count?: number };
    faults.status = status ?? 503;
    faults.remaining = count ?? 1;
    res.json(faults);
  });
  const faultInjection: RequestHandler = (_req, res, next) => {
    if (faults.remaining > 0) {
      faults.remaining--;
      res.status(faults.status).json({ error: { code: faults.status, status: 'INJECTED_FAULT', message: 'fault injected by the simulator' } });
      return;
    }
    next();
  };
  return { app, faultInjection };
}

export async function listen(app: Express, port = 0, host = '127.0.0.1'): Promise<SimServer> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actual}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
