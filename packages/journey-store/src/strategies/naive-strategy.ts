import type { Journey } from '@skyway/contracts';
import { applyUpdate, changeEvent } from '../apply-update';
import { sleep } from '../backoff';
import type { UpdateOutcome } from '../outcomes';
import { queueCommit, throwOnCommandError, type StrategyContext, type UpdateRequest, type UpdateStrategy } from './update-strategy';

/**
 * The original service's algorithm, kept **only** so tests and benchmarks can show the bug:
 * read the whole journey, change one field, write the whole journey back. Concurrent updates read
 * the same version and the last write overwrites the others, yet every caller is told it
 * succeeded. `naiveDelayMs` pauses between read and write, as the original's demo did.
 */
export class NaiveStrategy implements UpdateStrategy {
  readonly name = 'naive' as const;

  constructor(private readonly context: StrategyContext) {}

  async update(request: UpdateRequest): Promise<UpdateOutcome> {
    const { keys, settings, observer } = this.context;
    const redis = this.context.topology.commands;
    const { journeyId } = request;
    const startedAt = performance.now();
    observer.onAttempt?.(journeyId, 1);
    const stored = await redis.get(keys.journey(journeyId));
    if (stored === null) return { kind: 'journey-not-found', journeyId };
    const applied = applyUpdate(JSON.parse(stored) as Journey, request.update, request.expectedVersion);
    if (!applied.ok) return { journeyId, ...applied.rejection };
    if (settings.naiveDelayMs > 0) await sleep(settings.naiveDelayMs);

    const { journey } = applied;
    const write = redis.pipeline();
    queueCommit(write, keys, journey, [changeEvent(journeyId, journey.version, request.update, new Date().toISOString())], settings);
    throwOnCommandError((await write.exec()) ?? []);
    observer.onCommit?.(journeyId, performance.now() - startedAt);
    return { kind: 'committed', journeyId, version: journey.version, attempts: 1 };
  }

  async close(): Promise<void> {}
}
