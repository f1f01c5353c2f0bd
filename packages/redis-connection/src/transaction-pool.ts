import { createPool, type Pool } from 'generic-pool';
import type Redis from 'ioredis';
import { REDIS_DEFAULTS, RedisUnavailableError, waitForReady } from './redis-client';

export interface TransactionPoolOptions {
  /** Shown in `CLIENT LIST` for every pooled connection. */
  readonly connectionName: string;
  /** Connections open at most, borrowed or idle. */
  readonly size: number;
  /** How long {@link TransactionPool.acquire} waits for a free connection before it gives up. */
  readonly acquireTimeoutMs: number;
  /** Idle connections are closed after this long; unset, they stay open until {@link TransactionPool.close}. */
  readonly idleTimeoutMs?: number;
  /** Connection errors of pooled connections (they reconnect on their own, or are discarded). */
  readonly onError?: (error: Error) => void;
  /** Called with each connection as it is created (e.g. to count it in metrics). */
  readonly onConnection?: (connection: Redis) => void;
}

/**
 * Dedicated connections for WATCH/MULTI/EXEC. WATCH state belongs to a connection and EXEC or
 * UNWATCH clears every watch on it, so two transactions sharing one connection silently disarm
 * each other. Each transaction borrows a connection of its own and hands it back clean (its watch
 * cleared by EXEC or UNWATCH) with {@link release}, or {@link destroy}s it when it failed midway.
 *
 * Connections are `duplicate()`s of the process's shared client: same URL and failure policy (no
 * offline queue, command timeout). A connection that has lost its socket once is never lent again:
 * ioredis reconnects it, but without the WATCH it had, so a MULTI sent on it would run unguarded.
 * The pool is bounded; waiting longer than `acquireTimeoutMs` for a connection, or asking while the
 * shared client is not ready, is a {@link RedisUnavailableError} (→ 503).
 */
export class TransactionPool {
  private readonly pool: Pool<Redis>;
  private readonly broken = new WeakSet<Redis>();

  constructor(
    private readonly base: Redis,
    private readonly options: TransactionPoolOptions,
  ) {
    const eviction =
      options.idleTimeoutMs === undefined
        ? {}
        : { idleTimeoutMillis: options.idleTimeoutMs, evictionRunIntervalMillis: Math.max(1_000, Math.floor(options.idleTimeoutMs / 2)) };
    this.pool = createPool<Redis>(
      {
        create: () => this.connect(),
        destroy: async (connection) => connection.disconnect(),
        validate: async (connection) => connection.status === 'ready' && !this.broken.has(connection),
      },
      { max: options.size, min: 0, testOnBorrow: true, acquireTimeoutMillis: options.acquireTimeoutMs, ...eviction },
    );
  }

  /** Connections open right now (borrowed or idle). */
  get size(): number {
    return this.pool.size;
  }

  async acquire(): Promise<Redis> {
    // Without this, generic-pool would keep trying to create connections until the acquire timeout.
    if (this.base.status !== 'ready') throw new RedisUnavailableError(`Redis connection is ${this.base.status}`);
    try {
      return await this.pool.acquire();
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
  async release(connection: Redis): Promise<void> {
    await this.pool.release(connection);
  }

  /** Discards a connection left in an unknown state (an error between WATCH and EXEC). */
  async destroy(connection: Redis): Promise<void> {
    await this.pool.destroy(connection);
  }

  /** Waits for borrowed connections to come back, then closes them all. */
  async close(): Promise<void> {
    await this.pool.drain();
    await this.pool.clear();
  }

  private async connect(): Promise<Redis> {
    const connection = this.base.duplicate({ connectionName: this.options.connectionName });
    connection.on('error', (error: Error) => this.options.onError?.(error));
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
