/**
 * The floor `bench:search` compares a search with: a Fastify app with one trivial route, as a
 * process of its own so its CPU per request is read from /proc like the pipeline's.
 * `FLOOR_TELEMETRY=true` adds the apps' telemetry plugin (metrics and request spans; tracing is
 * preloaded from floor-instrument, and `OTEL_SDK_DISABLED` turns it off as in the apps).
 */
import { telemetryPlugin } from '@skyway/telemetry';
import Fastify from 'fastify';

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  if (process.env.FLOOR_TELEMETRY === 'true') await app.register(telemetryPlugin);
  app.get('/floor', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
