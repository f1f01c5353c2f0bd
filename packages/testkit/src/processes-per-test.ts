/// <reference types="jest" />
// Jest's globals rather than `@jest/globals`, which throws when imported outside Jest (the
// benchmarks import this package from plain Node).
import { startApp, type AppName, type AppProcess } from './app-process';

export interface ProcessesPerTest {
  /** Starts a built app (`LOG_LEVEL=warn` unless `env` says otherwise) and waits until `/health/ready` answers. */
  start(name: AppName, env: Record<string, string>): Promise<AppProcess>;
  /** Runs `cleanup` after the test, once its processes are gone; the last deferred runs first. */
  defer(cleanup: () => Promise<void>): void;
}

/**
 * For tests that start the deployment as real processes: after each test, every app it started is
 * SIGKILLed (nothing it does on shutdown can hide a fault), then its deferred cleanups run in
 * reverse order (clients before the Redis they talk to). Call it inside a `describe`.
 */
export function processesPerTest(): ProcessesPerTest {
  const processes: AppProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((app) => app.stop('SIGKILL')));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async start(name, env) {
      const app = await startApp(name, { env: { LOG_LEVEL: 'warn', ...env }, readyPath: '/health/ready' });
      processes.push(app);
      return app;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
