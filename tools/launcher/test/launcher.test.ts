import { redisAnswers } from '@skyway/local-redis';
import { eventually, freePort, repoRoot, spawnCaptured, testRedisUrl, uniqueKeyPrefix } from '@skyway/testkit';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_JOURNEY_API_TOKEN, DEV_USER } from '../src/config';

const entry = join(repoRoot(), 'tools', 'launcher', 'dist', 'main.js');

interface LauncherRun {
  readonly pid: number;
  output(): string;
  readonly exited: Promise<number | NodeJS.Signals | null>;
  signal(signal: NodeJS.Signals): void;
}

/** `node tools/launcher/dist/main.js` as a user would run it (after `pnpm build`), on free ports. */
async function launch(env: Record<string, string>, command = [process.execPath, entry]): Promise<LauncherRun & { mainUrl: string; ports: number[] }> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
  const ports = [await freePort(), await freePort(), await freePort()];
  const [file, ...args] = command as [string, ...string[]];
  const launcher = spawnCaptured(file, args, {
    cwd: repoRoot(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MAIN_SERVICE_PORT: String(ports[0]),
      PROVIDER_SERVICE_PORT: String(ports[1]),
      MOCK_SUPPLIER_PORT: String(ports[2]),
      SUPPLIER_LATENCY_MS: '0',
      ...env,
    },
  });
  return {
    pid: launcher.child.pid as number,
    output: launcher.output,
    exited: launcher.exited(),
    signal: (signal) => void launcher.child.kill(signal),
    mainUrl: `http://127.0.0.1:${ports[0]}`,
    ports,
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function answersHttp(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, run: LauncherRun, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; launcher output:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The banner's last line: once it is out, the whole banner is. */
const BANNER_END = 'Ctrl-C stops everything.';

/** Every `(pid N)` the launcher announced: the private redis-server and each app. */
const announcedPids = (output: string): number[] => [...output.matchAll(/\(pid (\d+)/g)].map((match) => Number(match[1]));

describe('pnpm start launcher', () => {
  it('starts a private redis-server when nothing answers at REDIS_URL, runs the apps, and leaves nothing behind on SIGINT', async () => {
    const run = await launch({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    try {
      await waitFor('main-service to be ready', async () => (await fetch(`${run.mainUrl}/health/ready`).catch(() => undefined))?.ok === true, run);
      await waitFor('the banner', () => run.output().includes(BANNER_END), run);
    } catch (error) {
      run.signal('SIGKILL');
      throw error;
    }
    const output = run.output();
    const privateRedis = /started a private redis-server at (redis:\/\/\S+) \(pid/.exec(output)?.[1];
    expect(privateRedis).toBeDefined();
    expect(await redisAnswers(privateRedis as string)).toBe(true);
    const pids = announcedPids(output);
    expect(pids).toHaveLength(4);
    expect(pids.every(isRunning)).toBe(true);
    expect(output).toMatch(/^main-service +\| .*Server listening/m);
    expect(output).toMatch(/^mock-supplier +\| .*Server listening/m);
    expect(output).toContain(`Service token JOURNEY_API_TOKEN (machine-to-machine, recorded as actor "service"): ${DEV_JOURNEY_API_TOKEN}`);
    const accessToken = /^ {2}export TOKEN=(\S+)$/m.exec(output)?.[1];
    expect(accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(output).toContain(`curl -N ${run.mainUrl}/api/flights/search/<search_id>/stream`);
    expect(output).toContain(`demo page ${run.mainUrl}/`);

    // What a newcomer opens: the demo page, the API reference, the bundled journeys, a search that completes.
    for (const path of ['/', '/docs', '/docs/json']) {
      const response = await fetch(run.mainUrl + path);
      expect([path, response.status, (await response.text()).length > 0]).toEqual([path, 200, true]);
    }
    // The printed access token reads and writes journeys, and the change is recorded as the developer's.
    const auth = { authorization: `Bearer ${accessToken}` };
    expect((await fetch(`${run.mainUrl}/api/journeys`)).status).toBe(401);
    const journeys = (await (await fetch(`${run.mainUrl}/api/journeys`, { headers: auth })).json()) as { journeyIds: string[] };
    expect(journeys.journeyIds.sort()).toEqual(['JRN-001', 'JRN-002', 'JRN-003']);
    const update = await fetch(`${run.mainUrl}/api/journeys/JRN-001/status`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'InProgress' }),
    });
    expect(update.status).toBe(200);
    const history = (await (await fetch(`${run.mainUrl}/api/journeys/JRN-001/history`, { headers: auth })).json()) as { changes: { actor: string }[] };
    expect(history.changes.map((change) => change.actor)).toEqual(['seed', DEV_USER]);
    const date = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const accepted = await fetch(`${run.mainUrl}/api/flights/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'CGK', to: 'DPS', date, passengers: 2 }),
    });
    expect(accepted.status).toBe(202);
    const searchId = ((await accepted.json()) as { data: { search_id: string } }).data.search_id;
    const completed = await eventually('the search to complete', async () => {
      const snapshot = (await (await fetch(`${run.mainUrl}/api/flights/search/${searchId}`)).json()) as { data: { status: string; total_results?: number } };
      return snapshot.data.status === 'completed' ? snapshot.data : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    expect(completed.total_results).toBeGreaterThan(0);

    run.signal('SIGINT');
    expect(await run.exited).toBe(0);
    expect(pids.filter(isRunning)).toEqual([]);
    expect(await redisAnswers(privateRedis as string)).toBe(false);
    for (const port of run.ports) expect(await answersHttp(`http://127.0.0.1:${port}/health/live`)).toBe(false);
    expect(run.output()).toContain('[launcher] private redis-server stopped');
  }, 60_000);

  it('`pnpm start` exits 0 after a Ctrl-C that stopped every service cleanly (SIGINT to its process group, as a terminal sends it)', async () => {
    // setsid: pnpm, the launcher and its apps in a group of their own, like a terminal's foreground job.
    const run = await launch({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniqueKeyPrefix('launcher') }, ['setsid', 'pnpm', 'start']);
    try {
      await waitFor('the banner', () => run.output().includes(BANNER_END), run, 60_000);
    } catch (error) {
      process.kill(-run.pid, 'SIGKILL');
      throw error;
    }
    // pnpm gets it and passes it on to the launcher, which gets it from the terminal too: one Ctrl-C.
    process.kill(-run.pid, 'SIGINT');
    expect([await run.exited, run.output()]).toEqual([0, expect.stringContaining('[launcher] main-service stopped (code 0)')]);
    expect(run.output()).not.toMatch(/killing every service now|ELIFECYCLE/);
    for (const port of run.ports) expect(await answersHttp(`http://127.0.0.1:${port}/health/live`)).toBe(false);
  }, 90_000);

  it('stops every service when the process that started it dies without passing a signal on (as pnpm does)', async () => {
    // `; true` keeps sh from exec-ing node, so the launcher is sh's child, like under `pnpm start`.
    const run = await launch({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniqueKeyPrefix('launcher') }, ['sh', '-c', `"${process.execPath}" "${entry}"; true`]);
    try {
      await waitFor('the banner', () => run.output().includes(BANNER_END), run);
    } catch (error) {
      run.signal('SIGKILL');
      throw error;
    }
    const pids = announcedPids(run.output());
    expect(pids).toHaveLength(3);
    run.signal('SIGKILL');
    await run.exited;
    try {
      await waitFor('every service to stop', () => pids.every((pid) => !isRunning(pid)), run);
    } finally {
      // Should it fail, the apps' exit still lets the orphaned launcher end.
      for (const pid of pids.filter(isRunning)) process.kill(pid, 'SIGKILL');
    }
    expect(run.output()).toMatch(/\[launcher\] the process that started it \(pid \d+\) is gone: stopping every service/);
  }, 60_000);

  it('uses the Redis at REDIS_URL when one answers, and stops the others and exits 1 when an app dies', async () => {
    // PROVIDER_CONCURRENCY=0 is invalid: provider-service exits 1 at start.
    const run = await launch({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniqueKeyPrefix('launcher'), PROVIDER_CONCURRENCY: '0' });
    const timer = setTimeout(() => run.signal('SIGKILL'), 30_000);
    try {
      expect(await run.exited).toBe(1);
    } finally {
      clearTimeout(timer);
    }
    const output = run.output();
    expect(output).toContain(`[launcher] using the Redis at ${testRedisUrl()}`);
    expect(output).toMatch(/^provider-service +\| provider-service: invalid configuration: PROVIDER_CONCURRENCY /m);
    expect(output).toContain('[launcher] provider-service exited unexpectedly (code 1): stopping the others');
    const pids = announcedPids(output);
    expect(pids).toHaveLength(3);
    expect(pids.filter(isRunning)).toEqual([]);
  }, 60_000);

  it('says in one line how to get Redis when none answers and redis-server is not on PATH', async () => {
    const run = await launch({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, PATH: '/nonexistent' });
    expect(await run.exited).toBe(1);
    expect(run.output().trim().split('\n')).toEqual([
      expect.stringMatching(/redis-server is not on PATH: install Redis \(Debian\/Ubuntu: apt-get install -y redis-server; .*or set REDIS_URL=/),
    ]);
  });

  it('refuses invalid configuration with one line naming the variable', async () => {
    const run = await launch({ MAIN_SERVICE_PORT: 'abc' });
    expect(await run.exited).toBe(1);
    expect(run.output().trim().split('\n')).toEqual([expect.stringMatching(/^launcher: invalid configuration: MAIN_SERVICE_PORT /)]);
  });
});
