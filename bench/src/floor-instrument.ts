import { startTracing } from '@skyway/telemetry/tracing';

/** Preloaded (`node --require`) into the floor server's telemetry variants: tracing starts before Fastify loads, as in the apps. */
startTracing({ serviceName: 'bench-floor', env: process.env });
