export * from './redis-client';
export * from './transaction-pool';
