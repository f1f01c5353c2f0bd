/**
 * `pnpm bench:cluster-spread` — how the search pipeline and cold journey updates spread over the
 * masters of a Redis Cluster, and what they cost Redis, side by side with one Redis.
 *
 * Three deployments run at once, each with the real processes (mock-supplier, one provider,
 * main-service; SEARCH_PARTITIONS = 16): on a private `redis-server`, on a private cluster of 3
 * masters + 3 replicas (`REDIS_CLUSTER_NODES`), and on 3 masters without replicas. Each round, in turn per deployment (the order
 * alternates): an idle window (what the processes and the cluster bus cost with no traffic), then
 * searches at a fixed open-loop rate (POST → `completed` on SSE), then cold journey updates at a
 * fixed open-loop rate (PUT of a segment status over HTTP with the service token, every update of a
 * round to a different journey), once over sequential journey ids and once over random ones.
 * Around each window, every Redis server's `INFO cpu commandstats`.
 *
 * Reported, as medians over the rounds: commands and Redis CPU per search and per update (the idle
 * rate subtracted), each master's share and its deviation from the mean (the ±15 % check at P = 16),
 * the cluster/single ratios, the app processes' CPU per operation, and the capacity model (what one
 * master carries at 70 % of a core; masters needed for a target rate). Two shared cores cannot show
 * throughput growing with masters: every node runs on the same two cores.
 */
import { JOURNEY_PARTITIONS, redisKeys, slotOf } from '@skyway/contracts';
import { startRedisCluster, startRedisServer } from '@skyway/local-redis';
import { sampleJourney, segmentId } from '@skyway/testkit';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { countPerOwner, deviationsFromMean, largestDeviation, mastersNeeded, operationsPerMaster, type MasterBudget } from './capacity-model';
import { openLoop, type OpenLoopResult } from './open-loop';
import { cpuSeconds, pipelinePids, startPipeline, type Pipeline } from './pipeline';
import { countersBetween, readCounters, totalCalls, type RedisCounters } from './redis-counters';
import { median, printTable, runBenchmark, writeResults } from './report';
import { searchToCompletion } from './search-client';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEARCH_PARTITIONS = 16;
const SEARCHES_PER_SECOND = Number(process.env.BENCH_SEARCH_RATE ?? 100);
const UPDATES_PER_SECOND = Number(process.env.BENCH_UPDATE_RATE ?? 200);
const PHASE_SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 10);
const IDLE_SECONDS = 5;
const WARMUP_SECONDS = 3;
const SEARCH_TIMEOUT_MS = 15_000;
/** Every update of a round goes to a journey of its own: cold, no conflicts, no group commit. */
const JOURNEYS = UPDATES_PER_SECOND * PHASE_SECONDS;
const SEGMENTS = 20;
const TOKEN = 'bench-cluster-spread-token-0123456789';
const SPREAD_TOLERANCE_PERCENT = 15;
const BUDGET_CPU_MS_PER_SECOND = 700;
const TARGET_RATES = [1_000, 10_000];
/**
 * The search rate limit's Lua script (EVALSHA running INCR and PTTL, each counted) works on one
 * counter per client address. Every request of this benchmark comes from 127.0.0.1, so all of it
 * lands on one master; many clients spread it like any other key. The spread check leaves it out.
 */
const PER_CLIENT_COMMANDS = new Set(['evalsha', 'incr', 'pttl']);

/**
 * Journey ids are chosen by clients. Sequential ids like the seed's `JRN-001` and random ones are
 * both measured: a journey's partition is CRC16(id) mod 16, and how evenly that spreads depends on
 * the ids.
 */
const journeyIds = {
  sequential: Array.from({ length: JOURNEYS }, (_, n) => `JRN-${String(n + 1).padStart(6, '0')}`),
  random: Array.from({ length: JOURNEYS }, () => `JRN-${randomBytes(8).toString('hex')}`),
};

/**
 * One Redis; the cluster the issue is about; and the same masters without replicas, which tells
 * the cost of cluster mode apart from the cost of feeding replicas.
 */
const DEPLOYMENTS = [
  { name: 'one redis', replicasPerMaster: undefined },
  { name: '3 masters', replicasPerMaster: 0 },
  { name: '3 masters + 3 replicas', replicasPerMaster: 1 },
] as const;
type DeploymentName = (typeof DEPLOYMENTS)[number]['name'];
type Role = 'master' | 'replica';

interface RedisNode {
  readonly address: string;
  readonly role: Role;
  readonly client: Redis;
}

interface Deployment {
  readonly name: DeploymentName;
  readonly nodes: readonly RedisNode[];
  readonly pipeline: Pipeline;
  /** The master serving a key. */
  ownerOf(key: string): string;
  stop(): Promise<void>;
}

/** One measured window: per Redis node what it did, and the CPU the Skyway processes used. */
interface Window {
  readonly seconds: number;
  readonly nodes: Record<string, RedisCounters>;
  readonly appCpuMs: number;
  readonly load?: OpenLoopResult;
}

/** A fixed open-loop rate of one kind of operation. */
interface LoadPhase {
  readonly name: string;
  readonly perSecond: number;
  /** The journeys a phase of updates goes through, one each per round. */
  readonly journeys?: readonly string[];
  /** Operation n of a round against main-service at `baseUrl`. */
  operation(baseUrl: string, round: number, n: number): Promise<unknown>;
}

const LOAD_PHASES: readonly LoadPhase[] = [
  { name: 'search', perSecond: SEARCHES_PER_SECOND, operation: (baseUrl) => searchToCompletion(baseUrl, performance.now(), SEARCH_TIMEOUT_MS) },
  ...(['sequential', 'random'] as const).map(
    (ids): LoadPhase => ({
      name: `journey update, ${ids} ids`,
      perSecond: UPDATES_PER_SECOND,
      journeys: journeyIds[ids],
      // A round sets one segment of each journey (a commit whether or not the status changes).
      operation: (baseUrl, round, n) => updateSegment(baseUrl, journeyIds[ids][n] as string, (round % SEGMENTS) + 1),
    }),
  ),
];

/** One round on one deployment: the idle window, then one window per load phase (by name). */
interface RoundResult {
  readonly idle: Window;
  readonly phases: Record<string, Window>;
}

const masters = (deployment: Deployment): RedisNode[] => deployment.nodes.filter((node) => node.role === 'master');

async function connectNode(address: string): Promise<RedisNode> {
  const [host = '', port = ''] = address.split(':');
  const client = new Redis(Number(port), host, { connectionName: 'bench:cluster-spread', maxRetriesPerRequest: 1 });
  const role: Role = /^role:master/m.test(await client.info('replication')) ? 'master' : 'replica';
  return { address, role, client };
}

async function startDeployment({ name, replicasPerMaster }: (typeof DEPLOYMENTS)[number]): Promise<Deployment> {
  const pipelineOptions = { providers: 1, supplierLatencyMs: 0, mainEnv: { JOURNEY_API_TOKEN: TOKEN } };
  const partitions = { SEARCH_PARTITIONS: String(SEARCH_PARTITIONS) };
  if (replicasPerMaster === undefined) {
    const server = await startRedisServer();
    const node = await connectNode(`127.0.0.1:${server.port}`);
    const pipeline = await startPipeline({ ...pipelineOptions, redisUrl: server.url, serviceEnv: partitions });
    return {
      name,
      nodes: [node],
      pipeline,
      ownerOf: () => node.address,
      async stop() {
        await pipeline.stop();
        node.client.disconnect();
        await server.stop();
      },
    };
  }
  const cluster = await startRedisCluster({ replicasPerMaster });
  const nodes = await Promise.all(cluster.nodes.map((node) => connectNode(node.address)));
  const slotRanges = await (nodes[0] as RedisNode).client.cluster('SLOTS');
  const pipeline = await startPipeline({
    ...pipelineOptions,
    redisUrl: `redis://${cluster.nodes[0]?.address}`,
    serviceEnv: { ...partitions, REDIS_CLUSTER_NODES: cluster.seeds },
  });
  return {
    name,
    nodes,
    pipeline,
    ownerOf(key) {
      const slot = slotOf(key);
      const [, , owner] = slotRanges.find(([low, high]) => slot >= low && slot <= high) ?? [];
      if (!owner) throw new Error(`slot ${slot} is served by no master`);
      return `${owner[0]}:${owner[1]}`;
    },
    async stop() {
      await pipeline.stop();
      nodes.forEach((node) => node.client.disconnect());
      await cluster.stop();
    },
  };
}

/** CPU of the Skyway processes (main-service and provider), not of the mock supplier or this client, in ms. */
function appCpuMs(pipeline: Pipeline): number {
  return Object.entries(pipelinePids(pipeline))
    .filter(([name]) => name.startsWith('main-service') || name.startsWith('provider-service'))
    .reduce((sum, [, pid]) => sum + cpuSeconds(pid) * 1_000, 0);
}

async function measured(deployment: Deployment, work: () => Promise<OpenLoopResult | undefined>): Promise<Window> {
  const readAll = () => Promise.all(deployment.nodes.map((node) => readCounters(node.client)));
  const before = await readAll();
  const appBefore = appCpuMs(deployment.pipeline);
  const startedAt = performance.now();
  const load = await work();
  const seconds = (performance.now() - startedAt) / 1_000;
  const after = await readAll();
  return {
    seconds,
    nodes: Object.fromEntries(deployment.nodes.map((node, i) => [node.address, countersBetween(before[i] as RedisCounters, after[i] as RedisCounters)])),
    appCpuMs: appCpuMs(deployment.pipeline) - appBefore,
    ...(load ? { load } : {}),
  };
}

async function journeyRequest(baseUrl: string, method: 'POST' | 'PUT', path: string, body: unknown, expected: number): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  if (response.status !== expected) throw new Error(`${method} ${path} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
}

function updateSegment(baseUrl: string, journeyId: string, segment: number): Promise<void> {
  return journeyRequest(baseUrl, 'PUT', `/api/journeys/${journeyId}/segments/${segmentId(segment)}/status`, { status: 'Delayed' }, 200);
}

async function createJourneys(baseUrl: string, ids: readonly string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < ids.length) {
        const journeyId = ids[next++] as string;
        await journeyRequest(baseUrl, 'POST', '/api/journeys', sampleJourney(journeyId, SEGMENTS), 201);
      }
    }),
  );
}

/** The journeys, then JIT and connection pools: every phase at its rate for a while, as a round after the last. */
async function warmUp(deployment: Deployment): Promise<void> {
  const { url } = deployment.pipeline.main;
  await createJourneys(url, [...journeyIds.sequential, ...journeyIds.random]);
  for (const phase of LOAD_PHASES) await openLoop(phase.perSecond, WARMUP_SECONDS, (n) => phase.operation(url, ROUNDS, n));
}

async function runRound(deployment: Deployment, round: number): Promise<RoundResult> {
  const { url } = deployment.pipeline.main;
  const idle = await measured(deployment, async () => {
    await sleep(IDLE_SECONDS * 1_000);
    return undefined;
  });
  const phases: Record<string, Window> = {};
  for (const phase of LOAD_PHASES) {
    phases[phase.name] = await measured(deployment, () => openLoop(phase.perSecond, PHASE_SECONDS, (n) => phase.operation(url, round, n)));
  }
  return { idle, phases };
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** What a node did in a phase beyond its idle rate, per completed operation: commands by name and CPU ms. */
function perOperation(round: RoundResult, phase: string, address: string): RedisCounters {
  const window = round.phases[phase] as Window;
  const idle = round.idle.nodes[address] as RedisCounters;
  const loaded = window.nodes[address] as RedisCounters;
  const operations = window.load?.completed ?? 0;
  const idleShare = window.seconds / round.idle.seconds;
  return {
    calls: Object.fromEntries(Object.entries(loaded.calls).map(([command, count]) => [command, (count - (idle.calls[command] ?? 0) * idleShare) / operations])),
    cpuMs: (loaded.cpuMs - idle.cpuMs * idleShare) / operations,
  };
}

const partitionedCalls = (counters: RedisCounters): number =>
  sum(Object.entries(counters.calls).flatMap(([command, count]) => (PER_CLIENT_COMMANDS.has(command) ? [] : [count])));

interface OperationSummary {
  readonly completedPerSecond: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Commands per operation on each master over all rounds, in the order of the deployment's masters. */
  readonly commandsPerMaster: number[];
  /** The same without the per-client rate-limit commands: what the partitions put on each master. */
  readonly partitionedCommandsPerMaster: number[];
  readonly commands: number;
  readonly mastersCpuMs: number;
  readonly replicasCpuMs: number;
  readonly appCpuMs: number;
  /** Commands per operation by name, summed over the masters. */
  readonly calls: Record<string, number>;
}

/** A phase on one deployment: every figure the median of the rounds, per completed operation. */
function summarize(deployment: Deployment, rounds: readonly RoundResult[], phase: string): OperationSummary {
  const addresses = (role: Role) => deployment.nodes.filter((node) => node.role === role).map((node) => node.address);
  const medianOf = (pick: (round: RoundResult) => number) => median(rounds.map(pick));
  const onMasters = (pick: (counters: RedisCounters) => number) =>
    medianOf((round) => sum(addresses('master').map((address) => pick(perOperation(round, phase, address)))));
  const loads = rounds.map((round) => round.phases[phase]?.load as OpenLoopResult);
  // The rounds pooled, not their median: which master a search lands on is random, so the spread
  // is a count, and more operations make it sharper.
  const perMaster = (pick: (counters: RedisCounters) => number) =>
    addresses('master').map(
      (address) => sum(rounds.map((round, i) => pick(perOperation(round, phase, address)) * (loads[i] as OpenLoopResult).completed)) / sum(loads.map((load) => load.completed)),
    );
  const commandNames = [...new Set(rounds.flatMap((round) => Object.values(round.phases[phase]?.nodes ?? {}).flatMap((counters) => Object.keys(counters.calls))))];
  const firstError = loads.find((load) => load.firstError)?.firstError;
  return {
    completedPerSecond: median(loads.map((load) => load.completed / PHASE_SECONDS)),
    errors: sum(loads.map((load) => load.errors)),
    ...(firstError ? { firstError } : {}),
    p50Ms: median(loads.map((load) => load.p50Ms)),
    p99Ms: median(loads.map((load) => load.p99Ms)),
    commandsPerMaster: perMaster(totalCalls),
    partitionedCommandsPerMaster: perMaster(partitionedCalls),
    commands: onMasters(totalCalls),
    mastersCpuMs: onMasters((counters) => counters.cpuMs),
    replicasCpuMs: addresses('replica').length === 0 ? 0 : medianOf((round) => sum(addresses('replica').map((address) => perOperation(round, phase, address).cpuMs))),
    appCpuMs: medianOf((round) => {
      const window = round.phases[phase] as Window;
      return (window.appCpuMs - round.idle.appCpuMs * (window.seconds / round.idle.seconds)) / (window.load?.completed ?? 1);
    }),
    calls: Object.fromEntries(
      commandNames
        .map((command) => [command, onMasters((counters) => counters.calls[command] ?? 0)] as const)
        .filter(([, perOp]) => perOp >= 0.05)
        .sort(([, a], [, b]) => b - a),
    ),
  };
}

/** Median CPU a master spends idle, ms per second: the background the capacity model subtracts. */
function backgroundMsPerSecond(deployment: Deployment, rounds: readonly RoundResult[]): number {
  return median(masters(deployment).flatMap((node) => rounds.map((round) => (round.idle.nodes[node.address]?.cpuMs ?? 0) / round.idle.seconds)));
}

async function main(): Promise<void> {
  // Every app process registers an exit handler (testkit kills it if we die).
  process.setMaxListeners(32);
  const deployments: Deployment[] = [];
  const rounds = Object.fromEntries(DEPLOYMENTS.map(({ name }) => [name, [] as RoundResult[]])) as Record<DeploymentName, RoundResult[]>;
  try {
    for (const spec of DEPLOYMENTS) deployments.push(await startDeployment(spec));
    for (const deployment of deployments) await warmUp(deployment);
    for (let round = 0; round < ROUNDS; round++) {
      // A rotating order, so no deployment always runs first (on a warmer, or busier, machine).
      for (const deployment of [...deployments.slice(round % deployments.length), ...deployments.slice(0, round % deployments.length)]) {
        rounds[deployment.name].push(await runRound(deployment, round));
      }
      console.error(`cluster-spread: round ${round + 1}/${ROUNDS} done`);
    }
    report(deployments, rounds);
  } finally {
    for (const deployment of deployments) await deployment.stop();
  }
}

function report(deployments: readonly Deployment[], rounds: Record<DeploymentName, RoundResult[]>): void {
  const phases = LOAD_PHASES.map((phase) => phase.name);
  const summaries = Object.fromEntries(
    deployments.map((deployment) => [deployment.name, Object.fromEntries(phases.map((phase) => [phase, summarize(deployment, rounds[deployment.name], phase)]))]),
  ) as Record<DeploymentName, Record<string, OperationSummary>>;
  const ofPhase = (name: DeploymentName, phase: string) => summaries[name][phase] as OperationSummary;
  const [single, mastersOnly, cluster] = deployments as [Deployment, Deployment, Deployment];

  printTable(
    `per operation, median of ${ROUNDS} rounds (open loop: ${SEARCHES_PER_SECOND} searches/s, ${UPDATES_PER_SECOND} cold updates/s; ${PHASE_SECONDS} s each, idle rate subtracted)`,
    phases.flatMap((phase) =>
      deployments.map(({ name }) => {
        const s = ofPhase(name, phase);
        return {
          operation: phase,
          redis: name,
          'done /s': s.completedPerSecond,
          errors: s.errors,
          'p50 ms': s.p50Ms,
          'p99 ms': s.p99Ms,
          'commands (masters)': s.commands,
          'Redis CPU ms (masters)': s.mastersCpuMs,
          'Redis CPU ms (replicas)': s.replicasCpuMs,
          'app CPU ms': s.appCpuMs,
        };
      }),
    ),
  );

  // Where the keys land: the search partitions, and the journeys of each id set, per master.
  const keys = redisKeys('', { searchPartitions: SEARCH_PARTITIONS });
  const clusterMasters = masters(cluster).map((node) => node.address);
  const placementOf = (phase: LoadPhase): number[] =>
    phase.journeys
      ? countPerOwner(phase.journeys, clusterMasters, (journeyId) => cluster.ownerOf(keys.journey(journeyId)))
      : countPerOwner(keys.searchPartitions, clusterMasters, (partition) => cluster.ownerOf(partition.requested));
  const spread = LOAD_PHASES.map((phase) => {
    const s = ofPhase(cluster.name, phase.name);
    const placement = placementOf(phase);
    return {
      operation: phase.name,
      commandsPerMaster: s.commandsPerMaster,
      partitionedCommandsPerMaster: s.partitionedCommandsPerMaster,
      deviationPercent: deviationsFromMean(s.partitionedCommandsPerMaster),
      deviationWithPerClientCommandsPercent: deviationsFromMean(s.commandsPerMaster),
      /** Partitions (searches) or journeys per master, and their deviation: what the key placement alone predicts. */
      placement,
      placementDeviationPercent: deviationsFromMean(placement),
      largestDeviationPercent: largestDeviation(s.partitionedCommandsPerMaster),
      withinTolerance: largestDeviation(s.partitionedCommandsPerMaster) <= SPREAD_TOLERANCE_PERCENT,
    };
  });
  const percent = (values: readonly number[]) => values.map((value) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`).join(' / ');
  printTable(
    `spread over the cluster's masters (${clusterMasters.join(', ')}): commands per operation on each (all rounds), deviation from their mean (%); ` +
      `placement = search partitions or journeys per master`,
    spread.map((row) => ({
      operation: row.operation,
      'cmds per master': row.partitionedCommandsPerMaster.map((value) => value.toFixed(2)).join(' / '),
      'deviation %': percent(row.deviationPercent),
      'with rate-limit cmds %': percent(row.deviationWithPerClientCommandsPercent),
      placement: row.placement.join(' / '),
      'placement deviation %': percent(row.placementDeviationPercent),
      [`within ±${SPREAD_TOLERANCE_PERCENT} %`]: row.withinTolerance ? 'PASS' : 'FAIL',
    })),
  );

  // Random ids land on masters in proportion to the journey partitions each holds, give or take the
  // luck of the draw: this many of them show the proportion itself.
  const manyRandomIds = Array.from({ length: 100_000 }, () => randomBytes(8).toString('hex'));
  const randomIdsInTheLimit = countPerOwner(manyRandomIds, clusterMasters, (journeyId) => cluster.ownerOf(keys.journey(journeyId)));
  console.log(
    `journeys per master for ${manyRandomIds.length} random ids: ${randomIdsInTheLimit.join(' / ')} (${percent(deviationsFromMean(randomIdsInTheLimit))} %); ` +
      `journey partitions per master: ${countPerOwner(keys.journeyPartitions, clusterMasters, (partition) => cluster.ownerOf(partition.changeFeed)).join(' / ')}`,
  );

  // The update phases differ in their journeys, not in their commands: one of them is enough.
  const commandRows = phases.slice(0, 2).flatMap((phase) => {
    const names = [...new Set(deployments.flatMap(({ name }) => Object.keys(ofPhase(name, phase).calls)))];
    return names.map((command) => ({ operation: phase, command, ...Object.fromEntries(deployments.map(({ name }) => [name, ofPhase(name, phase).calls[command] ?? 0])) }));
  });
  printTable('commands per operation by name (masters, median of rounds; those below 0.05 left out)', commandRows);

  const budgets = Object.fromEntries(
    deployments.map((deployment) => [
      deployment.name,
      { cpuMsPerSecond: BUDGET_CPU_MS_PER_SECOND, backgroundMsPerSecond: backgroundMsPerSecond(deployment, rounds[deployment.name]) },
    ]),
  ) as Record<DeploymentName, MasterBudget>;
  const capacity = LOAD_PHASES.map(({ name: phase, journeys }) => {
    const cost = (deployment: Deployment) => ofPhase(deployment.name, phase).mastersCpuMs;
    const clusterBudget = budgets[cluster.name];
    const partitions = journeys ? JOURNEY_PARTITIONS : SEARCH_PARTITIONS;
    return {
      operation: phase,
      'Redis CPU ms: one': cost(single),
      '3 masters': cost(mastersOnly),
      '3+3 masters': cost(cluster),
      '3+3 replicas': ofPhase(cluster.name, phase).replicasCpuMs,
      'cluster mode ×': cost(mastersOnly) / cost(single),
      'with replicas ×': cost(cluster) / cost(single),
      'app CPU 3+3 ×': ofPhase(cluster.name, phase).appCpuMs / ofPhase(single.name, phase).appCpuMs,
      'one Redis /s': Math.round(operationsPerMaster(cost(single), budgets[single.name])),
      'per master /s': Math.round(operationsPerMaster(cost(cluster), clusterBudget)),
      partitions,
      ...Object.fromEntries(
        TARGET_RATES.map((rate) => [`masters for ${rate}/s`, mastersNeeded(rate, cost(cluster), clusterBudget, partitions) ?? `> ${partitions}`]),
      ),
    };
  });
  printTable(
    `capacity model (3+3 cluster): a master may spend ${BUDGET_CPU_MS_PER_SECOND} ms/s (70 % of one core; Redis runs commands on one thread) less its idle background ` +
      `(${deployments.map(({ name }) => `${name} ${budgets[name].backgroundMsPerSecond.toFixed(1)}`).join(', ')} ms/s per master); × = Redis CPU per operation relative to one Redis; ` +
      'masters needed = the fewest whose busiest master, with ⌈partitions / masters⌉ whole partitions, stays within budget (if ids hash evenly over the partitions: ' +
      'search ids and random journey ids do, sequential journey ids do not). 2 shared cores cannot show throughput growing with masters: a model, not a measurement of scaling',
    capacity,
  );
  const pass = spread.every((row) => row.withinTolerance);
  console.log(
    `\nspread at P = ${SEARCH_PARTITIONS} over ${clusterMasters.length} masters: ${pass ? 'PASS' : 'FAIL'} (${spread
      .map((row) => `${row.operation} ${row.largestDeviationPercent.toFixed(1)} %`)
      .join(', ')}; tolerance ±${SPREAD_TOLERANCE_PERCENT} %)`,
  );

  writeResults(
    'cluster-spread',
    {
      rounds: ROUNDS,
      searchPartitions: SEARCH_PARTITIONS,
      phases: LOAD_PHASES.map((phase) => ({ name: phase.name, perSecond: phase.perSecond, seconds: PHASE_SECONDS, loop: 'open' })),
      idleSeconds: IDLE_SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      journeysPerIdSet: JOURNEYS,
      journeyIdExamples: Object.fromEntries(Object.entries(journeyIds).map(([set, ids]) => [set, ids.slice(0, 2)])),
      segmentsPerJourney: SEGMENTS,
      supplierLatencyMs: 0,
      processes: 'per deployment: mock-supplier, provider-service ×1, main-service (built dist/, LOG_LEVEL=warn); journey updates over HTTP with the service token',
      redis: 'private redis-server; private clusters (3 masters, and 3 masters + 3 replicas), all on this machine',
      spreadCheck: `commands per operation on each master, without the per-client rate-limit commands (${[...PER_CLIENT_COMMANDS].join(', ')}), within ±${SPREAD_TOLERANCE_PERCENT} % of their mean`,
      budgetCpuMsPerSecond: BUDGET_CPU_MS_PER_SECOND,
    },
    { summaries, spread, spreadWithinTolerance: pass, randomJourneyIdsPerMasterInTheLimit: randomIdsInTheLimit, backgroundMsPerSecond: budgets, capacity, rounds },
  );
}

runBenchmark(main);
