import type { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { perRegistry } from './per-registry';

/** One consumer group to sample. */
export interface ConsumerGroupTarget {
  /** The stream's Redis key (with the key prefix). */
  readonly key: string;
  /** Its logical name (`STREAMS.*`): the `stream` label. */
  readonly stream: string;
  readonly group: string;
  /** Which partition of the stream (`SEARCH_PARTITIONS`): the `partition` label. */
  readonly partition: string;
}

export interface ConsumerGroupSamplerOptions {
  readonly registry: Registry;
  /** A command client (not a blocking connection): a single Redis or the cluster client. */
  readonly redis: Redis | Cluster;
  readonly targets: readonly ConsumerGroupTarget[];
  readonly intervalMs?: number;
  /** A sample failed on a ready connection (the series are dropped until the next success). */
  readonly onError?: (error: Error) => void;
  /** A target was sampled (after failures: the sampler works again). */
  readonly onSampled?: () => void;
}

export interface ConsumerGroupSampler {
  /** Samples every target once. Never rejects; a sample already running is shared. */
  sample(): Promise<void>;
  /** Samples now, whenever the connection becomes ready again, and every `intervalMs`. */
  start(): void;
  stop(): void;
}

export const CONSUMER_GROUP_SAMPLE_INTERVAL_MS = 5_000;

const consumerGroupMetrics = perRegistry((registry) => {
  const registers = [registry];
  const labelNames = ['stream', 'group', 'partition'] as const;
  return {
    lag: new Gauge({
      name: 'skyway_consumer_group_lag',
      help: 'Entries in the stream not yet delivered to the group (XINFO GROUPS lag; absent when Redis cannot tell)',
      labelNames,
      registers,
    }),
    pending: new Gauge({
      name: 'skyway_consumer_group_pending',
      help: 'Entries delivered to a consumer of the group and not acked yet (XPENDING)',
      labelNames,
      registers,
    }),
    oldestPendingAge: new Gauge({
      name: 'skyway_consumer_group_oldest_pending_age_seconds',
      help: 'Age of the oldest unacked entry of the group, from its id to Redis TIME (0 when none is pending)',
      labelNames,
      registers,
    }),
    consumers: new Gauge({
      name: 'skyway_consumer_group_consumers',
      help: 'Consumers the group knows (XINFO GROUPS; a dead replica stays until it is deleted)',
      labelNames,
      registers,
    }),
    failures: new Counter({
      name: 'skyway_metrics_sample_failures_total',
      help: 'Metric samples that failed on a ready Redis connection, by sampler',
      labelNames: ['sampler'] as const,
      registers,
    }),
  };
});

type GroupInfo = Readonly<Record<string, unknown>>;

function groupInfo(reply: unknown, group: string): GroupInfo | undefined {
  if (!Array.isArray(reply)) return undefined;
  for (const flat of reply as unknown[][]) {
    const info: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) info[String(flat[i])] = flat[i + 1];
    if (info.name === group) return info;
  }
  return undefined;
}

/** Milliseconds part of a stream entry id (`<ms>-<seq>`). */
function entryIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** A reply error meaning "no such stream or group yet": nothing to report rather than a failure. */
function isMissing(error: Error): boolean {
  return /no such key|NOGROUP/i.test(error.message);
}

/**
 * Samples consumer-group health with XINFO GROUPS, XPENDING (summary form) and TIME in one
 * pipeline per group, on an interval, so a scrape never waits on Redis. When Redis is not
 * ready the series are dropped (no stale values; the Redis connection metrics say why); when a
 * stream or group does not exist yet they are absent; a failing command counts in
 * `skyway_metrics_sample_failures_total{sampler="consumer_group"}` and drops them too.
 */
export function consumerGroupSampler(options: ConsumerGroupSamplerOptions): ConsumerGroupSampler {
  const { redis, targets } = options;
  const metrics = consumerGroupMetrics(options.registry);
  const intervalMs = options.intervalMs ?? CONSUMER_GROUP_SAMPLE_INTERVAL_MS;

  const drop = (labels: { stream: string; group: string; partition: string }): void => {
    metrics.lag.remove(labels);
    metrics.pending.remove(labels);
    metrics.oldestPendingAge.remove(labels);
    metrics.consumers.remove(labels);
  };

  const sampleTarget = async (target: ConsumerGroupTarget): Promise<void> => {
    const labels = { stream: target.stream, group: target.group, partition: target.partition };
    if (redis.status !== 'ready') return drop(labels);
    try {
      const replies = await redis.pipeline().xinfo('GROUPS', target.key).xpending(target.key, target.group).time().exec();
      const [infoReply, pendingReply, timeReply] = replies ?? [];
      const failed = [infoReply, pendingReply, timeReply].find((reply) => reply?.[0])?.[0];
      if (failed && isMissing(failed)) return drop(labels);
      if (failed || !infoReply || !pendingReply || !timeReply) throw failed ?? new Error('pipeline returned no replies');
      const info = groupInfo(infoReply[1], target.group);
      if (info === undefined) return drop(labels);

      const [count, oldestId] = pendingReply[1] as [number, string | null];
      const [seconds, micros] = timeReply[1] as [string, string];
      const redisNowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      metrics.pending.set(labels, count);
      metrics.oldestPendingAge.set(labels, oldestId === null ? 0 : Math.max(0, redisNowMs - entryIdMs(oldestId)) / 1000);
      metrics.consumers.set(labels, Number(info.consumers));
      if (typeof info.lag === 'number') metrics.lag.set(labels, info.lag);
      else metrics.lag.remove(labels);
      options.onSampled?.();
    } catch (error) {
      drop(labels);
      metrics.failures.inc({ sampler: 'consumer_group' });
      options.onError?.(error as Error);
    }
  };

  let inFlight: Promise<void> | undefined;
  const sample = (): Promise<void> => {
    inFlight ??= Promise.all(targets.map(sampleTarget)).then(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  metrics.failures.inc({ sampler: 'consumer_group' }, 0);
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const onReady = (): void => void sample();
  const tick = async (): Promise<void> => {
    await sample();
    if (running) timer = setTimeout(() => void tick(), intervalMs).unref();
  };

  return {
    sample,
    start() {
      if (running) return;
      running = true;
      redis.on('ready', onReady);
      void tick();
    },
    stop() {
      running = false;
      clearTimeout(timer);
      redis.off('ready', onReady);
    },
  };
}
