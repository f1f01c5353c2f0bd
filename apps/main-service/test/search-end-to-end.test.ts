import { FlightResult, compileValidator } from '@skyway/contracts';
import { isolatedRedis, openSse, startApp, type AppProcess, type IsolatedRedis, type SseConnection } from '@skyway/testkit';

/**
 * The whole flow as separate OS processes (build first): mock-supplier(s), provider-service and
 * main-service replicas on one real Redis.
 */
describe('flight search end to end (real processes)', () => {
  const resultValidator = compileValidator(FlightResult);
  const date = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  let redis: IsolatedRedis;
  const processes: AppProcess[] = [];
  const streams: SseConnection[] = [];
  const suppliers: Record<'alpha' | 'beta' | 'slow' | 'broken', AppProcess | undefined> = {
    alpha: undefined,
    beta: undefined,
    slow: undefined,
    broken: undefined,
  };

  async function start(name: Parameters<typeof startApp>[0], env: Record<string, string>): Promise<AppProcess> {
    const app = await startApp(name, { env: { LOG_LEVEL: 'warn', ...env }, readyPath: '/health/ready' });
    processes.push(app);
    return app;
  }

  beforeAll(async () => {
    redis = await isolatedRedis('e2e');
    const supplier = (name: string, env: Record<string, string>) =>
      startApp('mock-supplier', { env: { LOG_LEVEL: 'warn', SUPPLIER_NAME: name, SUPPLIER_LATENCY_MS: '0', ...env } });
    [suppliers.alpha, suppliers.beta, suppliers.slow, suppliers.broken] = await Promise.all([
      supplier('alpha', {}),
      supplier('beta', {}),
      supplier('slow', { SUPPLIER_LATENCY_MS: '400' }),
      supplier('broken', { SUPPLIER_FAILURE_RATE: '1' }),
    ]);
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(processes.splice(0).map((app) => app.stop()));
  });
  afterAll(async () => {
    await Promise.all(Object.values(suppliers).map((app) => app?.stop()));
    await redis.cleanup();
  });

  /** A namespace of its own per test: its own streams, group and searches. */
  let testNumber = 0;
  async function deployment(supplierNames: Array<keyof typeof suppliers>, options: { providers?: number; mains?: number; env?: Record<string, string> } = {}) {
    testNumber += 1;
    const prefix = `${redis.prefix}${testNumber}:`;
    const common = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
    const providers = await Promise.all(
      Array.from({ length: options.providers ?? 1 }, () =>
        start('provider-service', {
          ...common,
          SUPPLIER_URLS: supplierNames.map((name) => suppliers[name]?.url).join(','),
          SUPPLIER_RETRIES: '1',
        }),
      ),
    );
    const mains = await Promise.all(
      Array.from({ length: options.mains ?? 2 }, () => start('main-service', { ...common, ...options.env })),
    );
    return { providers, mains };
  }

  async function submit(main: AppProcess, body: Record<string, unknown> = { from: 'CGK', to: 'DPS', date, passengers: 2 }): Promise<string> {
    const response = await fetch(`${main.url}/api/flights/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(202);
    const json = (await response.json()) as { data: { search_id: string } };
    expect(response.headers.get('location')).toBe(`/api/flights/search/${json.data.search_id}/stream`);
    return json.data.search_id;
  }

  async function follow(main: AppProcess, searchId: string): Promise<Array<{ id: string | undefined; data: Record<string, unknown> }>> {
    const stream = await openSse(`${main.url}/api/flights/search/${searchId}/stream`);
    streams.push(stream);
    await stream.ended;
    return stream.events.map((event) => ({ id: event.id, data: JSON.parse(event.data) as Record<string, unknown> }));
  }

  const statuses = (events: Array<{ data: Record<string, unknown> }>) => events.map((event) => event.data.status);
  const providersOf = (results: unknown) => [...new Set((results as FlightResult[]).map((result) => result.provider))].sort();

  it('runs the brief’s happy path: POST on one replica, SSE on another, realistic results, then the end', async () => {
    const { mains } = await deployment(['alpha', 'beta']);
    const [first, second] = mains as [AppProcess, AppProcess];
    const searchId = await submit(first);
    const events = await follow(second, searchId);
    expect(events[0]?.data).toMatchObject({ search_id: searchId, status: 'processing', results: expect.any(Array) });
    const [completed, total] = events.slice(-2);
    expect(completed?.data).toMatchObject({ search_id: searchId, status: 'completed' });
    const results = completed?.data.results as FlightResult[];
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(resultValidator.errors(result)).toEqual([]);
      expect(result).toMatchObject({ from: 'CGK', to: 'DPS', departure_time: expect.stringMatching(/[+-]\d{2}:\d{2}$/) });
      expect(result.seats_available).toBeGreaterThanOrEqual(2);
    }
    expect(providersOf(results)).toEqual(['alpha', 'beta']);
    expect(total?.data).toEqual({ search_id: searchId, status: 'completed', total_results: results.length });
    const ids = events.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    // A late joiner, on the first replica, gets processing, completed and the total at once.
    const late = await follow(first, searchId);
    expect(statuses(late)).toEqual(['processing', 'completed', 'completed']);
    expect(late.slice(1).map((event) => event.id)).toEqual(events.slice(-2).map((event) => event.id));
  });

  it('gives two viewers on different replicas every event', async () => {
    const { mains } = await deployment(['alpha', 'slow']);
    const [first, second] = mains as [AppProcess, AppProcess];
    const searchId = await submit(first);
    const [a, b] = await Promise.all([follow(first, searchId), follow(second, searchId)]);
    expect(a.map((event) => event.id)).toEqual(b.map((event) => event.id));
    expect(statuses(a).slice(-2)).toEqual(['completed', 'completed']);
  });

  it('streams the faster supplier’s results as a partial processing event before the completion', async () => {
    const { mains } = await deployment(['alpha', 'slow'], { mains: 1 });
    const main = mains[0] as AppProcess;
    const searchId = await submit(main);
    const events = await follow(main, searchId);
    const partial = events.find((event) => event.data.status === 'processing' && (event.data.results as unknown[]).length > 0);
    expect(providersOf(partial?.data.results)).toEqual(['alpha']);
    expect(providersOf(events.at(-2)?.data.results)).toEqual(['alpha', 'slow']);
  });

  it('completes with the other supplier’s results when one supplier fails', async () => {
    const { mains } = await deployment(['alpha', 'broken'], { mains: 1 });
    const main = mains[0] as AppProcess;
    const events = await follow(main, await submit(main));
    expect(statuses(events).slice(-2)).toEqual(['completed', 'completed']);
    expect(providersOf(events.at(-2)?.data.results)).toEqual(['alpha']);
  });

  it('fails the search when every supplier fails', async () => {
    const { mains } = await deployment(['broken'], { mains: 1 });
    const main = mains[0] as AppProcess;
    const events = await follow(main, await submit(main));
    expect(events.at(-1)?.data).toMatchObject({ status: 'failed', error: { code: 'SUPPLIERS_UNAVAILABLE', message: expect.any(String) } });
  });

  it('ends with SEARCH_TIMEOUT when no provider runs', async () => {
    const { mains } = await deployment([], { providers: 0, mains: 1, env: { SEARCH_TIMEOUT_MS: '500' } });
    const main = mains[0] as AppProcess;
    const events = await follow(main, await submit(main));
    expect(statuses(events)).toEqual(['processing', 'failed']);
    expect(events[1]?.data).toMatchObject({ error: { code: 'SEARCH_TIMEOUT' } });
  });
});
