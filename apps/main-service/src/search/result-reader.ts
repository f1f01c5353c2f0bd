import { RedisFailureLog, isRedisUnavailableError, isSlotRedirectError, nodeAddress, type NodeBoundConnection } from '@skyway/redis-connection';

/** The subset of a pino logger the reader writes to. */
export interface ReaderLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface ResultStreamReaderOptions {
  /** A connection of its own to the stream's node: XREAD BLOCK holds it. */
  readonly blocking: NodeBoundConnection;
  readonly stream: string;
  readonly onEntries: (entries: ReadonlyArray<[id: string, fields: string[]]>) => void;
  readonly logger: ReaderLogger;
  readonly blockMs?: number;
  readonly count?: number;
}

type ReadReply = [stream: string, entries: [id: string, fields: string[]][]][] | null;

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows one stream with plain XREAD BLOCK (not a consumer group: every replica sees every entry).
 * It starts after the stream's current last entry and then always reads after the last id it
 * has seen, so a dropped connection or a Redis restart loses nothing it could have read.
 */
export class ResultStreamReader {
  private readonly blockMs: number;
  private readonly count: number;
  private lastId: string | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: ResultStreamReaderOptions) {
    this.blockMs = options.blockMs ?? 5_000;
    this.count = options.count ?? 500;
  }

  /** True once the reader knows where it starts: viewers registered from then on miss nothing. */
  isReady(): boolean {
    return this.lastId !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    // Ends a blocked XREAD at once; the loop sees `running` false and exits.
    this.options.blocking.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { blocking, stream, logger } = this.options;
    let retryMs = RETRY_MIN_MS;
    const failures = new RedisFailureLog({
      logger,
      failure: 'results stream read failed; retrying',
      recovery: 'results stream read recovered',
      fields: { stream },
      server: () => nodeAddress(blocking.address),
    });
    while (this.running) {
      try {
        const connection = await blocking.connection();
        if (this.lastId === undefined) {
          const [last] = await connection.xrevrange(stream, '+', '-', 'COUNT', 1);
          this.lastId = last?.[0] ?? '0-0';
          logger.info({ stream, from: this.lastId }, 'following results stream');
        }
        const reply = (await connection.xread('COUNT', this.count, 'BLOCK', this.blockMs, 'STREAMS', stream, this.lastId)) as ReadReply;
        const entries = reply?.[0]?.[1];
        const last = entries?.at(-1);
        if (entries && last) {
          this.lastId = last[0];
          this.options.onEntries(entries);
        }
        retryMs = RETRY_MIN_MS;
        failures.recovered();
      } catch (error) {
        if (!this.running) break;
        failures.failed(error);
        // The stream's node may have changed (failover, resharding): find its owner again.
        if (isSlotRedirectError(error) || isRedisUnavailableError(error)) await blocking.recover();
        await sleep(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }
}
