export * from './redis-client';
export * from './topology';
export * from './transaction-pool';
export * from './node-bound-connection';
export * from './failure-log';
export * from './replica-acks';
