import type { Journey } from '@skyway/contracts';
import type { UpdateRejection } from './apply-update';

/**
 * What became of one update. Every expected case is a value, never a thrown error or a boolean:
 * the HTTP layer maps each kind to a status (200, 404, 404, 412, 409). Redis being unreachable is
 * not expected: it is thrown (see `isRedisUnavailableError`) and becomes a 503.
 */
export type UpdateOutcome =
  | { readonly kind: 'committed'; readonly journeyId: string; readonly version: number; readonly attempts: number }
  | { readonly kind: 'journey-not-found'; readonly journeyId: string }
  | ({ readonly journeyId: string } & UpdateRejection)
  | {
      readonly kind: 'conflict-exhausted';
      readonly journeyId: string;
      /** Transaction attempts this update took part in. */
      readonly attempts: number;
      /** A hint for the caller's own retry (HTTP Retry-After). */
      readonly retryAfterMs: number;
    };

export type CreateOutcome =
  | { readonly kind: 'created'; readonly journey: Journey }
  | { readonly kind: 'already-exists'; readonly journeyId: string };
