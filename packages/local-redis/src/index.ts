export * from './ports';
export * from './probe';
export * from './redis-server';
