import { freePort, isolatedRedis, spawnCaptured, waitUntilAnswering, type IsolatedRedis } from '@skyway/testkit';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './compose-file';
import { deployArgs } from './production-bundle';

/** Runs a command to its end; a failure carries the command's own output (pnpm prints its errors on stdout). */
async function run(file: string, args: string[], cwd: string): Promise<void> {
  const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const command = spawnCaptured(file, args, { env, cwd });
  const exit = await command.exited();
  if (exit !== 0) throw new Error(`\`${file} ${args.join(' ')}\` exited with ${exit}:\n${command.output()}`);
}

/**
 * What the Dockerfile's build stage produces, without Docker: `pnpm deploy --prod` of an app (its
 * folder plus production dependencies only, workspace packages as their built dist), started the
 * way the image starts it. A runtime dependency declared as a devDependency fails here.
 */
describe('production bundle (pnpm deploy --prod, as in infra/Dockerfile)', () => {
  let redis: IsolatedRedis;
  const bundles: string[] = [];
  beforeAll(async () => {
    redis = await isolatedRedis('bundle');
  });
  afterAll(async () => {
    await redis.cleanup();
    for (const dir of bundles) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['mock-supplier', 'provider-service', 'main-service'])('%s starts from its bundle, answers ready, and stops on SIGTERM', async (app) => {
    const dir = mkdtempSync(join(tmpdir(), `skyway-bundle-${app}-`));
    bundles.push(dir);
    await run('pnpm', deployArgs(app, join(dir, app)), REPO_ROOT);
    const bundle = join(dir, app);
    expect(existsSync(join(bundle, 'node_modules', 'jest'))).toBe(false);

    const port = await freePort();
    const started = spawnCaptured(process.execPath, ['dist/main.js'], {
      cwd: bundle,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, SUPPLIER_URLS: 'http://127.0.0.1:9' },
    });
    try {
      await waitUntilAnswering(started, `http://127.0.0.1:${port}/health/ready`, 20_000);
      if (app === 'main-service') {
        // Files shipped beside dist/: the demo page (public/) and the docs UI's own assets.
        for (const path of ['/', '/app.js', '/style.css', '/docs', '/docs/static/swagger-ui-bundle.js', '/docs/json']) {
          const response = await fetch(`http://127.0.0.1:${port}${path}`);
          // Read to the end: an unread body holds its connection open and delays the shutdown.
          expect([path, response.status, (await response.arrayBuffer()).byteLength > 0]).toEqual([path, 200, true]);
        }
      }
    } finally {
      started.child.kill('SIGTERM');
    }
    expect(await started.exited()).toBe(0);
  }, 60_000);
});
