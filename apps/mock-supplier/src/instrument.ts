import { startTracing } from '@skyway/telemetry';

/** Tracing starts before any other module loads (main.ts imports this first): ioredis is instrumented as it is required. */
export const tracing = startTracing({ serviceName: 'mock-supplier', env: process.env });
