import type { Result } from 'ioredis';
import { loadLuaScript } from '../lua-scripts';
import type { UpdateOutcome } from '../outcomes';
import type { StrategyContext, UpdateRequest, UpdateStrategy } from './update-strategy';

type ScriptReply = [kind: string, version?: number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    skywayApplyJourneyUpdate(
      journeyKey: string,
      changesKey: string,
      changeFeedKey: string,
      ...args: (string | number)[]
    ): Result<ScriptReply, Context>;
  }
}

/**
 * Read-modify-write as one server-side script (`lua/apply-journey-update.lua`): atomic by
 * construction, one round trip, no retries. The reference point for the benchmarks; it moves the
 * journey's JSON handling into Redis (blocking every other client while it runs) and duplicates
 * the apply logic in Lua, which is why production uses the optimistic strategy instead.
 */
export class LuaStrategy implements UpdateStrategy {
  readonly name = 'lua' as const;

  constructor(private readonly context: StrategyContext) {
    // EVALSHA with a fallback to EVAL when the script cache was flushed.
    context.topology.commands.defineCommand('skywayApplyJourneyUpdate', { numberOfKeys: 3, lua: loadLuaScript('apply-journey-update') });
  }

  async update(request: UpdateRequest): Promise<UpdateOutcome> {
    const { keys, settings, observer } = this.context;
    const redis = this.context.topology.commands;
    const { journeyId, update } = request;
    const startedAt = performance.now();
    observer.onAttempt?.(journeyId, 1);
    const [kind, version] = await redis.skywayApplyJourneyUpdate(
      keys.journey(journeyId),
      keys.journeyChanges(journeyId),
      keys.journeyPartitionOf(journeyId).changeFeed,
      update.type,
      update.type === 'segmentStatus' ? update.segmentId : '',
      update.status,
      request.expectedVersion ?? '',
      settings.changeStreamMaxLen,
      journeyId,
      JSON.stringify([update]),
      new Date().toISOString(),
    );
    switch (kind) {
      case 'committed':
        observer.onCommit?.(journeyId, performance.now() - startedAt);
        return { kind, journeyId, version: Number(version), attempts: 1 };
      case 'journey-not-found':
        return { kind, journeyId };
      case 'segment-not-found':
        return { kind, journeyId, segmentId: update.type === 'segmentStatus' ? update.segmentId : '' };
      case 'precondition-failed':
        return { kind, journeyId, currentVersion: Number(version) };
      default:
        throw new Error(`apply-journey-update.lua returned an unknown reply: ${kind}`);
    }
  }

  async close(): Promise<void> {}
}
