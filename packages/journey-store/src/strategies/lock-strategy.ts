import type { Journey } from '@skyway/contracts';
import type { Result } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { applyUpdate, changeEvent } from '../apply-update';
import { fullJitterDelayMs, sleep } from '../backoff';
import { loadLuaScript } from '../lua-scripts';
import type { UpdateOutcome } from '../outcomes';
import { queueCommit, throwOnCommandError, type StrategyContext, type UpdateRequest, type UpdateStrategy } from './update-strategy';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    skywayReleaseLock(lockKey: string, token: string): Result<number, Context>;
  }
}

/**
 * Pessimistic: take a per-journey lock (`SET lock token NX PX ttl`), read-modify-write, release
 * the lock only if it still holds our token (`lua/release-lock.lua`). A busy lock is retried with
 * the same bounds and backoff as optimistic conflicts. Benchmarks and tests only: if a holder
 * stalls past `lockTtlMs` the lock expires and a second writer can interleave (no fencing token),
 * and writers queue on Redis round trips instead of being combined.
 */
export class LockStrategy implements UpdateStrategy {
  readonly name = 'lock' as const;

  constructor(private readonly context: StrategyContext) {
    context.topology.commands.defineCommand('skywayReleaseLock', { numberOfKeys: 1, lua: loadLuaScript('release-lock') });
  }

  async update(request: UpdateRequest): Promise<UpdateOutcome> {
    const { keys, settings, observer } = this.context;
    const redis = this.context.topology.commands;
    const { journeyId } = request;
    const lockKey = keys.journeyLock(journeyId);
    const startedAt = performance.now();
    for (let attempt = 1; ; attempt++) {
      observer.onAttempt?.(journeyId, attempt);
      const token = randomUUID();
      if ((await redis.set(lockKey, token, 'PX', settings.lockTtlMs, 'NX')) === 'OK') {
        try {
          const outcome = await this.updateLocked(request, attempt);
          if (outcome.kind === 'committed') observer.onCommit?.(journeyId, performance.now() - startedAt);
          return outcome;
        } finally {
          await redis.skywayReleaseLock(lockKey, token);
        }
      }
      observer.onConflict?.(journeyId, attempt);
      const remainingMs = startedAt + settings.deadlineMs - performance.now();
      if (attempt >= settings.maxAttempts || remainingMs <= 0) {
        observer.onExhausted?.(journeyId, attempt);
        return { kind: 'conflict-exhausted', journeyId, attempts: attempt, retryAfterMs: settings.backoffCapMs };
      }
      await sleep(Math.min(remainingMs, fullJitterDelayMs(attempt, settings.backoffBaseMs, settings.backoffCapMs)));
    }
  }

  async close(): Promise<void> {}

  private async updateLocked(request: UpdateRequest, attempts: number): Promise<UpdateOutcome> {
    const { keys, settings } = this.context;
    const redis = this.context.topology.commands;
    const { journeyId } = request;
    const stored = await redis.get(keys.journey(journeyId));
    if (stored === null) return { kind: 'journey-not-found', journeyId };
    const applied = applyUpdate(JSON.parse(stored) as Journey, request.update, request.expectedVersion);
    if (!applied.ok) return { journeyId, ...applied.rejection };
    const { journey } = applied;
    // Plain MULTI (no WATCH) on the shared connection: ioredis sends MULTI…EXEC as one contiguous block.
    const write = redis.multi();
    queueCommit(write, keys, journey, [changeEvent(journeyId, journey.version, request.update, new Date().toISOString())], settings);
    throwOnCommandError((await write.exec()) ?? []);
    return { kind: 'committed', journeyId, version: journey.version, attempts };
  }
}
