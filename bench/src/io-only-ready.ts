/** What the io-only provider prints once its consumer group exists (a module of its own: the benchmark process waits for it without loading the processes' code). */
export const IO_ONLY_PROVIDER_READY = 'io-only provider ready';
