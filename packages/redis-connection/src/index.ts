export * from './redis-client';
export * from './transaction-pool';
export * from './failure-log';
