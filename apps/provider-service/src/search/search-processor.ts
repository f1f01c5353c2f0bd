import type { SearchError, SearchRequestedMessage } from '@skyway/contracts';
import { isTerminal, type SearchStore, type TraceContext } from '@skyway/search-state';
import type { ConsumerLogger, DeadLetter, Delivery } from '@skyway/stream-consumer';
import type { SupplierAnswer, SupplierClient } from '../suppliers/supplier-client';

export interface SearchProcessorDeps {
  readonly store: SearchStore;
  readonly suppliers: readonly SupplierClient[];
  readonly now: () => Date;
  readonly logger: ConsumerLogger;
}

function traceOf(message: Pick<SearchRequestedMessage, 'traceparent' | 'tracestate'>): TraceContext {
  return {
    ...(message.traceparent ? { traceparent: message.traceparent } : {}),
    ...(message.tracestate ? { tracestate: message.tracestate } : {}),
  };
}

function allFailed(failures: readonly SupplierAnswer[]): SearchError {
  return {
    code: 'SUPPLIERS_UNAVAILABLE',
    message: failures.length === 1 ? 'The flight supplier is unavailable' : `All ${failures.length} flight suppliers are unavailable`,
  };
}

/**
 * Handles one `flight.search.requested` entry: queries every supplier at once, publishes each
 * answer as a partial result while others are still out, then publishes the final result, writes the
 * state and acks the entry in ONE transaction. Redelivery is harmless: a finished search is only
 * acked, re-published partials merge into nothing new, and a second completion is a no-op in
 * {@link SearchStore.change}. Throws (leaving the entry pending) only when the final commit fails.
 */
export function createSearchHandler(deps: SearchProcessorDeps) {
  const { store, suppliers, now, logger } = deps;

  return async function handleSearchRequest(delivery: Delivery<SearchRequestedMessage>): Promise<void> {
    const { message } = delivery;
    const searchId = message.search_id;
    const trace = traceOf(message);
    const current = await store.get(searchId);
    if (current === null) {
      logger.warn({ search_id: searchId }, 'search unknown or expired; request dropped');
      return;
    }
    if (isTerminal(current)) {
      logger.info({ search_id: searchId, status: current.status }, 'search already finished; redelivered request acked');
      return;
    }

    const query = { from: message.from, to: message.to, date: message.date, passengers: message.passengers };
    const answers: SupplierAnswer[] = [];
    let outstanding = suppliers.length;
    // Partials of one search are written one after another: they would only conflict with each other.
    let partials = Promise.resolve();
    await Promise.all(
      suppliers.map(async (supplier) => {
        const answer = await supplier(query, delivery.signal);
        answers.push(answer);
        outstanding -= 1;
        if (!answer.ok) {
          logger.warn({ search_id: searchId, supplier: answer.supplier, reason: answer.reason }, 'supplier failed');
        } else if (outstanding > 0) {
          partials = partials
            .then(() => store.change(searchId, { kind: 'partial', results: answer.results }, { now: now(), trace }))
            .then(
              () => undefined,
              // Optional: the final commit carries these results anyway.
              (error: unknown) => logger.warn({ err: error, search_id: searchId }, 'partial result not published'),
            );
        }
      }),
    );
    await partials;
    if (delivery.signal.aborted) throw new Error('shutting down: search left pending for another replica');

    const successes = answers.flatMap((answer) => (answer.ok ? [answer] : []));
    const outcome = await store.change(
      searchId,
      successes.length > 0
        ? { kind: 'completed', results: successes.flatMap((answer) => answer.results) }
        : { kind: 'failed', error: allFailed(answers) },
      { now: now(), trace, alsoInTransaction: (transaction) => delivery.ackInto(transaction) },
    );
    logger.info(
      { search_id: searchId, status: outcome?.state.status, applied: outcome?.applied ?? false, suppliers_ok: successes.length },
      'search processed',
    );
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function searchIdOf(deadLetter: DeadLetter<SearchRequestedMessage>): string | undefined {
  if (deadLetter.message) return deadLetter.message.search_id;
  const index = deadLetter.fields.findIndex((field, position) => position % 2 === 0 && field === 'search_id');
  const candidate = index >= 0 ? deadLetter.fields[index + 1] : undefined;
  return candidate !== undefined && UUID.test(candidate) ? candidate : undefined;
}

/**
 * Before a request is dead-lettered, its search (when it can be identified) is marked failed so
 * its viewers are told at once instead of waiting for the timeout. Throwing keeps the entry pending.
 */
export function createDeadLetterHandler(deps: Pick<SearchProcessorDeps, 'store' | 'now'>) {
  return async function failDeadLetteredSearch(deadLetter: DeadLetter<SearchRequestedMessage>): Promise<void> {
    const searchId = searchIdOf(deadLetter);
    if (searchId === undefined) return;
    const error: SearchError = deadLetter.message
      ? { code: 'DEAD_LETTERED', message: 'The search request could not be processed' }
      : { code: 'INVALID_REQUEST', message: 'The search request was malformed' };
    await deps.store.change(searchId, { kind: 'failed', error }, { now: deps.now(), ...(deadLetter.message ? { trace: traceOf(deadLetter.message) } : {}) });
  };
}
