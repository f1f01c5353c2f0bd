/// <reference types="jest" />
// Jest's globals rather than `@jest/globals`: that module throws when imported outside Jest, and
// the benchmarks import this package from plain Node.
import { runToExit, startApp, type AppName } from './app-process';
import { eventually } from './eventually';
import { isolatedRedis, type IsolatedRedis } from './isolation';

export interface ServiceProcessSuite {
  /** `[variable, value]` pairs the app's config refuses: each must stop it with exit 1 and one line naming the variable. */
  readonly invalidEnv: readonly (readonly [variable: string, value: string])[];
  /** What `/health/ready` answers once ready (matched with `toMatchObject`). */
  readonly readyBody: object;
  /**
   * True when the app has nothing to start after listening, so `/health/ready` must answer 200 as
   * soon as `/health/live` does; otherwise readiness is awaited (bounded by `eventually`).
   */
  readonly readyWhenLive?: boolean;
}

/**
 * The cases every Skyway app owes as a real process (build first): an invalid variable exits 1
 * with one line naming it; with valid configuration it is live, then ready, and exits 0 on
 * SIGTERM after logging its shutdown. App-specific process cases go in a describe of their own.
 */
export function describeServiceProcess(name: AppName, suite: ServiceProcessSuite): void {
  describe(`${name} as a process`, () => {
    it.each(suite.invalidEnv)(
      'exits 1 with one line naming %s when it is %s',
      async (variable, value) => {
        const { exit, output } = await runToExit(name, { [variable]: value });
        expect(exit).toBe(1);
        expect(output.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${name}: invalid configuration: ${variable} `))]);
      },
    );

    describe('with valid configuration', () => {
      let redis: IsolatedRedis;
      beforeAll(async () => {
        redis = await isolatedRedis();
      });
      afterAll(() => redis.cleanup());

      it('is live and ready, and exits 0 on SIGTERM', async () => {
        const app = await startApp(name, { env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix } });
        try {
          expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
          if (suite.readyWhenLive) {
            const ready = await fetch(`${app.url}/health/ready`);
            expect(ready.status).toBe(200);
            expect(await ready.json()).toMatchObject(suite.readyBody);
          } else {
            const ready = await eventually('ready', async () => {
              const response = await fetch(`${app.url}/health/ready`);
              return response.status === 200 ? response.json() : undefined;
            });
            expect(ready).toMatchObject(suite.readyBody);
          }
        } finally {
          expect(await app.stop('SIGTERM')).toBe(0);
        }
        expect(app.output()).toContain('shutting down');
      });
    });
  });
}
