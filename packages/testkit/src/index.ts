export * from './app-process';
export * from './eventually';
export * from './isolation';
export * from './ports';
export * from './provision';
export * from './redis-server';
