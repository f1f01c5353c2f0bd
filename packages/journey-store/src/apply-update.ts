import type { Journey, JourneyChange, JourneyChangeEvent } from '@skyway/contracts';

/** A change to an existing journey (creation is not an update). */
export type JourneyUpdate = Exclude<JourneyChange, { type: 'created' }>;

/** Why an update was refused without writing anything. */
export type UpdateRejection =
  | { readonly kind: 'segment-not-found'; readonly segmentId: string }
  | { readonly kind: 'precondition-failed'; readonly currentVersion: number };

export type ApplyResult = { readonly ok: true; readonly journey: Journey } | { readonly ok: false; readonly rejection: UpdateRejection };

/**
 * Applies one update to a journey and returns the next journey with `version + 1`, or why the
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
  if (update.type === 'journeyStatus') return { ok: true, journey: { ...journey, status: update.status, version } };

  const index = journey.segments.findIndex((segment) => segment.segmentId === update.segmentId);
  const segment = journey.segments[index];
  if (segment === undefined) return { ok: false, rejection: { kind: 'segment-not-found', segmentId: update.segmentId } };
  const segments = journey.segments.slice();
  segments[index] = { ...segment, status: update.status };
  return { ok: true, journey: { ...journey, segments, version } };
}

/** The change-stream entry for one committed update. */
export function changeEvent(journeyId: string, version: number, change: JourneyChange, committedAt: string): JourneyChangeEvent {
  return { journeyId, version, changes: [change], committedAt };
}
