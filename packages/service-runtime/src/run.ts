import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { ConfigError, type CommonConfig } from './config';

export interface ServiceDefinition<C extends CommonConfig> {
  readonly name: string;
  parseConfig(env: NodeJS.ProcessEnv): C;
  build(config: C): Promise<FastifyInstance>;
  /** How long in-flight work may take after SIGTERM/SIGINT before the process exits anyway. */
  readonly shutdownDeadlineMs?: number;
  /** Runs after the app has closed, before the process exits: flush telemetry. */
  readonly onShutdown?: () => Promise<void>;
}

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * The whole of an app's `main.ts`: parse the environment once (invalid → one line naming the
 * variable, exit 1), build the app, listen, and close it on SIGTERM/SIGINT or a fatal error.
 */
export async function runService<C extends CommonConfig>(service: ServiceDefinition<C>): Promise<void> {
  const exitOnConfigError: (error: unknown) => never = (error) => {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service.name}: invalid configuration: ${error.message}\n`);
    process.exit(1);
  };
  let config: C;
  try {
    config = service.parseConfig(process.env);
  } catch (error) {
    exitOnConfigError(error);
  }
  // Building may read what the configuration points at (e.g. a seed file) and find it invalid.
  const app = await service.build(config).catch(exitOnConfigError);
  closeWithGrace({ delay: service.shutdownDeadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'fatal error, shutting down');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    await service.onShutdown?.();
  });
  // Starting checks what the configuration must agree with in Redis (SEARCH_PARTITIONS).
  await app.listen({ host: config.host, port: config.port }).catch(exitOnConfigError);
}
