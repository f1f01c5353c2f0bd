import type Redis from 'ioredis';
import { RedisUnavailableError } from './redis-client';

/**
 * How many replicas must hold a write before the client that asked for it is answered, and how
 * long to wait for them (`WAIT numreplicas timeout`). Redis replicates asynchronously: a master
 * killed before its replica has the write loses it on failover, although the client was told it
 * succeeded. With `replicas: 1` the client is answered only once a replica has it, so a failover
 * keeps it; the price is one more round trip per write (measured in `pnpm bench:cluster-wait`).
 */
export interface ReplicaAcks {
  readonly replicas: number;
  readonly timeoutMs: number;
}

export const NO_REPLICA_ACKS: ReplicaAcks = { replicas: 0, timeoutMs: 0 };

/**
 * Sends WAIT on `connection`, the one that made the write (WAIT counts that connection's writes),
 * and throws {@link RedisUnavailableError} when fewer replicas than asked acknowledged in time: the
 * write is on the master but may not survive its loss, so it is not answered as a success. WAIT
 * blocks the connection, so it must be one of the caller's own, never a shared command connection.
 */
export async function awaitReplicaAcks(connection: Redis, acks: ReplicaAcks): Promise<void> {
  if (acks.replicas === 0) return;
  const acknowledged = await connection.wait(acks.replicas, acks.timeoutMs);
  if (acknowledged < acks.replicas) {
    throw new RedisUnavailableError(`write not confirmed by ${acks.replicas} replica(s) within ${acks.timeoutMs} ms (WAIT: ${acknowledged}); it may not survive a failover`);
  }
}
