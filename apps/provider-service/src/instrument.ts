import { startTracing } from '@skyway/telemetry/tracing';

/**
 * Tracing starts before any other module loads (main.ts imports this first): ioredis is instrumented
 * as it is required. The `tracing` entry point, not the package's index, which loads ioredis.
 */
export const tracing = startTracing({ serviceName: 'provider-service', env: process.env });
