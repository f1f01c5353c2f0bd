import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './ports';

export interface RedisClusterOptions {
  /** Masters; each gets `replicasPerMaster` replicas. */
  readonly masters?: number;
  readonly replicasPerMaster?: number;
  /** How long a node may be unreachable before it is failed over (Redis's default is 15 s). */
  readonly nodeTimeoutMs?: number;
  /** Kill the nodes when the owning process exits without stopping them. */
  readonly killOnExit?: boolean;
  /** Run the nodes in their own process group (the launcher stops them after the apps). */
  readonly ownProcessGroup?: boolean;
}

export interface RedisClusterNode {
  readonly port: number;
  readonly address: string;
  readonly pid: number;
  readonly dir: string;
}

/** A private Redis Cluster of `redis-server --cluster-enabled yes` processes on loopback. */
export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  /** `127.0.0.1:port,…`: the value for `REDIS_CLUSTER_NODES`. */
  readonly seeds: string;
  /** SIGTERMs every node and removes their directories. */
  stop(): Promise<void>;
}

export const REDIS_CLUSTER_DEFAULTS = { masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2_000 } as const;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

async function waitUntil(description: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`local Redis Cluster: ${description} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function clusterInfo(port: number): Promise<string> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Not listening yet is expected while the node starts: the caller polls.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.cluster('INFO')) as string;
  } finally {
    client.disconnect();
  }
}

/**
 * Starts a private Redis Cluster on free loopback ports (default 3 masters + 3 replicas), creates
 * it with `redis-cli --cluster create … --cluster-replicas N`, and waits until every node says
 * `cluster_state:ok` and knows every other node. No persistence; a short `cluster-node-timeout` so
 * failover tests do not wait 15 s.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? REDIS_CLUSTER_DEFAULTS.masters;
  const replicas = options.replicasPerMaster ?? REDIS_CLUSTER_DEFAULTS.replicasPerMaster;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? REDIS_CLUSTER_DEFAULTS.nodeTimeoutMs;
  const count = masters * (1 + replicas);
  const children: ChildProcess[] = [];
  const nodes: RedisClusterNode[] = [];
  const killAll = (): void => children.forEach((child) => child.kill('SIGKILL'));
  if (options.killOnExit ?? true) process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killAll);
    children.forEach((child) => child.kill('SIGTERM'));
    await Promise.all(children.map(exited));
    for (const node of nodes) rmSync(node.dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < count; index++) {
      // Cluster bus port = port + 10000: pick ports whose bus port is below 65536.
      let port = await freePort();
      while (port > 55_000) port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'skyway-cluster-'));
      const child = spawn(
        'redis-server',
        [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
          '--daemonize', 'no',
        ],
        { stdio: 'ignore', detached: options.ownProcessGroup ?? false },
      );
      children.push(child);
      nodes.push({ port, address: `127.0.0.1:${port}`, pid: child.pid as number, dir });
    }
    await Promise.all(nodes.map((node) => waitUntil(`node ${node.address} answering`, 10_000, async () => (await clusterInfo(node.port)).length > 0)));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => node.address), '--cluster-replicas', String(replicas), '--cluster-yes']);
    await Promise.all(
      nodes.map((node) =>
        waitUntil(`node ${node.address} in cluster_state:ok`, 30_000, async () => {
          const info = await clusterInfo(node.port);
          return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}`);
        }),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, seeds: nodes.map((node) => node.address).join(','), stop };
}
