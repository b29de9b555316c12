/** How each process entry point boots: config validated (one line and exit 78 when bad), then `start`, fatal errors logged. */
import { exitOnConfigError, loadConfig, type Config } from '../config';
import { createLogger, type Logger } from './logger';

export function runEntryPoint(name: string, start: (config: Config, logger: Logger) => Promise<void>): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    exitOnConfigError(err);
  }
  const logger = createLogger(config.LOG_LEVEL);
  start(config, logger).catch((err: unknown) => {
    logger.fatal({ err }, `${name} failed`);
    process.exit(1);
  });
}
