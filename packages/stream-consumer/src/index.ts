export * from './consumer';
export * from './concurrency-limit';
