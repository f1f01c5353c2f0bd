import { Type } from '@sinclair/typebox';

/**
 * `Idempotency-Key` request header of `POST /api/flights/search` (IETF httpapi draft; a bare token as
 * payment APIs take it, or the draft's quoted structured-field string). Letters, digits, `_` and `-`
 * only, so a key can never reach a Redis key name with `{`, `}`, `*` or `:` in it.
 */
export const IdempotencyKeyHeader = Type.String({
  pattern: '^(?:"[A-Za-z0-9_-]{1,128}"|[A-Za-z0-9_-]{1,128})$',
  description:
    'Makes a retried search start at most one search: the same key with the same body returns the first answer ' +
    '(same `search_id` and `Location`); the same key with another body is a 422. A UUID v4 per search is a good key.',
  examples: ['5d2e7c1a-8b4f-4f6e-9a3d-1c0b7e6f2a94'],
});

/** The key without the structured-field quotes: `"abc"` and `abc` are the same key. */
export function unquoteIdempotencyKey(header: string): string {
  return header.startsWith('"') ? header.slice(1, -1) : header;
}

/**
 * The Redis key remembering one `Idempotency-Key`. Its own hash tag: a single-slot key that needs
 * nothing else in its transaction (kept apart from `redisKeys`, whose layout follows the streams).
 */
export function searchIdempotencyKey(prefix: string, idempotencyKey: string): string {
  return `${prefix}search-idempotency:{${idempotencyKey}}`;
}
