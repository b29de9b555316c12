/**
 * Configuration from the environment, validated once at boot. A bad value stops the
 * process with one line naming the variable (see `exitOnConfigError`).
 */
import { z } from 'zod';
import { API_KEY_FORMAT } from './domain/auth';
import { segmentQuerySettingsSchema } from './segments/queryBudget';

const url = z.url();

export const configSchema = z.object({
  ...segmentQuerySettingsSchema.shape,
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: url.optional().describe('Base URL clients use to reach the API (default http://HOST:PORT)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URI'),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:/\s]+:\d+$/, 'must be host:port'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('rota'),
  /** A workflow bundle built ahead from this same code (`bundleWorkflowCode`), so a starting worker does not run webpack; unset: bundled at start. */
  TEMPORAL_WORKFLOW_BUNDLE: z.string().min(1).optional(),

  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL'),
  SMTP_FROM: z.string().min(3).default('Rota <no-reply@rota.local>'),
  SMS_PROVIDER_URL: url,
  SMS_SENDER: z.string().min(1).max(11).default('ROTA'),
  /**
   * FCM HTTP v1 and APNs base URLs (default: Google's and Apple's) and the deployment's default push credentials, for apps that
   * saved none (providers/pushAdapters.ts); `npm run dev` points them at its simulators.
   */
  FCM_URL: url.optional(),
  APNS_URL: url.optional(),
  PUSH_CREDENTIALS_FILE: z.string().min(1).optional(),

  /** Signs the receipt tokens carried in push payloads (device SDKs return them with receipts). */
  RECEIPT_SECRET: z.string().min(16, 'must be at least 16 characters'),
  /** Encrypts apps' provider credentials at rest (lib/sealedSecrets.ts); unset: derived from RECEIPT_SECRET. Changing it makes saved credentials unreadable. */
  CREDENTIALS_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Default push→SMS fallback wait when a message names none. */
  FALLBACK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(300),
  /** How late an offline device's event may arrive: older `occurredAt`s are rejected. */
  EVENT_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** How far ahead of the server's clock a device's `occurredAt` may be (clock skew). */
  EVENT_MAX_SKEW_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),

  /** İYS (or the simulator): base URL and the integration account's credentials. Unset: no app can leave mode `off`. */
  IYS_URL: url.optional(),
  IYS_USERNAME: z.string().min(1).optional(),
  IYS_PASSWORD: z.string().min(1).optional(),
  /** İYS answers a batch no earlier than 300 s after it was sent (document); only a simulator may be asked sooner. */
  IYS_BATCH_FIRST_POLL_SECONDS: z.coerce.number().min(0).max(3600).default(300),
  /** İYS allows 10 requests per second per IP: the worker's budget, shared by all apps. */
  IYS_REQUESTS_PER_SECOND: z.coerce.number().min(1).max(10).default(10),

  /** The platform administrator's key: creates apps (tenants), each with its first admin key. */
  ROTA_ADMIN_API_KEY: z
    .string()
    .regex(API_KEY_FORMAT, 'must look like rota_<8 lowercase letters or digits>_<24+ letters or digits>')
    .optional(),
  /** Bearer token Prometheus sends to GET /metrics; the platform administrator's key works too. Unset (or empty): only that key. */
  ROTA_METRICS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'must be at least 16 characters').optional()),
  /** Per-API-key token bucket of each API process: refill rate (0 turns the limit off) and burst size. */
  ROTA_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(1000),
  ROTA_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(2000),
  ROTA_DEMO_API_KEY: z
    .string()
    .regex(API_KEY_FORMAT, 'must look like rota_<8 lowercase letters or digits>_<24+ letters or digits>')
    .optional(),
});

export type Config = z.infer<typeof configSchema>;

/** The key apps' provider credentials are sealed with (one place, so the API and the workers agree). */
export function credentialsSecret(config: Pick<Config, 'CREDENTIALS_KEY' | 'RECEIPT_SECRET'>): string {
  return config.CREDENTIALS_KEY ?? `credentials:${config.RECEIPT_SECRET}`;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export function publicUrl(config: Config, port = config.PORT): string {
  return config.PUBLIC_URL ?? `http://${config.HOST}:${port}`;
}

/** Entry points call this around boot so a bad variable is one line and exit code 78 (EX_CONFIG). */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(`rota: ${err.message}`);
    process.exit(78);
  }
  throw err;
}
