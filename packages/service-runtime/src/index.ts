export * from './config';
export * from './health';
export * from './logger';
export * from './run';
export * from './redis-plugin';
