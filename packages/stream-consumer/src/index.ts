export * from './consumer';
