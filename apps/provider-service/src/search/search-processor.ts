import type { SearchError, SearchRequestedMessage } from '@skyway/contracts';
import { isTerminal, type SearchChange, type SearchStore, type TraceContext, type Transition } from '@skyway/search-state';
import type { ConsumerLogger, DeadLetter, Delivery } from '@skyway/stream-consumer';
import type { ChainableCommander } from 'ioredis';
import type { SupplierAnswer, SupplierClient } from '../suppliers/supplier-client';

/** A logger that makes loggers for one search (pino's `child`). */
export interface SearchLogger extends ConsumerLogger {
  child(bindings: Record<string, unknown>): ConsumerLogger;
}

/**
 * Runs one publish of a search result, giving it the trace context to write into the result entry
 * (provider-service: a PRODUCER span on `flight.search.results`).
 */
export type PublishInSpan = (publish: (trace: TraceContext) => Promise<Transition | null>) => Promise<Transition | null>;

export interface SearchProcessorDeps {
  readonly store: SearchStore;
  readonly suppliers: readonly SupplierClient[];
  readonly now: () => Date;
  readonly logger: SearchLogger;
  readonly publishInSpan: PublishInSpan;
}

/** Applies `change` to the search and publishes it, in a publish span of its own. */
function publishChange(
  deps: Pick<SearchProcessorDeps, 'store' | 'now' | 'publishInSpan'>,
  searchId: string,
  change: SearchChange,
  alsoInTransaction?: (transaction: ChainableCommander) => void,
): Promise<Transition | null> {
  return deps.publishInSpan((trace) => deps.store.change(searchId, change, { now: deps.now(), trace, ...(alsoInTransaction ? { alsoInTransaction } : {}) }));
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
  const { store, suppliers } = deps;

  return async function handleSearchRequest(delivery: Delivery<SearchRequestedMessage>): Promise<void> {
    const { message } = delivery;
    const searchId = message.search_id;
    const logger = deps.logger.child({ search_id: searchId });
    const current = await store.get(searchId);
    if (current === null) {
      logger.warn({ entryId: delivery.id }, 'search unknown or expired; request dropped');
      return;
    }
    if (isTerminal(current)) {
      logger.info({ entryId: delivery.id, status: current.status }, 'search already finished; redelivered request acked');
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
          logger.warn({ supplier: answer.supplier, reason: answer.reason }, 'supplier failed');
        } else if (outstanding > 0) {
          partials = partials
            .then(() => publishChange(deps, searchId, { kind: 'partial', results: answer.results }))
            .then(
              () => undefined,
              // Optional: the final commit carries these results anyway.
              (error: unknown) => logger.warn({ err: error }, 'partial result not published'),
            );
        }
      }),
    );
    await partials;
    if (delivery.signal.aborted) throw new Error('shutting down: search left pending for another replica');

    const successes = answers.flatMap((answer) => (answer.ok ? [answer] : []));
    const outcome = await publishChange(
      deps,
      searchId,
      successes.length > 0
        ? { kind: 'completed', results: successes.flatMap((answer) => answer.results) }
        : { kind: 'failed', error: allFailed(answers) },
      (transaction) => delivery.ackInto(transaction),
    );
    logger.info(
      { entryId: delivery.id, status: outcome?.state.status, applied: outcome?.applied ?? false, suppliers_ok: successes.length },
      'search processed',
    );
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `search_id` of a raw request entry, when it has a well-formed one (a malformed entry may not). */
export function searchIdOfEntry(fields: readonly string[]): string | undefined {
  const index = fields.findIndex((field, position) => position % 2 === 0 && field === 'search_id');
  const candidate = index >= 0 ? fields[index + 1] : undefined;
  return candidate !== undefined && UUID.test(candidate) ? candidate : undefined;
}

function searchIdOf(deadLetter: DeadLetter<SearchRequestedMessage>): string | undefined {
  return deadLetter.message ? deadLetter.message.search_id : searchIdOfEntry(deadLetter.fields);
}

/**
 * Before a request is dead-lettered, its search (when it can be identified) is marked failed so
 * its viewers are told at once instead of waiting for the timeout. Throwing keeps the entry pending.
 */
export function createDeadLetterHandler(deps: Pick<SearchProcessorDeps, 'store' | 'now' | 'publishInSpan'>) {
  return async function failDeadLetteredSearch(deadLetter: DeadLetter<SearchRequestedMessage>): Promise<void> {
    const searchId = searchIdOf(deadLetter);
    if (searchId === undefined) return;
    const error: SearchError = deadLetter.message
      ? { code: 'DEAD_LETTERED', message: 'The search request could not be processed' }
      : { code: 'INVALID_REQUEST', message: 'The search request was malformed' };
    await publishChange(deps, searchId, { kind: 'failed', error });
  };
}
