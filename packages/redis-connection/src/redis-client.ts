import Redis, { type Cluster, type RedisOptions } from 'ioredis';

/** Defaults chosen so an HTTP request never hangs on Redis (SPEC §3: a 503 within 2 s). */
export const REDIS_DEFAULTS = {
  /** A command on a healthy connection that takes longer than this fails. */
  commandTimeoutMs: 1_500,
  /** Reconnect backoff: 50 ms doubling, capped here; it never gives up. */
  maxReconnectDelayMs: 1_000,
  connectTimeoutMs: 2_000,
} as const;

export interface RedisClientOptions {
  /** Shown in `CLIENT LIST` and in logs: which part of which service owns the connection. */
  readonly connectionName: string;
  /**
   * A connection dedicated to blocking reads (XREAD/XREADGROUP BLOCK) has no command timeout:
   * its commands are meant to wait.
   */
  readonly blocking?: boolean;
  readonly commandTimeoutMs?: number;
  /** Called on connection errors; the client reconnects on its own. */
  readonly onError?: (error: Error) => void;
}

/**
 * A client that fails fast instead of queueing while Redis is unreachable (`enableOfflineQueue:
 * false`, one retry per request, a command timeout) and keeps reconnecting in the background.
 * Callers turn {@link isRedisUnavailableError} into a 503 or a retry.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const client = new Redis(url, clientOptions(options));
  client.on('error', (error: Error) => options.onError?.(error));
  return client;
}

/** Reconnect backoff: 50 ms doubling, capped at {@link REDIS_DEFAULTS.maxReconnectDelayMs}; it never gives up. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 10), REDIS_DEFAULTS.maxReconnectDelayMs);
}

/** The ioredis options of that policy, for a client of a single Redis or of one cluster node. */
export function clientOptions(options: RedisClientOptions): RedisOptions {
  return {
    connectionName: options.connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: REDIS_DEFAULTS.connectTimeoutMs,
    retryStrategy: reconnectDelayMs,
    ...(options.blocking ? {} : { commandTimeout: options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs }),
  };
}

/** Resolves once the client is ready; rejects after `timeoutMs` (the client keeps trying). */
export function waitForReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('ready', onReady);
      reject(new RedisUnavailableError(`Redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

const UNAVAILABLE_MESSAGES = [
  "Stream isn't writeable",
  'Command timed out',
  'Connection is closed',
  'Reached the max retries per request limit',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'LOADING',
  // Redis Cluster: slots without a serving master, a failover in progress, a client still learning the slot map.
  'CLUSTERDOWN',
  'MASTERDOWN',
  "Cluster isn't ready",
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'Too many Cluster redirections',
  'no Redis Cluster node known',
];

/**
 * The replies behind an error: an EXECABORT stands for the errors its queued commands got (e.g. a
 * CLUSTERDOWN or a MOVED for the transaction's slot); any other error for itself.
 */
export function replyErrorsOf(error: Error): Error[] {
  return error.message.startsWith('EXECABORT') ? ((error as { previousErrors?: Error[] }).previousErrors ?? []) : [error];
}

/** True when an error means "Redis cannot be reached right now" (→ 503, retry later) rather than a bug or a bad command. */
export function isRedisUnavailableError(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  return replyErrorsOf(error).some((cause) => {
    const code = (cause as NodeJS.ErrnoException).code;
    return UNAVAILABLE_MESSAGES.some((text) => cause.message.includes(text) || code === text);
  });
}
