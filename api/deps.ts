import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../data/db';
import type { Logger } from '../lib/logger';
import type { ApiMetrics } from './metrics';
import type { Authenticator } from './auth';

/** What the API is built from: one Temporal client and one database, created at boot. */
export interface ApiDeps {
  db: Db;
  temporal: Client;
  config: Config;
  logger: Logger;
  metrics: ApiMetrics;
  auth: Authenticator;
}
