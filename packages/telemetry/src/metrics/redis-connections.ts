import { Counter, Gauge } from 'prom-client';
import { perRegistry } from './per-registry';

/** What is watched of an ioredis client (an ioredis `Redis` is one; a `Cluster` names itself in its `redisOptions`). */
export interface ObservableRedisConnection {
  readonly status: string;
  readonly options: { readonly connectionName?: string | undefined; readonly redisOptions?: { readonly connectionName?: string | undefined } | undefined };
  on(event: 'reconnecting' | 'end', listener: () => void): unknown;
}

export interface RedisConnectionMetrics {
  /** Reports this client under its `connectionName` until it ends (quit or disconnect). */
  watch(client: ObservableRedisConnection): void;
  /** Counts a transaction of the pool named `connection` that met a moved slot and ran again at the new owner. */
  slotMoved(connection: string): void;
}

/**
 * Redis connection state: connections and how many are ready, by connection name (a pool's
 * connections share one), read from the clients at scrape time; reconnects counted as they happen.
 */
export const redisConnectionMetrics = perRegistry((registry): RedisConnectionMetrics => {
  const watched = new Set<ObservableRedisConnection>();
  const nameOf = (client: ObservableRedisConnection): string => client.options.connectionName || client.options.redisOptions?.connectionName || 'unnamed';
  const labelNames = ['connection'] as const;
  const reconnects = new Counter({
    name: 'skyway_redis_reconnects_total',
    help: 'Reconnection attempts of Redis connections, by connection name',
    labelNames,
    registers: [registry],
  });
  const slotMoves = new Counter({
    name: 'skyway_redis_slot_moves_total',
    help: 'Transactions refused because their Redis Cluster slot had moved (MOVED/ASK/TRYAGAIN: failover, resharding) and run again at the new owner, by pool',
    labelNames,
    registers: [registry],
  });
  new Gauge({
    name: 'skyway_redis_connections',
    help: 'Open Redis connections (ready or reconnecting), by connection name',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const client of watched) this.inc({ connection: nameOf(client) });
    },
  });
  new Gauge({
    name: 'skyway_redis_connections_ready',
    help: 'Redis connections ready for commands, by connection name (below skyway_redis_connections: Redis unreachable)',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const client of watched) this.inc({ connection: nameOf(client) }, client.status === 'ready' ? 1 : 0);
    },
  });
  return {
    watch(client) {
      if (watched.has(client)) return;
      watched.add(client);
      const connection = nameOf(client);
      reconnects.inc({ connection }, 0);
      client.on('reconnecting', () => reconnects.inc({ connection }));
      client.on('end', () => watched.delete(client));
    },
    slotMoved(connection) {
      slotMoves.inc({ connection });
    },
  };
});
