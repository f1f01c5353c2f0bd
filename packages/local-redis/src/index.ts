export * from './ports';
export * from './probe';
export * from './redis-server';
export * from './redis-cluster';
