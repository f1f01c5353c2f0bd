import type { Cluster, Redis } from 'ioredis';
import { ReplyError } from 'ioredis';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { replyErrorsOf } from './redis-client';

export interface FailureLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/** Where a Redis listens, as ioredis keeps it in `client.options`. */
export interface RedisAddress {
  readonly host?: string;
  readonly port?: number;
  readonly path?: string | null;
  readonly tls?: ConnectionOptions;
}

export interface RedisFailureLogOptions {
  readonly logger: FailureLogger;
  /** Starts the line logged once per distinct failure, e.g. `stream read failed; retrying`. */
  readonly failure: string;
  /** The line logged once when it works again after failing, e.g. `stream read recovered`; omit when the caller's own success line says it. */
  readonly recovery?: string;
  /** Fields on every line (stream, group …). */
  readonly fields?: Record<string, unknown>;
  /** Where the connection goes now: that server is asked for its own reply when the connection drops without one. */
  readonly server?: () => RedisAddress | undefined;
  /** How long to wait for the server to speak first; default 1 s. */
  readonly probeTimeoutMs?: number;
  /**
   * For failures with no success to end them (requests refused while some slots are down, others
   * served): a cause is logged again after this long if it still occurs. Default: only after a recovery.
   */
  readonly repeatAfterMs?: number;
}

/**
 * Errors that only say the socket went away. A server that refuses a client says why first and
 * then closes (`DENIED …` in protected mode, `ERR max number of clients reached`), but ioredis writes
 * its first commands at once and reports the broken pipe, never that reply.
 */
const CONNECTION_DROPPED = ['EPIPE', 'ECONNRESET', "Stream isn't writeable", 'Connection is closed', 'Reached the max retries per request limit'];

const isConnectionDropped = (error: Error): boolean => {
  // A connection that never becomes ready (waitForReady) is the same symptom seen from a caller.
  if (error.name === 'RedisUnavailableError') return true;
  const code = (error as NodeJS.ErrnoException).code;
  return CONNECTION_DROPPED.some((text) => code === text || error.message.includes(text));
};

/** A cause: what tells one failure from another, and the text an operator reads. */
interface Cause {
  readonly key: string;
  readonly text: string;
  readonly serverReply?: string;
}

function causeOf(failure: Error): Cause {
  // An EXECABORT is logged as the reply that made it (e.g. `CLUSTERDOWN Hash slot not served`).
  const error = replyErrorsOf(failure)[0] ?? failure;
  if (error instanceof ReplyError || error.name === 'ReplyError') return { key: error.message.split(' ')[0] ?? error.message, text: error.message, serverReply: error.message };
  if (isConnectionDropped(error)) return { key: 'connection dropped', text: error.message };
  const code = (error as NodeJS.ErrnoException).code;
  return { key: code ?? error.message, text: error.message };
}

/** The first sentence of a server's reply: `DENIED Redis is running in protected mode because … user.` */
const firstSentence = (text: string): string => /^.*?\.(?=\s|$)/.exec(text)?.[0] ?? text;

/**
 * What a Redis says to a client that says nothing: Redis speaks first only to refuse a connection,
 * with an error line. Resolves to that reply without its `-`, or undefined (silence, closed, refused).
 */
export function serverGreeting(address: RedisAddress, timeoutMs = 1_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let socket: Socket;
    if (address.path) socket = connectTcp({ path: address.path });
    else if (address.tls) socket = connectTls({ ...address.tls, host: address.host ?? '127.0.0.1', port: address.port ?? 6379 });
    else socket = connectTcp({ host: address.host ?? '127.0.0.1', port: address.port ?? 6379 });
    let received = '';
    const finish = (reply: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    timer.unref();
    socket.unref();
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const end = received.indexOf('\r\n');
      if (end !== -1) finish(received.startsWith('-') ? received.slice(1, end) : undefined);
    });
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(received.startsWith('-') ? received.slice(1).trim() : undefined));
  });
}

/**
 * The log of one retry loop or reconnecting connection against Redis. An outage makes it fail
 * many times, often alternating between errors (`write EPIPE`, `Stream isn't writeable …`): each
 * distinct cause is logged once per outage, with the server's own reply when it gave one — asked
 * for when the connection merely dropped — and the recovery once.
 */
export class RedisFailureLog {
  private readonly options: RedisFailureLogOptions;
  /** Causes already logged (or being diagnosed) in the current outage, with when. */
  private readonly seen = new Map<string, number>();
  /** Counts recoveries, so a diagnosis finishing after one does not count for the next outage. */
  private outage = 0;

  constructor(options: RedisFailureLogOptions) {
    this.options = options;
  }

  /** Records a failure; logs it if its cause is new in this outage. */
  failed(error: unknown): void {
    // Structural, not instanceof: errors from another realm (Node's own, under Jest) are errors too.
    const failure = typeof error === 'object' && error !== null && 'message' in error ? (error as Error) : new Error(String(error));
    const cause = causeOf(failure);
    if (this.isFresh(cause.key)) return;
    this.seen.set(cause.key, Date.now());
    const server = this.options.server?.();
    if (cause.key !== 'connection dropped' || server === undefined || (server.host === undefined && !server.path)) {
      this.log(failure, cause);
      return;
    }
    const outage = this.outage;
    void serverGreeting(server, this.options.probeTimeoutMs).then((reply) => {
      if (reply === undefined) return this.log(failure, cause);
      const refusal = { key: reply.split(' ')[0] ?? reply, text: reply, serverReply: reply };
      if (outage !== this.outage) return this.log(failure, refusal);
      // The refusal may have arrived as a reply error meanwhile: still one line for one cause.
      if (this.isFresh(refusal.key)) return;
      this.seen.set(refusal.key, Date.now());
      this.log(failure, refusal);
    });
  }

  /** Records a success; logs the recovery once if it had failed, and says whether it did. */
  recovered(): boolean {
    if (this.seen.size === 0) return false;
    const causes = this.seen.size;
    this.seen.clear();
    this.outage += 1;
    if (this.options.recovery === undefined) return false;
    this.options.logger.info({ ...this.options.fields, causes }, this.options.recovery);
    return true;
  }

  /** Logged in this outage, and (with `repeatAfterMs`) recently enough. */
  private isFresh(key: string): boolean {
    const loggedAt = this.seen.get(key);
    if (loggedAt === undefined) return false;
    return this.options.repeatAfterMs === undefined || Date.now() - loggedAt < this.options.repeatAfterMs;
  }

  private log(error: Error, cause: Cause): void {
    const { logger, failure, fields } = this.options;
    const serverReply = cause.serverReply === undefined ? {} : { serverReply: cause.serverReply };
    const summary = cause.serverReply === undefined ? cause.text : `Redis replied ${firstSentence(cause.serverReply)}`;
    logger.warn({ ...fields, err: error, cause: cause.key, ...serverReply }, `${failure}: ${summary}`);
  }
}

/** The server of a single-Redis client; a cluster client has no one node to ask. */
export function clientAddress(client: Redis | Cluster): RedisAddress | undefined {
  return client.isCluster ? undefined : (client as Redis).options;
}

/** `host:port` (a cluster node's address) as a {@link RedisAddress}. */
export function nodeAddress(address: string | undefined): RedisAddress | undefined {
  const match = address === undefined ? null : /^(.*):(\d+)$/.exec(address);
  return match ? { host: match[1] as string, port: Number(match[2]) } : undefined;
}

/** Logs a client's connection errors and its recoveries through a {@link RedisFailureLog} of its own. */
export function logConnectionFailures(client: Redis, options: Omit<RedisFailureLogOptions, 'server'>): RedisFailureLog {
  const failures = new RedisFailureLog({ ...options, server: () => clientAddress(client) });
  client.on('error', (error: Error) => failures.failed(error));
  client.on('ready', () => failures.recovered());
  return failures;
}
