import { startRedisServer, type RedisServer } from '@skyway/local-redis';
import { networkInterfaces } from 'node:os';

/** A Redis in protected mode (no password), reachable at `refusedUrl` where it answers every client `DENIED …`. */
export interface ProtectedModeRedis {
  readonly server: RedisServer;
  /** Through this machine's non-loopback address: protected mode refuses the connection. */
  readonly refusedUrl: string;
  /** Through loopback: accepted (to `CONFIG SET protected-mode no`, ending the refusal). */
  readonly loopbackUrl: string;
}

/** This machine's first non-loopback IPv4 address; a test that needs one says so if there is none. */
export function nonLoopbackAddress(): string {
  const address = Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .find((candidate) => candidate.family === 'IPv4' && !candidate.internal)?.address;
  if (address === undefined) throw new Error('this test needs a non-loopback IPv4 address (protected mode refuses only non-loopback clients)');
  return address;
}

/**
 * Redis refuses clients that are not on loopback while protected mode is on and the default user
 * has no password; from this machine's own non-loopback address the refusal is real and local.
 */
export async function startProtectedModeRedis(): Promise<ProtectedModeRedis> {
  const address = nonLoopbackAddress();
  // protected-mode is on by default.
  const server = await startRedisServer({ extraBind: [address] });
  return { server, refusedUrl: `redis://${address}:${server.port}`, loopbackUrl: server.url };
}
