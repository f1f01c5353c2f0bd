import type Redis from 'ioredis';
import { REDIS_DEFAULTS, waitForReady, type RedisClientOptions } from './redis-client';
import type { RedisTopology } from './topology';

export interface NodeBoundConnectionOptions extends Omit<RedisClientOptions, 'blocking'> {
  /** Called with each connection as it is made (one per node the key has lived on), e.g. to watch it in metrics. */
  readonly onConnection?: (client: Redis) => void;
}

/**
 * A connection of its own to the master serving one key, for blocking reads on that key
 * (`XREAD`/`XREADGROUP … BLOCK`), which must neither hold the shared client nor be routed anywhere
 * else. It follows the key: after a failed read the owner is looked up again ({@link recover}),
 * and when another node serves the key now (failover, resharding) the next {@link connection}
 * is to that node. {@link unblock} ends a blocked read by `CLIENT UNBLOCK` sent to the same node.
 */
export class NodeBoundConnection {
  private current: { readonly address: string; readonly client: Redis } | undefined;
  private clientId: number | undefined;
  private closed = false;

  constructor(
    private readonly topology: RedisTopology,
    readonly key: string,
    private readonly options: NodeBoundConnectionOptions,
  ) {}

  /** The node this connection is bound to now, if connected. */
  get address(): string | undefined {
    return this.current?.address;
  }

  /** A ready connection to the key's owner (rejects while none is reachable; call again later). */
  async connection(): Promise<Redis> {
    if (this.closed) throw new Error(`connection for ${this.key} is closed`);
    const address = this.topology.ownerOf(this.key);
    if (this.current?.address !== address) {
      this.current?.client.disconnect();
      const { onConnection, ...clientOptions } = this.options;
      const client = this.topology.connect(address, { ...clientOptions, blocking: true });
      client.on('ready', () => (this.clientId = undefined));
      onConnection?.(client);
      this.current = { address, client };
      this.clientId = undefined;
    }
    const { client } = this.current;
    await waitForReady(client, REDIS_DEFAULTS.connectTimeoutMs);
    this.clientId ??= (await client.client('ID')) as number;
    return client;
  }

  /** After a failed read: learn the slot map again, so the next {@link connection} goes to the owner. */
  async recover(): Promise<void> {
    await this.topology.refresh();
  }

  /**
   * Ends the blocked command on this connection as if it had timed out (`CLIENT UNBLOCK … TIMEOUT`),
   * sent over the shared client's connection to the same node. False when nothing was blocked.
   */
  async unblock(): Promise<boolean> {
    const address = this.current?.address;
    if (address === undefined || this.clientId === undefined) return false;
    const node = this.topology.nodeCommands(address);
    if (node === undefined) return false;
    return (await node.client('UNBLOCK', this.clientId, 'TIMEOUT').catch(() => 0)) === 1;
  }

  disconnect(): void {
    this.closed = true;
    this.current?.client.disconnect();
  }
}
