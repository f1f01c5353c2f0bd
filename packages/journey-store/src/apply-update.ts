import type { Journey, JourneyChange, JourneyChangeEvent, JourneyStatus, SegmentStatus } from '@skyway/contracts';

/** A change to an existing journey, as asked for (creation is not an update). */
export type JourneyUpdate =
  | { readonly type: 'segmentStatus'; readonly segmentId: string; readonly status: SegmentStatus }
  | { readonly type: 'journeyStatus'; readonly status: JourneyStatus };

/** Who asked for a change; recorded in its change event (the audit trail). */
export interface ChangeAuthor {
  /** The access token's `sub`, `service` for the static service token, `seed` for bundled journeys. */
  readonly actor: string;
  /** The HTTP request that made it, to find its log lines. */
  readonly requestId?: string;
}

/** Why an update was refused without writing anything. */
export type UpdateRejection =
  | { readonly kind: 'segment-not-found'; readonly segmentId: string }
  | { readonly kind: 'precondition-failed'; readonly currentVersion: number };

export type ApplyResult =
  | { readonly ok: true; readonly journey: Journey; readonly change: JourneyChange }
  | { readonly ok: false; readonly rejection: UpdateRejection };

/**
 * Applies one update to a journey and returns the next journey with `version + 1` and the change
 * to record (with the status it replaced), or why the
 * update does not apply. Pure: the input is never mutated (unchanged segments are shared), so
 * every strategy and the benchmarks apply changes identically.
 *
 * Two updates of the same segment both apply, in order: the later one wins (last writer wins);
 * a client that must not overwrite a change it has not seen sends `expectedVersion` (If-Match).
 */
export function applyUpdate(journey: Journey, update: JourneyUpdate, expectedVersion?: number): ApplyResult {
  if (expectedVersion !== undefined && expectedVersion !== journey.version) {
    return { ok: false, rejection: { kind: 'precondition-failed', currentVersion: journey.version } };
  }
  const version = journey.version + 1;
  if (update.type === 'journeyStatus') {
    return { ok: true, journey: { ...journey, status: update.status, version }, change: { ...update, previousStatus: journey.status } };
  }

  const index = journey.segments.findIndex((segment) => segment.segmentId === update.segmentId);
  const segment = journey.segments[index];
  if (segment === undefined) return { ok: false, rejection: { kind: 'segment-not-found', segmentId: update.segmentId } };
  const segments = journey.segments.slice();
  segments[index] = { ...segment, status: update.status };
  return { ok: true, journey: { ...journey, segments, version }, change: { ...update, previousStatus: segment.status } };
}

/** The change-stream entry for one committed change, naming its author when there is one. */
export function changeEvent(journeyId: string, version: number, change: JourneyChange, committedAt: string, author?: ChangeAuthor): JourneyChangeEvent {
  const event: JourneyChangeEvent = { journeyId, version, changes: [change], committedAt };
  if (author === undefined) return event;
  return author.requestId === undefined ? { ...event, actor: author.actor } : { ...event, actor: author.actor, requestId: author.requestId };
}
