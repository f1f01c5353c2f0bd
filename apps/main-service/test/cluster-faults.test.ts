import { PROVIDER_GROUP, redisKeys, slotOf } from '@skyway/contracts';
import { searchResultCodec } from '@skyway/search-state';
import {
  JourneyWriteLoad,
  SearchLoad,
  clusterTopology,
  eventually,
  isolatedTopology,
  parsePrometheusText,
  pendingSearchRequests,
  sampleJourney,
  searchStreamEntries,
  startApp,
  startRedisCluster,
  type AppProcess,
  type IsolatedTopology,
  type RedisCluster,
} from '@skyway/testkit';

const TOKEN = 'cluster-faults-token-0123456789';
const SEARCH_TIMEOUT_MS = 15_000;

/**
 * The product on a private Redis Cluster of its own (3 masters + 3 replicas, 2 s node timeout, AOF
 * fsync always) while the cluster is broken on purpose under load: journey writers on both
 * main-service replicas (a hot journey and cold ones), searches through both replicas, 2 providers.
 * The fault always hits the master of the hot journey, which also holds a third of the search
 * partitions. Afterwards: every acknowledged journey update is in a gap-free history, every
 * accepted search ended exactly once, the providers' pending lists drained, no process restarted,
 * and the processes' metrics show what they rode through.
 */
describe('Skyway on a Redis Cluster under faults (real processes, under load)', () => {
  const date = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  let supplier: AppProcess;
  let cluster: RedisCluster | undefined;
  let redis: IsolatedTopology | undefined;
  const processes: AppProcess[] = [];

  beforeAll(async () => {
    supplier = await startApp('mock-supplier', { env: { LOG_LEVEL: 'warn', SUPPLIER_LATENCY_MS: '50' } });
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((app) => app.stop('SIGKILL')));
    // The cluster is the test's own and goes away whole: no namespace to clean.
    redis?.client.disconnect();
    await cluster?.stop();
    redis = cluster = undefined;
  }, 60_000);
  afterAll(async () => {
    await supplier.stop();
  });

  async function deployment(env: Record<string, string> = {}) {
    cluster = await startRedisCluster({ appendfsync: 'always' });
    const topology = clusterTopology(cluster.seeds.split(','));
    redis = await isolatedTopology(topology, 'faults');
    const common = { ...topology.env, LOG_LEVEL: 'warn', ...env };
    const start = async (name: 'main-service' | 'provider-service', extra: Record<string, string>) => {
      const app = await startApp(name, { env: { ...common, ...extra }, readyPath: '/health/ready', timeoutMs: 30_000 });
      processes.push(app);
      return app;
    };
    const providers = await Promise.all(
      ['p1', 'p2'].map((name) => start('provider-service', { SUPPLIER_URLS: supplier.url, CONSUMER_NAME: name, CLAIM_IDLE_MS: '2000' })),
    );
    const mains = await Promise.all(
      [1, 2].map(() =>
        start('main-service', {
          JOURNEY_API_TOKEN: TOKEN,
          SEED_JOURNEYS: 'none',
          SEARCH_TIMEOUT_MS: String(SEARCH_TIMEOUT_MS),
          SEARCH_RATE_LIMIT_MAX: '1000000',
        }),
      ),
    );
    const keys = redisKeys('');
    const hotJourney = 'JRN-HOT';
    const coldJourneys = Array.from({ length: 31 }, (_, n) => `JRN-COLD-${n}`);
    for (const journeyId of [hotJourney, ...coldJourneys]) {
      // As a client would: a 503 (with REDIS_WAIT_REPLICAS, a replica slow to confirm) is retried;
      // a retry may then find the journey written (409).
      const status = await eventually(`journey ${journeyId} created`, async () => {
        const created = await fetch(`${mains[0]?.url}/api/journeys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(sampleJourney(journeyId, 8)),
        });
        return created.status !== 503 && created.status;
      }, { intervalMs: 200 });
      expect([201, 409]).toContain(status);
    }
    const replicas = mains.map((main) => main.url);
    const journeys = new JourneyWriteLoad({ replicas, token: TOKEN, hotJourney, coldJourneys, segments: 8, hotShare: 0.2, pauseMs: 30 });
    const searches = new SearchLoad({ replicas, body: { from: 'CGK', to: 'DPS', date, passengers: 1 } });
    // The fault's target: the master holding the hot journey.
    const target = await cluster.masterOf(slotOf(keys.journey(hotJourney)));
    return { cluster, keys, providers, mains, journeys, searches, target };
  }
  type Deployment = Awaited<ReturnType<typeof deployment>>;

  /** Runs the load, lets `fault` break (and mend) the cluster in the middle, and checks what must hold afterwards. */
  async function underLoad(deployed: Deployment, fault: () => Promise<void>): Promise<void> {
    const { journeys, searches } = deployed;
    journeys.start(6);
    searches.start(20);
    await sleep(2_000);
    await fault();
    await sleep(2_000);
    await Promise.all([journeys.stop(), searches.stop()]);
    await verify(deployed);
  }

  async function verify({ keys, mains, providers, journeys, searches }: Deployment): Promise<void> {
    const client = (redis as IsolatedTopology).client;
    // An unexpected answer is shown with the error lines the replicas logged for it.
    const problems = [...journeys.problems, ...searches.problems];
    expect({ problems, logged: problems.length === 0 ? [] : loggedErrors(mains) }).toEqual({ problems: [], logged: [] });
    expect(journeys.acknowledged.length).toBeGreaterThan(50);
    expect(searches.accepted.length).toBeGreaterThan(20);
    expect(await journeys.verify(mains[0]?.url as string)).toEqual([]);

    const endings = async (): Promise<Map<string, number>> => {
      const perSearch = new Map<string, number>();
      for (const [, fields] of await searchStreamEntries(client, keys, 'results')) {
        const decoded = searchResultCodec.decode(fields);
        if (decoded.ok && decoded.value.status !== 'processing') perSearch.set(decoded.value.search_id, (perSearch.get(decoded.value.search_id) ?? 0) + 1);
      }
      return perSearch;
    };
    await eventually(
      'every accepted search to end',
      async () => {
        const ended = await endings();
        return searches.accepted.every((searchId) => ended.has(searchId));
      },
      { timeoutMs: SEARCH_TIMEOUT_MS + 15_000, intervalMs: 500 },
    );
    const ended = await endings();
    expect(searches.accepted.filter((searchId) => ended.get(searchId) !== 1)).toEqual([]);
    await eventually('the pending lists to drain', async () => (await pendingSearchRequests(client, keys, PROVIDER_GROUP)) === 0, { timeoutMs: 20_000 });
    for (const app of [...mains, ...providers]) expect({ app: app.name, exit: app.child.exitCode, signal: app.child.signalCode }).toEqual({ app: app.name, exit: null, signal: null });
  }

  /** A counter (or a histogram's `_count`: `sample`) summed over its samples that carry `labels`, across processes. */
  async function metricTotal(apps: readonly AppProcess[], name: string, labels: Record<string, string> = {}, sampleName = name): Promise<number> {
    let total = 0;
    for (const app of apps) {
      const family = parsePrometheusText(await (await fetch(`${app.url}/metrics`)).text()).get(name);
      for (const sample of family?.samples ?? []) {
        if (sample.name === sampleName && Object.entries(labels).every(([label, value]) => sample.labels[label] === value)) total += sample.value;
      }
    }
    return total;
  }

  it('rides through a manual failover (CLUSTER FAILOVER on a replica) mid-load', async () => {
    const deployed = await deployment();
    const { cluster: nodes, target, mains, providers } = deployed;
    await underLoad(deployed, async () => {
      const replica = await nodes.replicaOf(target.id);
      await nodes.command(replica.address, 'CLUSTER', 'FAILOVER');
      await eventually('the replica to be promoted', async () => (await nodes.state()).some((node) => node.id === replica.id && node.role === 'master'));
    });
    // The old master's connections were told to move: the readers bound to it reconnected elsewhere.
    expect(await metricTotal([...mains, ...providers], 'skyway_redis_reconnects_total')).toBeGreaterThan(0);
  }, 120_000);

  it('rides through a master SIGKILLed mid-load: its replica is promoted, and with REDIS_WAIT_REPLICAS=1 no acknowledged write is lost', async () => {
    const deployed = await deployment({ REDIS_WAIT_REPLICAS: '1' });
    const { cluster: nodes, target, mains, providers } = deployed;
    await underLoad(deployed, async () => {
      const replica = await nodes.replicaOf(target.id);
      await nodes.kill(target.address, 'SIGKILL');
      await eventually('the replica to be promoted', async () => (await nodes.state()).some((node) => node.id === replica.id && node.role === 'master'), {
        timeoutMs: 20_000,
        intervalMs: 100,
      });
    });
    expect(await metricTotal([...mains, ...providers], 'skyway_redis_reconnects_total')).toBeGreaterThan(0);
  }, 120_000);

  it('rides through resharding under load: the hot master\'s slots move to another master (ASK, TRYAGAIN, MOVED), then a rebalance', async () => {
    const deployed = await deployment();
    const { cluster: nodes, target, mains, providers } = deployed;
    await underLoad(deployed, async () => {
      const receiver = (await nodes.state()).find((node) => node.role === 'master' && node.id !== target.id);
      const slots = target.slots.reduce((sum, [from, to]) => sum + to - from + 1, 0);
      await nodes.clusterCli('reshard', target.address, '--cluster-from', target.id, '--cluster-to', receiver?.id as string, '--cluster-slots', String(slots), '--cluster-yes');
      // The new slot owners spread by gossip; rebalance refuses to start before every node agrees.
      await eventually('every node to agree on the slots', () => nodes.clusterCli('check', target.address).then(() => true), { timeoutMs: 20_000, intervalMs: 200 });
      await nodes.clusterCli('rebalance', target.address, '--cluster-use-empty-masters');
    });
    // Transactions met the moving slots and ran again at their new owners.
    expect(await metricTotal([...mains, ...providers], 'skyway_redis_slot_moves_total')).toBeGreaterThan(0);
  }, 180_000);

  it('answers 503 with Retry-After for what a downed master and its replica hold, keeps serving the rest, and recovers when they return', async () => {
    const deployed = await deployment();
    const { cluster: nodes, target, mains, journeys, searches } = deployed;
    const replica = await nodes.replicaOf(target.id);
    await underLoad(deployed, async () => {
      const acknowledgedBefore = journeys.acknowledged.length;
      const acceptedBefore = searches.accepted.length;
      await nodes.kill(replica.address, 'SIGKILL');
      await nodes.kill(target.address, 'SIGKILL');
      // While they are down: the hot journey's writes are refused, cold journeys elsewhere are written, some searches are accepted.
      await eventually('503s for the downed slots while the others are served', () => {
        return (
          (journeys.answers.get('503') ?? 0) > 0 &&
          journeys.acknowledged.slice(acknowledgedBefore).some((update) => update.journeyId !== 'JRN-HOT') &&
          searches.accepted.length > acceptedBefore + 5
        );
      }, { timeoutMs: 20_000, intervalMs: 100 });
      // Still ready: every replica is equally cut off from those slots, and the rest is served.
      for (const main of mains) expect((await fetch(`${main.url}/health/ready`)).status).toBe(200);
      await nodes.restart(target.address);
      await nodes.restart(replica.address);
      await eventually('the cluster to serve every slot again', async () => (await nodes.command(target.address, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), { timeoutMs: 20_000 });
      await eventually('the hot journey to be written again', () => journeys.acknowledged.slice(acknowledgedBefore).some((update) => update.journeyId === 'JRN-HOT'), { timeoutMs: 20_000 });
    });
    expect(await metricTotal(mains, 'http_request_duration_seconds', { status_code: '503' }, 'http_request_duration_seconds_count')).toBeGreaterThan(0);
  }, 180_000);
});

/** The error-level lines (pino level 50 and up) a process wrote. */
function loggedErrors(apps: readonly AppProcess[]): string[] {
  return apps.flatMap((app) => app.output().split('\n').filter((line) => /"level":(50|60)/.test(line)).map((line) => `${app.name}: ${line.slice(0, 600)}`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
