import { searchIdempotencyKey } from '@skyway/contracts';
import type { RedisCommands } from '@skyway/redis-connection';
import { createHash } from 'node:crypto';
import type { SearchQuery } from './state';

export interface SearchIdempotencyOptions {
  /** The process's shared client, a single Redis or a cluster (single-key commands only). */
  readonly commands: RedisCommands;
  readonly keyPrefix: string;
  /** How long a key is held while its search is being created; bounds how long a crash mid-creation blocks the key. */
  readonly pendingMs?: number;
}

/** What {@link SearchIdempotency.startOnce} did with one `Idempotency-Key`. */
export type IdempotentStart =
  /** First use of the key: the search was created with `searchId`. */
  | { readonly kind: 'started'; readonly searchId: string }
  /** The key was used before with the same request, whose search is `searchId`: nothing new was created. */
  | { readonly kind: 'replayed'; readonly searchId: string }
  /** The key's first request is still creating its search: retry shortly. */
  | { readonly kind: 'in-progress' }
  /** The key was used before with a different request. */
  | { readonly kind: 'mismatch' };

interface KeyRecord {
  readonly fingerprint: string;
  readonly search_id: string;
  readonly state: 'pending' | 'created';
}

export const SEARCH_IDEMPOTENCY_DEFAULTS = {
  /** Creating a search is one MULTI that fails within the Redis command timeout (1.5 s); well over that. */
  pendingMs: 10_000,
} as const;

/** Claims that lost a race with an expiring key are tried again this many times. */
const MAX_CLAIM_ATTEMPTS = 3;

/** The same request in any spelling the API accepts (codes are normalised before this): one digest. */
export function searchFingerprint(query: SearchQuery): string {
  return createHash('sha256').update(JSON.stringify([query.from, query.to, query.date, query.passengers])).digest('hex');
}

function parseRecord(text: string): KeyRecord | undefined {
  try {
    const record = JSON.parse(text) as Partial<KeyRecord>;
    return typeof record.fingerprint === 'string' && typeof record.search_id === 'string' && (record.state === 'pending' || record.state === 'created')
      ? (record as KeyRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `Idempotency-Key` for starting searches, shared by every replica through Redis. A key is claimed
 * with `SET … NX PX` (one winner among any number of concurrent requests on any replicas), marked
 * `created` with the search's id once the search exists, and then expires with the search (so a
 * replay never names a search that is gone). A
 * repeat with the same request gets the first search's id; with another request, a mismatch. If
 * creating the search fails the claim is dropped, so a retry starts afresh; a process that dies
 * mid-creation holds the key for at most `pendingMs`.
 *
 * The key lives in a slot of its own, so it cannot share the search's MULTI: between the claim and
 * the search's creation a concurrent repeat sees `in-progress` rather than an id it could not yet read.
 */
export class SearchIdempotency {
  private readonly commands: RedisCommands;
  private readonly keyPrefix: string;
  private readonly pendingMs: number;

  constructor(options: SearchIdempotencyOptions) {
    this.commands = options.commands;
    this.keyPrefix = options.keyPrefix;
    this.pendingMs = options.pendingMs ?? SEARCH_IDEMPOTENCY_DEFAULTS.pendingMs;
  }

  /**
   * Runs `create(searchId)` at most once per key and request while the search it creates exists:
   * `create` resolves to the search's expiry (epoch ms), which the key then shares.
   */
  async startOnce(idempotencyKey: string, query: SearchQuery, searchId: string, create: (searchId: string) => Promise<number>): Promise<IdempotentStart> {
    const key = searchIdempotencyKey(this.keyPrefix, idempotencyKey);
    const fingerprint = searchFingerprint(query);
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt += 1) {
      const pending: KeyRecord = { fingerprint, search_id: searchId, state: 'pending' };
      const claimed = await this.commands.set(key, JSON.stringify(pending), 'PX', this.pendingMs, 'NX');
      if (claimed === 'OK') {
        let expiresAt: number;
        try {
          expiresAt = await create(searchId);
        } catch (error) {
          await this.commands.del(key).catch(() => undefined);
          throw error;
        }
        const created: KeyRecord = { ...pending, state: 'created' };
        // The search exists whatever happens here: if Redis fails now, the caller still gets its answer
        // and the key lapses with the pending claim (a retry after that starts another search).
        await this.commands.set(key, JSON.stringify(created), 'PXAT', expiresAt, 'XX').catch(() => undefined);
        return { kind: 'started', searchId };
      }
      const text = await this.commands.get(key);
      // Expired between SET NX and GET: claim again.
      if (text === null) continue;
      const record = parseRecord(text);
      if (record === undefined || record.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return record.state === 'created' ? { kind: 'replayed', searchId: record.search_id } : { kind: 'in-progress' };
    }
    return { kind: 'in-progress' };
  }
}
