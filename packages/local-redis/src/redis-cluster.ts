import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, isPortFree } from './ports';

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
  /** Turn on each node's append-only file with this fsync policy, so a node killed and restarted keeps its data. */
  readonly appendfsync?: 'always' | 'everysec';
}

export interface RedisClusterNode {
  readonly port: number;
  readonly address: string;
  readonly dir: string;
}

/** One node as `CLUSTER NODES` describes it. */
export interface ClusterNodeState {
  readonly id: string;
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** A replica's master; undefined for a master. */
  readonly masterId: string | undefined;
  /** Slot ranges served (masters), inclusive. */
  readonly slots: ReadonlyArray<readonly [number, number]>;
  /** Flagged `fail` or `fail?` by the node asked. */
  readonly failing: boolean;
}

/** A private Redis Cluster of `redis-server --cluster-enabled yes` processes on loopback. */
export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  /** `127.0.0.1:port,…`: the value for `REDIS_CLUSTER_NODES`. */
  readonly seeds: string;
  /** The cluster as a running node sees it now (`CLUSTER NODES`). */
  state(): Promise<ClusterNodeState[]>;
  /** Sends one command to the node at `address` on a connection of its own (e.g. `CLUSTER FAILOVER` to a replica); resolves to its reply. */
  command(address: string, ...command: [string, ...string[]]): Promise<string>;
  /** Runs `redis-cli --cluster <args>` (reshard, rebalance, check); resolves to its output, rejects with it on failure. */
  clusterCli(...args: string[]): Promise<string>;
  /** The master serving `slot` now. */
  masterOf(slot: number): Promise<ClusterNodeState>;
  /** A replica of the master with node id `masterId` now. */
  replicaOf(masterId: string): Promise<ClusterNodeState>;
  /** Signals one node (SIGKILL: a crash) and waits for its exit; its directory is kept for {@link restart}. */
  kill(address: string, signal?: NodeJS.Signals): Promise<void>;
  /** Moves one slot, with its keys, to the master at `to` (the steps of a resharding, for one slot). */
  moveSlot(slot: number, to: string): Promise<void>;
  /** SIGSTOPs one node (a node that hangs, e.g. a replica that stops acknowledging); the returned function SIGCONTs it. */
  pause(address: string): () => void;
  /** Starts a killed node again on its port and directory: it rejoins with its node id (and its AOF, if any). */
  restart(address: string): Promise<void>;
  /** SIGTERMs every node (SIGKILL after 5 s) and removes their directories. */
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

/** A node process ended: waiting for it is pointless. */
class NodeExitedError extends Error {}

async function waitUntil(description: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const passed = await check().catch((error: unknown) => {
      if (error instanceof NodeExitedError) throw error;
      return false;
    });
    if (passed) return;
    if (Date.now() > deadline) throw new Error(`local Redis Cluster: ${description} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function nodeCommand(port: number, ...command: [string, ...string[]]): Promise<string> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Not listening yet (or killed) is expected: the callers poll or try the next node.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.call(...command)) as string;
  } finally {
    client.disconnect();
  }
}

const clusterCommand = (port: number, subcommand: 'INFO' | 'NODES'): Promise<string> => nodeCommand(port, 'CLUSTER', subcommand);

/** A master whose replicas finished their initial sync: a write can be WAITed for from now on. */
async function replicasOnline(port: number, replicas: number): Promise<boolean> {
  const info = await nodeCommand(port, 'INFO', 'replication');
  if (!info.includes('role:master')) return true;
  return (info.match(/^slave\d+:.*state=online/gm) ?? []).length >= replicas;
}

const clusterInfo = (port: number): Promise<string> => clusterCommand(port, 'INFO');

/** `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>…` per line. */
function parseClusterNodes(text: string): ClusterNodeState[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', endpoint = '', flags = '', master = '-', , , , , ...slotFields] = line.trim().split(' ');
      const flagList = flags.split(',');
      return {
        id,
        address: endpoint.split('@')[0] as string,
        role: flagList.includes('master') ? 'master' : 'replica',
        masterId: master === '-' ? undefined : master,
        // Ranges only: `[slot->-id]` / `[slot-<-id]` entries are migrations in progress.
        slots: slotFields
          .filter((field) => !field.startsWith('['))
          .map((field) => {
            const [from, to = from] = field.split('-').map(Number) as [number, number?];
            return [from, to] as const;
          }),
        failing: flagList.includes('fail') || flagList.includes('fail?'),
      };
    });
}

/**
 * Starts a private Redis Cluster on free loopback ports (default 3 masters + 3 replicas), creates
 * it with `redis-cli --cluster create … --cluster-replicas N`, and waits until every node says
 * `cluster_state:ok` and knows every other node, and every replica finished its initial sync (so
 * WAIT measures replication, not the first sync). No persistence unless AOF is asked for; a short
 * `cluster-node-timeout` so failover tests do not wait 15 s.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? REDIS_CLUSTER_DEFAULTS.masters;
  const replicas = options.replicasPerMaster ?? REDIS_CLUSTER_DEFAULTS.replicasPerMaster;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? REDIS_CLUSTER_DEFAULTS.nodeTimeoutMs;
  const count = masters * (1 + replicas);
  const children = new Map<string, ChildProcess>();
  const nodes: RedisClusterNode[] = [];
  const killAll = (): void => children.forEach((child) => child.kill('SIGKILL'));
  if (options.killOnExit ?? true) process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killAll);
    children.forEach((child) => child.kill('SIGTERM'));
    // A node that does not finish its shutdown (e.g. paused, or fsyncing a large AOF) is killed: its data is discarded anyway.
    const stragglers = setTimeout(killAll, 5_000);
    await Promise.all([...children.values()].map(exited));
    clearTimeout(stragglers);
    for (const node of nodes) rmSync(node.dir, { recursive: true, force: true });
  };
  const persistence = options.appendfsync ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync] : ['--appendonly', 'no'];
  // Without full coverage required, slots whose master and replicas are all down fail alone (CLUSTERDOWN); the others keep serving.
  const spawnNode = (port: number, dir: string): ChildProcess =>
    spawn(
      'redis-server',
      [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence,
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
        '--cluster-require-full-coverage', 'no', '--daemonize', 'no',
      ],
      { stdio: 'ignore', detached: options.ownProcessGroup ?? false },
    );
  const nodeAt = (address: string): RedisClusterNode => {
    const node = nodes.find((candidate) => candidate.address === address);
    if (node === undefined) throw new Error(`local Redis Cluster: no node at ${address}`);
    return node;
  };
  // A node that exited (e.g. its port was taken meanwhile) fails the wait at once, saying so.
  const answering = async (node: RedisClusterNode): Promise<boolean> => {
    const child = children.get(node.address);
    if (child?.exitCode !== null && child?.exitCode !== undefined) throw new NodeExitedError(`local Redis Cluster: node ${node.address} exited with ${child.exitCode}`);
    return (await clusterInfo(node.port)).length > 0;
  };
  const state = async (): Promise<ClusterNodeState[]> => {
    for (const node of nodes) {
      const text = await clusterCommand(node.port, 'NODES').catch(() => undefined);
      if (text !== undefined) return parseClusterNodes(text);
    }
    throw new Error('local Redis Cluster: no node answers CLUSTER NODES');
  };
  try {
    for (let index = 0; index < count; index++) {
      // Cluster bus port = port + 10000: it must exist (below 65536) and be free too.
      let port = await freePort();
      while (port > 55_000 || !(await isPortFree(port + 10_000))) port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'skyway-cluster-'));
      const child = spawnNode(port, dir);
      children.set(`127.0.0.1:${port}`, child);
      nodes.push({ port, address: `127.0.0.1:${port}`, dir });
    }
    await Promise.all(nodes.map((node) => waitUntil(`node ${node.address} answering`, 20_000, () => answering(node))));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => node.address), '--cluster-replicas', String(replicas), '--cluster-yes']);
    await Promise.all(
      nodes.map((node) =>
        waitUntil(`node ${node.address} in cluster_state:ok`, 30_000, async () => {
          const info = await clusterInfo(node.port);
          return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}`);
        }),
      ),
    );
    await Promise.all(nodes.map((node) => waitUntil(`replicas of ${node.address} online`, 30_000, () => replicasOnline(node.port, replicas))));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    seeds: nodes.map((node) => node.address).join(','),
    state,
    command: (address, ...command) => nodeCommand(nodeAt(address).port, ...command),
    clusterCli: (...args) => run('redis-cli', ['--cluster', ...args]),
    async masterOf(slot) {
      const master = (await state()).find((node) => node.role === 'master' && !node.failing && node.slots.some(([from, to]) => slot >= from && slot <= to));
      if (master === undefined) throw new Error(`local Redis Cluster: no master serves slot ${slot}`);
      return master;
    },
    async replicaOf(masterId) {
      const replica = (await state()).find((node) => node.masterId === masterId);
      if (replica === undefined) throw new Error(`local Redis Cluster: master ${masterId} has no replica`);
      return replica;
    },
    async kill(address, signal = 'SIGKILL') {
      const child = children.get(address);
      if (child === undefined) throw new Error(`local Redis Cluster: no node at ${address}`);
      child.kill(signal);
      await exited(child);
    },
    async moveSlot(slot, to) {
      const nodesNow = await state();
      const source = nodesNow.find((node) => node.role === 'master' && node.slots.some(([from, last]) => slot >= from && slot <= last));
      const target = nodesNow.find((node) => node.address === to);
      if (source === undefined || target === undefined) throw new Error(`local Redis Cluster: cannot move slot ${slot} to ${to}`);
      if (source.id === target.id) return;
      const [sourcePort, targetPort] = [nodeAt(source.address).port, nodeAt(target.address).port];
      await nodeCommand(targetPort, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', source.id);
      await nodeCommand(sourcePort, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', target.id);
      for (;;) {
        const keys = (await nodeCommand(sourcePort, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '100')) as unknown as string[];
        if (keys.length === 0) break;
        await nodeCommand(sourcePort, 'MIGRATE', '127.0.0.1', String(targetPort), '', '0', '5000', 'KEYS', ...keys);
      }
      for (const node of nodesNow.filter((candidate) => candidate.role === 'master')) {
        await nodeCommand(nodeAt(node.address).port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', target.id);
      }
    },
    pause(address) {
      const child = children.get(address);
      if (child === undefined) throw new Error(`local Redis Cluster: no node at ${address}`);
      child.kill('SIGSTOP');
      return () => void child.kill('SIGCONT');
    },
    async restart(address) {
      const node = nodeAt(address);
      const child = spawnNode(node.port, node.dir);
      children.set(address, child);
      await waitUntil(`node ${address} answering after a restart`, 20_000, () => answering(node));
    },
    stop,
  };
}
