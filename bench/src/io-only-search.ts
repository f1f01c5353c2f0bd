/**
 * A search's I/O and nothing else: the floor `bench:search` compares the apps with. The same
 * exchanges as main-service and provider-service — the rate limit's script, the MULTI that stores a
 * search and publishes its request, the SSE stream's GET, one XREAD reader fanning results out, an
 * XREADGROUP consumer, the provider's GET, one supplier call (undici), WATCH + GET and the MULTI that
 * stores the result, publishes it and acks — with no validation, telemetry, logs, state machine or
 * failure handling beyond retrying a failed read. Not an implementation: a measuring stick.
 * Also left out: the apps' other SSE frames (`retry:`, heartbeats, one event per change), the
 * claim pass of idle entries, idempotency keys. Its Redis commands per search are the apps' (a test
 * compares them by name and count); its round trips follow the apps' code, which that test cannot see.
 *
 * `node io-only-search.js main|provider`.
 *
 * Environment: REDIS_URL, REDIS_KEY_PREFIX, PORT (main), SUPPLIER_URL (provider).
 */
import { redisKeys, type RedisKeys, type SearchPartition } from '@skyway/contracts';
import Fastify from 'fastify';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { IO_ONLY_PROVIDER_READY } from './io-only-ready';

const TTL_MS = 3_600_000;
const GROUP = 'io-only';
/** As the apps: PROVIDER_CONCURRENCY in bench:search, the result reader's and the consumer's XREAD COUNT and BLOCK, the search store's pool. */
const CONCURRENCY = 16;
const RESULTS_COUNT = 500;
const BLOCK_MS = 5_000;
const CREATE_CONNECTIONS = 4;
/** After a failed read, as the apps' loops do. */
const RETRY_MS = 100;

/** Runs `read` forever; a failure is logged and the read retried, as the apps' reader and consumer do. */
async function forever(read: () => Promise<void>): Promise<never> {
  for (;;) {
    try {
      await read();
    } catch (error) {
      console.error(error);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

/** What both processes share: the key names (one partition) and two connections, one for blocking reads. */
interface Io {
  readonly env: NodeJS.ProcessEnv;
  readonly keys: RedisKeys;
  readonly requested: string;
  readonly results: string;
  readonly redis: Redis;
  readonly blocking: Redis;
}

function connect(env: NodeJS.ProcessEnv): Io {
  const keys = redisKeys(env.REDIS_KEY_PREFIX ?? '', { searchPartitions: 1 });
  const { requested, results } = keys.searchPartitions[0] as SearchPartition;
  return { env, keys, requested, results, redis: new Redis(env.REDIS_URL ?? ''), blocking: new Redis(env.REDIS_URL ?? '') };
}

async function mainService({ env, keys, requested, results, redis, blocking }: Io): Promise<void> {
  const app = Fastify({ logger: false });
  // A script loaded once and run by its SHA, as @fastify/rate-limit's is.
  redis.defineCommand('rateLimit', {
    numberOfKeys: 1,
    lua: "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) return {n, ARGV[1]} end return {n, redis.call('PTTL', KEYS[1])}",
  });
  const rateLimit = (key: string): Promise<unknown> => (redis as Redis & { rateLimit(key: string, windowMs: number): Promise<unknown> }).rateLimit(key, 60_000);
  // The search store creates a search on a pooled connection of its own, not the shared one.
  const creators = Array.from({ length: CREATE_CONNECTIONS }, () => new Redis(env.REDIS_URL ?? ''));
  let created = 0;
  const viewers = new Map<string, ServerResponse>();
  const complete = (searchId: string, state: string): void => {
    const viewer = viewers.get(searchId);
    viewers.delete(searchId);
    viewer?.end(`event: completed\ndata: ${state}\n\n`);
  };

  app.get('/health/ready', async () => ({ status: 'ready' }));
  app.post<{ Body: Record<string, unknown> }>('/api/flights/search', async (req, reply) => {
    await rateLimit(`${env.REDIS_KEY_PREFIX ?? ''}rate-limit:${req.ip}`);
    const searchId = randomUUID();
    created += 1;
    await (creators[created % CREATE_CONNECTIONS] as Redis)
      .multi()
      .set(keys.search(searchId), JSON.stringify({ search_id: searchId, status: 'processing', query: req.body }), 'PX', TTL_MS)
      .xadd(requested, 'MAXLEN', '~', 100_000, '*', 'search_id', searchId, 'query', JSON.stringify(req.body))
      .exec();
    reply.code(202).header('location', `/api/flights/search/${searchId}/stream`);
    return { success: true, data: { search_id: searchId, status: 'processing' } };
  });

  app.get<{ Params: { id: string } }>('/api/flights/search/:id/stream', async (req, reply) => {
    const searchId = req.params.id;
    reply.hijack();
    const viewer = reply.raw;
    viewer.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // Registered before the read, as in main-service: a result landing meanwhile is not missed.
    viewers.set(searchId, viewer);
    viewer.on('close', () => viewers.delete(searchId));
    const state = (await redis.get(keys.search(searchId))) ?? '{}';
    // The reader may have completed the stream while the GET was out.
    if (viewers.get(searchId) !== viewer) return;
    if ((JSON.parse(state) as { status?: string }).status === 'processing') viewer.write(`event: snapshot\ndata: ${state}\n\n`);
    else complete(searchId, state);
  });

  // From the start of the stream: the key prefix is new, and no result is missed before the first read.
  let lastId = '0-0';
  void forever(async () => {
    const reply = (await blocking.xread('COUNT', RESULTS_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', results, lastId)) as [string, [string, string[]][]][] | null;
    for (const [entryId, fields] of reply?.[0]?.[1] ?? []) {
      lastId = entryId;
      complete(fields[1] as string, fields[3] as string);
    }
  });
  await app.listen({ host: '127.0.0.1', port: Number(env.PORT) });
}

async function providerService({ env, keys, requested, results, redis, blocking }: Io): Promise<void> {
  const supplier = new Agent({ keepAliveTimeout: 10_000 });
  // WATCH needs a connection per transaction in flight.
  const transactions = Array.from({ length: CONCURRENCY }, () => new Redis(env.REDIS_URL ?? ''));

  async function handle(entryId: string, fields: string[]): Promise<void> {
    const searchId = fields[1] as string;
    const key = keys.search(searchId);
    const stored = JSON.parse((await redis.get(key)) ?? '{}') as { status?: string };
    if (stored.status !== 'processing') {
      await redis.xack(requested, GROUP, entryId);
      return;
    }
    const query = JSON.parse(fields[3] as string) as Record<string, string | number>;
    const { body } = await request(`${env.SUPPLIER_URL}/v1/flights?${new URLSearchParams(Object.entries(query).map(([name, value]): [string, string] => [name, String(value)]))}`, {
      dispatcher: supplier,
    });
    const answer = (await body.json()) as { offers: unknown[] };
    const connection = transactions.pop() as Redis;
    try {
      const watched = await connection.pipeline().watch(key).get(key).exec();
      const state = { ...(JSON.parse((watched?.[1]?.[1] as string | null) ?? '{}') as object), status: 'completed', results: answer.offers };
      const text = JSON.stringify(state);
      await connection
        .multi()
        .set(key, text, 'PX', TTL_MS)
        .xadd(results, 'MAXLEN', '~', 10_000, '*', 'search_id', searchId, 'state', text)
        .xack(requested, GROUP, entryId)
        .exec();
    } finally {
      transactions.push(connection);
    }
  }

  await redis.xgroup('CREATE', requested, GROUP, '0', 'MKSTREAM').catch((error: Error) => {
    if (!error.message.startsWith('BUSYGROUP')) throw error;
  });
  console.log(IO_ONLY_PROVIDER_READY);
  let inFlight = 0;
  let slotFreed: () => void = () => undefined;
  await forever(async () => {
    if (inFlight === CONCURRENCY) {
      await new Promise<void>((resolve) => (slotFreed = resolve));
      return;
    }
    const reply = (await blocking.xreadgroup('GROUP', GROUP, 'io-only-1', 'COUNT', CONCURRENCY - inFlight, 'BLOCK', BLOCK_MS, 'STREAMS', requested, '>')) as
      | [string, [string, string[]][]][]
      | null;
    for (const [entryId, fields] of reply?.[0]?.[1] ?? []) {
      inFlight += 1;
      void handle(entryId, fields)
        .catch((error: unknown) => console.error(error))
        .finally(() => {
          inFlight -= 1;
          slotFreed();
        });
    }
  });
}

if (require.main === module) {
  const io = connect(process.env);
  void (process.argv[2] === 'main' ? mainService(io) : providerService(io));
}
