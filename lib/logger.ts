/** The one structured logger outside workflow code (workflows log through @temporalio/workflow's `log`). */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'rota' } });
}
