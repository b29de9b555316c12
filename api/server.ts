/**
 * The API's composition root: one MongoDB connection and one Temporal client, created at
 * boot and injected into the app. Shutdown closes HTTP first (no new work), then the
 * database, then Temporal.
 */
import { Client, Connection } from '@temporalio/client';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config';
import { runEntryPoint } from '../lib/entryPoint';
import { connectDb } from '../data/db';
import { createLogger, type Logger } from '../lib/logger';
import { seedDemoApp } from '../tenants/apiKeys';
import { createApp } from './app';
import { createMetrics } from './metrics';

export interface RunningApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startApi(config: Config, logger: Logger = createLogger(config.LOG_LEVEL)): Promise<RunningApi> {
  const db = await connectDb(config.MONGODB_URI);
  let connection: Connection | undefined;
  const server = http.createServer();
  try {
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    // A fixed demo key (docker-compose, scripts) is seeded before the first request can use it.
    if (config.ROTA_DEMO_API_KEY) await seedDemoApp(db, config.ROTA_DEMO_API_KEY);
    server.on('request', createApp({ db, temporal, config, logger, metrics: createMetrics() }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, () => resolve());
    });
  } catch (err) {
    // Nothing half-open is left behind when boot fails.
    await connection?.close();
    await db.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.HOST}:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await db.close();
      await connection?.close();
    },
  };
}

if (require.main === module) {
  runEntryPoint('API', async (config, logger) => {
    const api = await startApi(config, logger);
    logger.info({ url: api.url }, 'API listening');
    const shutdown = () => void api.close().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
}
