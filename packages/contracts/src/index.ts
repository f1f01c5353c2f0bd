export * from './envelope';
export * from './journeys';
export * from './search';
export * from './search-rules';
export * from './stream-codec';
export * from './streams';
export * from './validator';
export * from './supplier-api';
