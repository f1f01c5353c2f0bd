import { slotOf } from '@skyway/contracts';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { REDIS_DEFAULTS, RedisUnavailableError, clientOptions, reconnectDelayMs, replyErrorsOf, type RedisClientOptions } from './redis-client';

/** The shared command client of a process: a single Redis, or ioredis's cluster client. */
export type RedisCommands = Redis | Cluster;

/** Where a process's Redis is (SPEC §2): `REDIS_URL`, or the seeds of `REDIS_CLUSTER_NODES`. */
export interface RedisTopologyConfig {
  /** The single Redis; with `clusterNodes`, only its credentials (`redis://user:pass@…`) and TLS (`rediss://`) are used. */
  readonly url: string;
  /** `host:port` seeds of a Redis Cluster; unset or empty = the single Redis at `url`. */
  readonly clusterNodes?: readonly string[];
}

/**
 * Where a key lives and how to reach it: the one interface behind which a single Redis and a
 * Redis Cluster differ. Everything else (stores, consumers, readers) is written once against it.
 *
 * - `commands`: the shared client, for single-slot commands, pipelines and unwatched MULTIs whose
 *   keys share a slot. Never WATCH on it: WATCH belongs to a connection, and the cluster client
 *   shares one connection per node (and re-sends a MULTI without its WATCH on MOVED).
 * - `ownerOf(key)` + `connect(address)`: a connection of one's own to the master serving a key,
 *   for WATCH transactions ({@link NodeTransactionPools}) and blocking reads ({@link NodeBoundConnection}).
 */
export interface RedisTopology {
  /** For logs and metrics only: code never branches on it. */
  readonly mode: 'single' | 'cluster';
  readonly commands: RedisCommands;
  /** `host:port` of the master serving `key` now, as the client last learnt it. */
  ownerOf(key: string): string;
  /** A new connection of its own to the node at `address`, with the process's credentials, TLS and failure policy. */
  connect(address: string, options: RedisClientOptions): Redis;
  /** The shared client's connection to `address` (for a `CLIENT UNBLOCK` aimed at that node). */
  nodeCommands(address: string): Redis | undefined;
  /** Re-learns which node serves which slot (after a MOVED, a failover). Never rejects. */
  refresh(): Promise<void>;
  /**
   * The readiness check: true when a master answers PING, else why none does. On a cluster one is
   * enough: slots whose master is down are refused one request at a time (503), the others are
   * served, and taking every replica out of the load balancer would make a partial outage total.
   */
  checkMasters(): Promise<true | string>;
  /** Closes the shared client (connections made with `connect` are their owners'). */
  close(): void;
}

/** `host:port` list → ioredis seeds; throws with the offending entry named. */
export function parseClusterNodes(list: string): string[] {
  return list
    .split(',')
    .map((raw) => raw.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65_535) throw new RangeError(`"${entry}" is not host:port`);
      return entry;
    });
}

function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
}

/** Credentials and TLS of `url`, applied to every node of a cluster. */
function credentialsOf(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

async function pingAny(nodes: readonly Redis[]): Promise<true | string> {
  if (nodes.length === 0) return 'no Redis node known';
  const failed: string[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      // The cluster client connects to a node lazily, on its first command: readiness connects it.
      if (node.status === 'wait') await node.connect().catch(() => undefined);
      const ok = node.status === 'ready' && (await node.ping().then((reply) => reply === 'PONG', () => false));
      if (!ok) failed.push(`${node.options.host}:${node.options.port} ${node.status}`);
    }),
  );
  return failed.length < nodes.length || `redis ${failed.sort().join(', ')}`;
}

class SingleTopology implements RedisTopology {
  readonly mode = 'single';
  readonly commands: Redis;
  private readonly address: string;

  constructor(
    private readonly url: string,
    options: RedisClientOptions,
  ) {
    this.commands = new Redis(url, clientOptions(options));
    this.commands.on('error', (error: Error) => options.onError?.(error));
    const { host, port } = this.commands.options;
    this.address = `${host}:${port}`;
  }

  ownerOf(): string {
    return this.address;
  }

  connect(_address: string, options: RedisClientOptions): Redis {
    const connection = new Redis(this.url, clientOptions(options));
    connection.on('error', (error: Error) => options.onError?.(error));
    return connection;
  }

  nodeCommands(): Redis {
    return this.commands;
  }

  async refresh(): Promise<void> {}

  checkMasters(): Promise<true | string> {
    return pingAny([this.commands]);
  }

  close(): void {
    this.commands.disconnect();
  }
}

class ClusterTopology implements RedisTopology {
  readonly mode = 'cluster';
  readonly commands: Cluster;
  private readonly nodeOptions: RedisOptions;
  private refreshing: Promise<void> | undefined;

  constructor(seeds: readonly string[], url: string, options: RedisClientOptions) {
    this.nodeOptions = credentialsOf(url);
    const { enableOfflineQueue, ...redisOptions } = clientOptions(options);
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue,
      scaleReads: 'master',
      slotsRefreshTimeout: REDIS_DEFAULTS.connectTimeoutMs,
      // A failover or resharding is ridden through by re-asking for the slot map, briefly.
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      clusterRetryStrategy: reconnectDelayMs,
      redisOptions: { ...redisOptions, ...this.nodeOptions },
    };
    this.commands = new Cluster(seeds.map(splitAddress), clusterOptions);
    this.commands.on('error', (error: Error) => options.onError?.(error));
  }

  ownerOf(key: string): string {
    const address = this.commands.slots[slotOf(key)]?.[0];
    if (address === undefined) throw new RedisUnavailableError(`no Redis Cluster node known for slot ${slotOf(key)} (cluster ${this.commands.status})`);
    return address;
  }

  connect(address: string, options: RedisClientOptions): Redis {
    const connection = new Redis({ ...splitAddress(address), ...clientOptions(options), ...this.nodeOptions });
    connection.on('error', (error: Error) => options.onError?.(error));
    return connection;
  }

  nodeCommands(address: string): Redis | undefined {
    return this.commands.nodes('all').find((node) => `${node.options.host}:${node.options.port}` === address);
  }

  refresh(): Promise<void> {
    // One refresh at a time, shared by everyone who saw the same MOVED.
    this.refreshing ??= new Promise<void>((resolve) => this.commands.refreshSlotsCache(() => resolve())).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  checkMasters(): Promise<true | string> {
    if (this.commands.status !== 'ready') return Promise.resolve(`redis cluster ${this.commands.status}`);
    return pingAny(this.commands.nodes('master'));
  }

  close(): void {
    this.commands.disconnect();
  }
}

/** The topology of the single Redis at `url` (tools and tests that know they have one). */
export function singleRedisTopology(url: string, options: RedisClientOptions): RedisTopology & { readonly commands: Redis } {
  return new SingleTopology(url, options);
}

/** A single Redis or a cluster, as configured: the only place that knows which. */
export function createRedisTopology(config: RedisTopologyConfig, options: RedisClientOptions): RedisTopology {
  return config.clusterNodes && config.clusterNodes.length > 0
    ? new ClusterTopology(config.clusterNodes, config.url, options)
    : new SingleTopology(config.url, options);
}

const REDIRECT_REPLIES = ['MOVED', 'ASK', 'TRYAGAIN'];

/**
 * True for a cluster's "not here, not now" replies: the slot moved (MOVED), is moving (ASK,
 * TRYAGAIN), or a transaction was refused for one of those (EXECABORT wrapping them). The whole
 * read-modify-write is run again against the owner after {@link RedisTopology.refresh}.
 */
export function isSlotRedirectError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return replyErrorsOf(error).some((cause) => REDIRECT_REPLIES.some((name) => cause.message.startsWith(`${name} `)));
}
