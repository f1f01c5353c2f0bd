import {
  createStreamCodec,
  SearchRequestedMessage,
  SearchResultMessage,
  type RedisKeys,
} from '@skyway/contracts';
import {
  NO_REPLICA_ACKS,
  RedisUnavailableError,
  TransactionPool,
  awaitReplicaAcks,
  isSlotRedirectError,
  type RedisCommands,
  type RedisTopology,
  type ReplicaAcks,
} from '@skyway/redis-connection';
import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import { applyChange, newSearch, searchView, type NewSearchOptions, type SearchChange, type SearchQuery, type SearchState, type Transition } from './state';

/** W3C trace context carried on stream entries (see SPEC §6). */
export interface TraceContext {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export const SEARCH_STORE_DEFAULTS = {
  /** Connections for WATCH/MULTI/EXEC: WATCH is per connection, so each transaction needs its own. */
  transactionConnections: 4,
  /** Optimistic attempts before a change gives up with {@link SearchConflictError}. */
  maxAttempts: 16,
  /**
   * Approximate cap of `flight.search.requested`. Generous on purpose: trimming a request that no
   * provider has read yet loses it (its search then ends with SEARCH_TIMEOUT).
   */
  requestsMaxLen: 100_000,
  /** Approximate cap of `flight.search.results`: main-service readers follow it live. */
  resultsMaxLen: 10_000,
  /** How long a change waits for a free transaction connection. */
  acquireTimeoutMs: 2_000,
} as const;

export interface SearchStoreOptions {
  /** The process's Redis: its shared client for plain commands and unwatched MULTIs, per-node pooled connections for WATCH. */
  readonly topology: RedisTopology;
  readonly keys: RedisKeys;
  /** Names the pooled connections in CLIENT LIST: `<service>:search-transactions`. */
  readonly service: string;
  readonly transactionConnections?: number;
  readonly maxAttempts?: number;
  readonly requestsMaxLen?: number;
  readonly resultsMaxLen?: number;
  /** Replicas that must hold a new search (WAIT) before {@link SearchStore.create} resolves; default none. */
  readonly replicaAcks?: ReplicaAcks;
  readonly onConnectionError?: (error: Error) => void;
  /** Called with each pooled transaction connection as it is created (e.g. to watch it in metrics). */
  readonly onConnection?: (client: Redis) => void;
  /** Called for each transaction that met a moved slot (failover, resharding) and runs again at the new owner. */
  readonly onSlotMoved?: () => void;
}

export interface CreateSearchOptions extends NewSearchOptions {
  readonly trace?: TraceContext;
}

export interface ChangeOptions {
  readonly now: Date;
  /** Trace context for the result entry an applied change publishes. */
  readonly trace?: TraceContext;
  /**
   * Adds commands to the same MULTI as the state write and the result publish, e.g. the XACK of the
   * request being processed. They run even when the change turns out to be a no-op.
   */
  readonly alsoInTransaction?: (transaction: ChainableCommander) => void;
}

/** Every optimistic attempt met a concurrent writer; nothing was written. Safe to retry later. */
export class SearchConflictError extends Error {
  override readonly name = 'SearchConflictError';
}

const requestCodec = createStreamCodec(SearchRequestedMessage);
const resultCodec = createStreamCodec(SearchResultMessage);

function parseState(searchId: string, text: string): SearchState {
  try {
    return JSON.parse(text) as SearchState;
  } catch {
    throw new Error(`stored state of search ${searchId} is not valid JSON`);
  }
}

/** Throws the first per-command error of an EXEC reply (EXEC itself succeeds even when one command fails). */
function assertExecOk(replies: [Error | null, unknown][]): void {
  for (const [error] of replies) if (error) throw error;
}

/** An attempt whose EXEC was aborted by a concurrent write: try again. */
const CONFLICT = Symbol('conflict');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A search's stored state (one JSON key per search, `redisKeys().search(id)`, absolute expiry) and
 * its publication. Creating a search writes the state and the request entry in one MULTI; every
 * later change is an optimistic WATCH + GET (one round trip) → {@link applyChange} → MULTI (SET + XADD result
 * [+ the caller's commands]) → EXEC on a pooled connection of its own, retried on conflict. So
 * the stored state and the results stream never disagree, and replicas racing on one search
 * (a redelivery, a timeout) apply at most one terminal change.
 */
export class SearchStore {
  private readonly commands: RedisCommands;
  private readonly keys: RedisKeys;
  private readonly maxAttempts: number;
  private readonly requestsMaxLen: number;
  private readonly resultsMaxLen: number;
  private readonly replicaAcks: ReplicaAcks;
  private readonly pool: TransactionPool;

  constructor(options: SearchStoreOptions) {
    this.commands = options.topology.commands;
    this.keys = options.keys;
    this.maxAttempts = options.maxAttempts ?? SEARCH_STORE_DEFAULTS.maxAttempts;
    this.requestsMaxLen = options.requestsMaxLen ?? SEARCH_STORE_DEFAULTS.requestsMaxLen;
    this.resultsMaxLen = options.resultsMaxLen ?? SEARCH_STORE_DEFAULTS.resultsMaxLen;
    this.replicaAcks = options.replicaAcks ?? NO_REPLICA_ACKS;
    this.pool = new TransactionPool(options.topology, {
      connectionName: `${options.service}:search-transactions`,
      size: options.transactionConnections ?? SEARCH_STORE_DEFAULTS.transactionConnections,
      acquireTimeoutMs: SEARCH_STORE_DEFAULTS.acquireTimeoutMs,
      ...(options.onConnectionError ? { onError: options.onConnectionError } : {}),
      ...(options.onConnection ? { onConnection: options.onConnection } : {}),
      ...(options.onSlotMoved ? { onSlotMoved: options.onSlotMoved } : {}),
    });
  }

  /**
   * Stores a new search and publishes its request to `flight.search.requested`, atomically, on a
   * connection of its own to the partition's master (so `replicaAcks` can WAIT on it without
   * holding up anyone else). A refused MULTI (the slot moved) wrote nothing and is sent again to
   * the new owner.
   */
  async create(query: SearchQuery, options: CreateSearchOptions): Promise<SearchState> {
    const state = newSearch(query, options);
    const request: SearchRequestedMessage = {
      search_id: state.search_id,
      ...query,
      requested_at: state.created_at,
      ...options.trace,
    };
    const key = this.keys.search(state.search_id);
    await this.pool.onOwner(key, async (client) => {
      const replies = await client
        .multi()
        .set(key, JSON.stringify(state), 'PXAT', state.expires_at, 'NX')
        .xadd(this.keys.searchPartitionOf(state.search_id).requested, 'MAXLEN', '~', this.requestsMaxLen, '*', ...requestCodec.encode(request))
        .exec();
      if (replies === null) throw new Error('search creation transaction was aborted');
      assertExecOk(replies);
      await awaitReplicaAcks(client, this.replicaAcks);
    }, this.maxAttempts);
    return state;
  }

  /** The stored state, or null when the search is unknown or expired. */
  async get(searchId: string): Promise<SearchState | null> {
    const text = await this.commands.get(this.keys.search(searchId));
    return text === null ? null : parseState(searchId, text);
  }

  /**
   * Applies `change` atomically and, when it changes the state, publishes the new state to
   * `flight.search.results` in the same MULTI. Resolves to null when the search is unknown (then
   * `alsoInTransaction` commands are not run). Throws {@link SearchConflictError} after
   * `maxAttempts` conflicts, or the Redis error when Redis fails (nothing was written then, or
   * everything was: EXEC is all or nothing).
   */
  async change(searchId: string, change: SearchChange, options: ChangeOptions): Promise<Transition | null> {
    const key = this.keys.search(searchId);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      try {
        const outcome = await this.attempt(searchId, key, change, options);
        if (outcome !== CONFLICT) return outcome;
      } catch (error) {
        // The slot moved (failover, resharding): the whole read-modify-write runs again at the owner.
        if (!isSlotRedirectError(error)) throw error;
        await this.pool.slotMoved();
      }
      await sleep(Math.random() * Math.min(2 ** attempt, 50));
    }
    throw new SearchConflictError(`search ${searchId}: ${this.maxAttempts} conflicting attempts, nothing written`);
  }

  /** One WATCH + GET → apply → MULTI → EXEC round (two round trips) on a connection of its own to the key's master. */
  private async attempt(searchId: string, key: string, change: SearchChange, options: ChangeOptions): Promise<Transition | null | typeof CONFLICT> {
    const client = await this.pool.acquire(key);
    let reusable = false;
    try {
      // WATCH and GET in one round trip: the same connection runs them in order either way.
      const watched = await client.pipeline().watch(key).get(key).exec();
      if (watched === null) throw new Error('WATCH pipeline was not run');
      assertExecOk(watched);
      const text = watched[1]?.[1] as string | null;
      if (text === null) {
        await client.unwatch();
        reusable = true;
        return null;
      }
      const transition = applyChange(parseState(searchId, text), change, options.now);
      if (!transition.applied && !options.alsoInTransaction) {
        await client.unwatch();
        reusable = true;
        return transition;
      }
      const transaction = client.multi();
      if (transition.applied) {
        const entry: SearchResultMessage = { ...searchView(transition.state), requested_at: transition.state.created_at, ...options.trace };
        transaction
          .set(key, JSON.stringify(transition.state), 'PXAT', transition.state.expires_at)
          .xadd(this.keys.searchPartitionOf(searchId).results, 'MAXLEN', '~', this.resultsMaxLen, '*', ...resultCodec.encode(entry));
      }
      options.alsoInTransaction?.(transaction);
      // A socket lost after WATCH would send this MULTI unguarded on a fresh connection.
      if (this.pool.isBroken(client)) throw new RedisUnavailableError('transaction connection was lost during the transaction');
      const replies = await transaction.exec();
      reusable = true;
      if (replies === null) return CONFLICT;
      assertExecOk(replies);
      return transition;
    } finally {
      if (reusable) await this.pool.release(client);
      else await this.pool.destroy(client);
    }
  }

  /** Closes the pooled transaction connections (not the shared command connection). */
  async close(): Promise<void> {
    await this.pool.close();
  }
}

export { requestCodec as searchRequestCodec, resultCodec as searchResultCodec };
