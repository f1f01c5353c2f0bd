export * from './app-process';
export * from './eventually';
export * from './isolation';
export * from './prometheus-text';
export * from './provision';
export * from './service-process-suite';
export * from './sse-client';
export * from './telemetry-capture';
export { freePort, isRedisServerInstalled, startRedisServer, type RedisServer, type RedisServerOptions } from '@skyway/local-redis';
