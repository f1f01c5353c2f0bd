import { isRedisServerInstalled, redisAnswers, startRedisCluster, startRedisServer, type RedisCluster, type RedisServer } from '@skyway/local-redis';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { banner } from './banner';
import { DEV_USER, type LauncherConfig } from './config';
import { lineFormatter } from './log-lines';
import { spawnService, type ExitStatus, type ServiceProcess } from './service-process';
import { planServices, type RedisPlan, type ServicePlan } from './services';

/** How long an app may take to shut down after SIGTERM: above the apps' own 10 s shutdown deadline. */
export const CHILD_GRACE_MS = 12_000;
/** After this, the launcher says which service is not ready yet (and keeps running). */
export const READY_TIMEOUT_MS = 60_000;
/** How often the launcher checks that whoever started it (`pnpm start`) is still there. */
export const PARENT_CHECK_MS = 500;
/**
 * Under `pnpm start` one Ctrl-C arrives twice: the terminal signals the whole foreground group and
 * pnpm passes its own SIGINT on to the script. A repeat this soon is that same keypress, not a
 * second Ctrl-C asking to kill everything now.
 */
export const SAME_SIGNAL_MS = 1_000;

export const HOW_TO_GET_REDIS =
  'install Redis (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) so a private one can be started, ' +
  'or set REDIS_URL=redis://host:port to one that runs';

export interface LauncherIo {
  /** Writes one line for the user. */
  readonly print: (line: string) => void;
  readonly colour: boolean;
  /** The environment the apps inherit (the launcher's own values go on top). */
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

type StopReason =
  | { readonly kind: 'signal'; readonly signal: NodeJS.Signals }
  | { readonly kind: 'orphaned' }
  | { readonly kind: 'exited'; readonly name: string; readonly status: ExitStatus };

export interface Launcher {
  /** Runs until a stop is requested or an app exits; resolves to the process exit code. */
  run(): Promise<number>;
  /** First call: stop everything in order. A second call (past {@link SAME_SIGNAL_MS}): kill the apps now. */
  requestStop(signal: NodeJS.Signals): void;
}

const describeExit = (status: ExitStatus): string => (status.signal ? `signal ${status.signal}` : `code ${status.code}`);

/** The Redis the services use, and what the launcher started for them (stopped last). */
interface ProvidedRedis extends RedisPlan {
  readonly server?: RedisServer;
  readonly cluster?: RedisCluster;
}

export function createLauncher(config: LauncherConfig, io: LauncherIo, repoRoot: string): Launcher {
  const children: ServiceProcess[] = [];
  let reason: StopReason | undefined;
  let firstSignalAt: { readonly signal: NodeJS.Signals; readonly ms: number } | undefined;
  let resolveStop: (reason: StopReason) => void = () => undefined;
  const stopRequested = new Promise<StopReason>((resolve) => (resolveStop = resolve));
  const stop = (next: StopReason): void => {
    if (reason) return;
    reason = next;
    resolveStop(next);
  };
  const entry = (name: ServicePlan['name']) => join(repoRoot, 'apps', name, 'dist', 'main.js');
  // Last resort if the launcher dies of an error: no app outlives it.
  process.once('exit', () => children.forEach((child) => child.kill()));

  async function provideRedis(): Promise<ProvidedRedis | undefined> {
    if (config.localRedisCluster) {
      const cluster = await startRedisCluster({ ownProcessGroup: true });
      io.print(
        `[launcher] started a private Redis Cluster (3 masters + 3 replicas, no persistence) at ${cluster.seeds}; it stops when the launcher does`,
      );
      return { url: `redis://${cluster.nodes[0]?.address ?? ''}`, clusterNodes: cluster.seeds, cluster };
    }
    if (config.redisClusterNodes) {
      io.print(`[launcher] using the Redis Cluster at ${config.redisClusterNodes}`);
      return { url: config.redisUrl, clusterNodes: config.redisClusterNodes };
    }
    if (await redisAnswers(config.redisUrl)) {
      io.print(`[launcher] using the Redis at ${config.redisUrl}`);
      return { url: config.redisUrl };
    }
    if (!isRedisServerInstalled()) {
      io.print(`[launcher] nothing answers at ${config.redisUrl} and redis-server is not on PATH: ${HOW_TO_GET_REDIS}`);
      return undefined;
    }
    const server = await startRedisServer({ ownProcessGroup: true });
    io.print(
      `[launcher] nothing answers at ${config.redisUrl}: started a private redis-server at ${server.url} ` +
        `(pid ${server.pid}, no persistence, data dir ${server.dir}); it stops when the launcher does`,
    );
    return { url: server.url, server };
  }

  async function whenReady(plan: ServicePlan, deadline: number): Promise<true | string> {
    let last = 'no answer yet';
    while (!reason && Date.now() < deadline) {
      try {
        const response = await fetch(`${plan.url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return true;
        last = `/health/ready answers ${response.status} ${await response.text()}`;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    return last;
  }

  /** A development access token from main-service's development issuer, for the banner. */
  async function signIn(main: ServicePlan): Promise<string | undefined> {
    try {
      const response = await fetch(`${main.url}/dev/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: DEV_USER }),
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) throw new Error(`it answered ${response.status}`);
      return ((await response.json()) as { access_token: string }).access_token;
    } catch (error) {
      io.print(`[launcher] could not get a development access token from main-service: ${(error as Error).message}`);
      return undefined;
    }
  }

  async function announceWhenReady(plans: ServicePlan[], redis: ProvidedRedis): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const results = await Promise.all(plans.map(async (plan) => [plan.name, await whenReady(plan, deadline)] as const));
    if (reason) return;
    const notReady = results.filter(([, result]) => result !== true);
    if (notReady.length > 0) {
      for (const [name, why] of notReady) io.print(`[launcher] ${name} is not ready after ${READY_TIMEOUT_MS / 1000} s: ${why}`);
      return;
    }
    const main = plans.find((plan) => plan.name === 'main-service') as ServicePlan;
    const accessToken = config.devIssuer ? await signIn(main) : undefined;
    const facts = {
      services: plans,
      redis: { url: redis.clusterNodes ? `Redis Cluster ${redis.clusterNodes}` : redis.url, private: redis.server !== undefined || redis.cluster !== undefined },
      token: config.journeyApiToken,
      accessToken,
      today: io.now(),
    };
    // One write, so the services' log lines cannot land in the middle of it.
    io.print(banner(facts).join('\n'));
  }

  async function run(): Promise<number> {
    const missing = (['mock-supplier', 'provider-service', 'main-service'] as const).filter((name) => !existsSync(entry(name)));
    if (missing.length > 0) {
      io.print(`[launcher] not built: ${missing.join(', ')}; run \`pnpm build\` first (\`pnpm start\` does)`);
      return 1;
    }
    const redis = await provideRedis();
    if (!redis) return 1;

    const plans = planServices(config, redis);
    const width = Math.max(...plans.map((plan) => plan.name.length));
    plans.forEach((plan, index) => {
      if (reason) return;
      const format = lineFormatter(plan.name, index, width, io.colour);
      const child = spawnService({ name: plan.name, entry: entry(plan.name), env: { ...io.env, ...plan.env }, onLine: (line) => io.print(format(line)) });
      children.push(child);
      io.print(`[launcher] started ${plan.name} (pid ${child.pid}) on ${plan.url}`);
      void child.exited.then((status) => stop({ kind: 'exited', name: plan.name, status }));
    });
    void announceWhenReady(plans, redis);
    // pnpm does not pass SIGTERM on to the script it runs: when `pnpm start` is killed, the
    // launcher is re-parented, and that is its cue to stop too rather than leave the apps running.
    const parent = process.ppid;
    const parentWatch = setInterval(() => process.ppid !== parent && stop({ kind: 'orphaned' }), PARENT_CHECK_MS);

    const why = await stopRequested;
    clearInterval(parentWatch);
    io.print(
      why.kind === 'signal'
        ? `[launcher] ${why.signal}: stopping every service`
        : why.kind === 'orphaned'
          ? `[launcher] the process that started it (pid ${parent}) is gone: stopping every service`
          : `[launcher] ${why.name} exited unexpectedly (${describeExit(why.status)}): stopping the others`,
    );
    const statuses = await Promise.all(children.map(async (child) => [child.name, await child.stop(CHILD_GRACE_MS)] as const));
    for (const [name, status] of statuses) io.print(`[launcher] ${name} stopped (${describeExit(status)})`);
    if (redis.server) {
      await redis.server.stop();
      io.print('[launcher] private redis-server stopped');
    }
    if (redis.cluster) {
      await redis.cluster.stop();
      io.print('[launcher] private Redis Cluster stopped');
    }
    const clean = why.kind === 'signal' && statuses.every(([, status]) => status.code === 0);
    return clean ? 0 : 1;
  }

  return {
    run,
    requestStop(signal) {
      const now = io.now().getTime();
      if (!reason) {
        firstSignalAt = { signal, ms: now };
        return stop({ kind: 'signal', signal });
      }
      if (firstSignalAt?.signal === signal && now - firstSignalAt.ms < SAME_SIGNAL_MS) return;
      io.print(`[launcher] ${signal} again: killing every service now`);
      children.forEach((child) => child.kill());
    },
  };
}
