import { createPool, type Pool } from 'generic-pool';
import type Redis from 'ioredis';
import { REDIS_DEFAULTS, RedisUnavailableError, waitForReady } from './redis-client';
import { isSlotRedirectError, type RedisTopology } from './topology';

export interface TransactionPoolOptions {
  /** Shown in `CLIENT LIST` for every pooled connection. */
  readonly connectionName: string;
  /** Connections open at most per node, borrowed or idle. */
  readonly size: number;
  /** How long {@link TransactionPool.acquire} waits for a free connection before it gives up. */
  readonly acquireTimeoutMs: number;
  /** Idle connections are closed after this long; unset, they stay open until {@link TransactionPool.close}. */
  readonly idleTimeoutMs?: number;
  /** Connection errors of pooled connections (they reconnect on their own, or are discarded). */
  readonly onError?: (error: Error) => void;
  /** Called with each connection as it is created (e.g. to count it in metrics). */
  readonly onConnection?: (connection: Redis) => void;
  /** Called for each transaction refused because its slot had moved, before it runs again at the new owner (e.g. to count it). */
  readonly onSlotMoved?: () => void;
}

/**
 * Dedicated connections for WATCH/MULTI/EXEC, one bounded pool per node. WATCH state belongs to a
 * connection and EXEC or UNWATCH clears every watch on it, so two transactions sharing one
 * connection silently disarm each other (which is why the cluster client's shared per-node
 * connection is never used for WATCH). Each transaction borrows a connection of its own **to the
 * master that serves its key** ({@link acquire}), and hands it back clean (its watch cleared by
 * EXEC or UNWATCH) with {@link release}, or {@link destroy}s it when it failed midway. When the
 * slot has moved meanwhile the node answers MOVED: the caller calls {@link slotMoved} (which
 * refreshes the topology) and runs its whole read-modify-write again, which then borrows from the
 * new owner's pool.
 *
 * A connection that has lost its socket once is never lent again: ioredis reconnects it, but
 * without the WATCH it had, so a MULTI sent on it would run unguarded. Waiting longer than
 * `acquireTimeoutMs` for a connection, or asking while the shared client is not ready, is a
 * {@link RedisUnavailableError} (→ 503).
 */
export class TransactionPool {
  private readonly pools = new Map<string, Pool<Redis>>();
  private readonly poolOf = new WeakMap<Redis, Pool<Redis>>();
  private readonly broken = new WeakSet<Redis>();
  private closed = false;

  constructor(
    private readonly topology: RedisTopology,
    private readonly options: TransactionPoolOptions,
  ) {}

  /** Connections open right now (borrowed or idle), over every node. */
  get size(): number {
    let size = 0;
    for (const pool of this.pools.values()) size += pool.size;
    return size;
  }

  /** A connection of its own to the master serving `key`. */
  async acquire(key: string): Promise<Redis> {
    const { commands } = this.topology;
    // Without this, generic-pool would keep trying to create connections until the acquire timeout.
    if (commands.status !== 'ready') throw new RedisUnavailableError(`Redis connection is ${commands.status}`);
    if (this.closed) throw new RedisUnavailableError('transaction pool is closed');
    const pool = this.poolFor(this.topology.ownerOf(key));
    try {
      const connection = await pool.acquire();
      this.poolOf.set(connection, pool);
      return connection;
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new RedisUnavailableError(`no transaction connection available within ${this.options.acquireTimeoutMs} ms`);
      }
      throw new RedisUnavailableError(`no transaction connection: ${(error as Error).message}`);
    }
  }

  /** True once `connection` has lost its socket: a WATCH it held is gone, so its transaction must not EXEC. */
  isBroken(connection: Redis): boolean {
    return this.broken.has(connection);
  }

  /** Returns a connection whose watch was cleared (after EXEC or UNWATCH). */
  /**
   * Runs `work` on a connection of its own to the master serving `key`, for a write that must be
   * followed on the same connection (e.g. by WAIT). A slot redirect (the slot moved: a refused
   * command or MULTI wrote nothing) re-learns the slot map and runs `work` again at the new owner,
   * up to `attempts` times; any other failure is the caller's. The connection is handed back, or
   * discarded after a failure.
   */
  async onOwner<T>(key: string, work: (connection: Redis) => Promise<T>, attempts = 16): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const connection = await this.acquire(key);
      try {
        const result = await work(connection);
        await this.release(connection);
        return result;
      } catch (error) {
        await this.destroy(connection);
        if (!isSlotRedirectError(error) || attempt >= attempts) throw error;
        await this.slotMoved();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 50)));
    }
  }

  /** A transaction met MOVED/ASK/TRYAGAIN: reports it and re-learns the slot map before the caller runs it again. */
  async slotMoved(): Promise<void> {
    this.options.onSlotMoved?.();
    await this.topology.refresh();
  }

  async release(connection: Redis): Promise<void> {
    await this.poolOf.get(connection)?.release(connection);
  }

  /** Discards a connection left in an unknown state (an error between WATCH and EXEC). */
  async destroy(connection: Redis): Promise<void> {
    await this.poolOf.get(connection)?.destroy(connection);
  }

  /** Waits for borrowed connections to come back, then closes them all. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.pools.values()].map(async (pool) => {
        await pool.drain();
        await pool.clear();
      }),
    );
  }

  private poolFor(address: string): Pool<Redis> {
    let pool = this.pools.get(address);
    if (pool !== undefined) return pool;
    const { size, acquireTimeoutMs, idleTimeoutMs } = this.options;
    const eviction =
      idleTimeoutMs === undefined
        ? {}
        : { idleTimeoutMillis: idleTimeoutMs, evictionRunIntervalMillis: Math.max(1_000, Math.floor(idleTimeoutMs / 2)) };
    pool = createPool<Redis>(
      {
        create: () => this.connect(address),
        destroy: async (connection) => connection.disconnect(),
        validate: async (connection) => connection.status === 'ready' && !this.broken.has(connection),
      },
      { max: size, min: 0, testOnBorrow: true, acquireTimeoutMillis: acquireTimeoutMs, ...eviction },
    );
    this.pools.set(address, pool);
    return pool;
  }

  private async connect(address: string): Promise<Redis> {
    const connection = this.topology.connect(address, {
      connectionName: this.options.connectionName,
      ...(this.options.onError ? { onError: this.options.onError } : {}),
    });
    this.options.onConnection?.(connection);
    try {
      await waitForReady(connection, REDIS_DEFAULTS.connectTimeoutMs);
    } catch (error) {
      connection.disconnect();
      throw error;
    }
    connection.once('close', () => this.broken.add(connection));
    return connection;
  }
}
