/** The one structured logger outside workflow code (workflows log through @temporalio/workflow's `log`). */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  // API keys must never reach a log line.
  return pino({ level, base: { service: 'rota' }, redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' } });
}
