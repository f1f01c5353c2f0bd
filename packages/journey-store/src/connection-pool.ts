import { REDIS_DEFAULTS, RedisUnavailableError, waitForReady } from '@skyway/redis-connection';
import { createPool, type Pool } from 'generic-pool';
import type Redis from 'ioredis';

export interface TransactionConnectionPoolOptions {
  readonly size: number;
  readonly acquireTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Shown in `CLIENT LIST` for every pooled connection. */
  readonly connectionName: string;
  readonly onError?: (error: Error) => void;
  /** Called with each connection as it is created. */
  readonly onConnection?: (connection: Redis) => void;
}

/**
 * Dedicated connections for WATCH/MULTI/EXEC. WATCH state belongs to a connection and EXEC or
 * UNWATCH clears every watch on it, so two transactions sharing one connection silently disarm
 * each other. Each transaction borrows a connection of its own and hands it back clean (its watch
 * cleared by EXEC or UNWATCH) or destroys it when it failed midway.
 *
 * Connections are `duplicate()`s of the shared client: same URL and failure policy (no offline
 * queue, command timeout). The pool is bounded; waiting longer than `acquireTimeoutMs` for one
 * is reported as {@link RedisUnavailableError} (→ 503), as is a shared client that is not ready.
 */
export class TransactionConnectionPool {
  private readonly pool: Pool<Redis>;

  constructor(
    private readonly base: Redis,
    private readonly options: TransactionConnectionPoolOptions,
  ) {
    this.pool = createPool<Redis>(
      {
        create: () => this.connect(),
        destroy: async (connection) => {
          connection.disconnect();
        },
        validate: async (connection) => connection.status === 'ready',
      },
      {
        max: options.size,
        min: 0,
        testOnBorrow: true,
        acquireTimeoutMillis: options.acquireTimeoutMs,
        idleTimeoutMillis: options.idleTimeoutMs,
        evictionRunIntervalMillis: Math.max(1_000, Math.floor(options.idleTimeoutMs / 2)),
      },
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
      throw error;
    }
  }

  /** Returns a connection whose watch was cleared (after EXEC or UNWATCH). */
  async release(connection: Redis): Promise<void> {
    await this.pool.release(connection);
  }

  /** Discards a connection left in an unknown state (an error between WATCH and EXEC). */
  async destroy(connection: Redis): Promise<void> {
    await this.pool.destroy(connection);
  }

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
    return connection;
  }
}
