export * from './events';
export * from './state';
export * from './store';
export * from './idempotency';
