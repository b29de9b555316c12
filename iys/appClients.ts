/**
 * One İYS client per app and brand in a worker process: all share the process's request
 * budget (İYS counts per IP) and each app's token pair lives in MongoDB, so every worker
 * uses the same login (İYS limits token requests per hour).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import type { Db } from '../data/db';
import type { ActiveIysSettings } from './appSettings';
import { createIysClient, createMongoTokenStore, RateLimiter, type IysClient, type IysClientOptions } from './client';

export const IYS_NOT_CONFIGURED = 'IysNotConfigured';

export type IysClientConfig = Pick<Config, 'IYS_URL' | 'IYS_USERNAME' | 'IYS_PASSWORD' | 'IYS_BATCH_FIRST_POLL_SECONDS' | 'IYS_REQUESTS_PER_SECOND'>;

export interface IysClients {
  forApp(appId: string, settings: ActiveIysSettings): IysClient;
  /** How long after submission a batch's answers may be asked for. */
  firstPollMs: number;
}

export function createIysClients(config: IysClientConfig, db: Db, extra: Partial<IysClientOptions> = {}): IysClients {
  const limiter = new RateLimiter(config.IYS_REQUESTS_PER_SECOND);
  const clients = new Map<string, IysClient>();
  return {
    firstPollMs: config.IYS_BATCH_FIRST_POLL_SECONDS * 1000,
    forApp(appId, s) {
      if (!config.IYS_URL || !config.IYS_USERNAME || !config.IYS_PASSWORD) {
        throw ApplicationFailure.nonRetryable('İYS is not configured: set IYS_URL, IYS_USERNAME and IYS_PASSWORD', IYS_NOT_CONFIGURED);
      }
      const key = `${appId}|${s.iysCode}|${s.brandCode}`;
      let client = clients.get(key);
      if (!client) {
        client = createIysClient({
          baseUrl: config.IYS_URL, username: config.IYS_USERNAME, password: config.IYS_PASSWORD, iysCode: s.iysCode, brandCode: s.brandCode,
          tokenStore: createMongoTokenStore(db, appId), limiter,
          // Temporal retries the activity with its own backoff (for hours if need be); the client only rides out short blips.
          maxAttempts: 3, maxRetryWaitMs: 5_000,
          batchFirstPollMs: config.IYS_BATCH_FIRST_POLL_SECONDS * 1000,
          // One look per collect: the outbox workflow waits between looks on a durable timer.
          batchMaxPolls: 1,
          ...extra,
        });
        clients.set(key, client);
      }
      return client;
    },
  };
}
