import { compileValidator, SupplierErrorResponse, SupplierFlightsResponse } from '@skyway/contracts';
import type { FastifyInstance } from 'fastify';
import { buildApp, type MockSupplierDeps } from '../src/app';
import { parseConfig } from '../src/config';
import { generateOffers } from '../src/domain/offers';

const validResponse = compileValidator(SupplierFlightsResponse);
const validError = compileValidator(SupplierErrorResponse);
const SEARCH = '/v1/flights?from=CGK&to=DPS&date=2025-07-10&passengers=2';

/** Cycles through `values`, so a test knows every draw in advance. */
function sequence(...values: number[]): () => number {
  let next = 0;
  return () => values[next++ % values.length] as number;
}

describe('GET /v1/flights', () => {
  const apps: FastifyInstance[] = [];
  async function supplier(env: Record<string, string> = {}, deps: MockSupplierDeps = {}): Promise<FastifyInstance> {
    const app = await buildApp(parseConfig({ LOG_LEVEL: 'silent', SUPPLIER_LATENCY_MS: '0', ...env }), deps);
    apps.push(app);
    return app;
  }
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('answers the wire format with the generated offers, passengers coerced from the query string', async () => {
    const app = await supplier({ SUPPLIER_NAME: 'acme-air' });
    const response = await app.inject(SEARCH);
    expect(response.statusCode).toBe(200);
    const body: unknown = response.json();
    expect(validResponse.errors(body)).toEqual([]);
    expect(body).toEqual({ supplier: 'acme-air', offers: generateOffers({ from: 'CGK', to: 'DPS', date: '2025-07-10', passengers: 2 }, 'acme-air') });
    expect((await app.inject(SEARCH)).body).toBe(response.body);
  });

  it('answers 200 with no offers for a route nobody flies', async () => {
    const response = await (await supplier()).inject('/v1/flights?from=CGK&to=HLP&date=2025-07-10&passengers=1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ supplier: 'skyway-mock', offers: [] });
  });

  it.each([
    ['a missing parameter', 'from=CGK&to=DPS&date=2025-07-10', 'passengers', 'is required'],
    ['no passengers', 'from=CGK&to=DPS&date=2025-07-10&passengers=0', 'passengers', 'must be >= 1'],
    ['too many passengers', 'from=CGK&to=DPS&date=2025-07-10&passengers=10', 'passengers', 'must be <= 9'],
    ['a non-numeric party size', 'from=CGK&to=DPS&date=2025-07-10&passengers=two', 'passengers', 'must be integer'],
    ['a lowercase code', 'from=cgk&to=DPS&date=2025-07-10&passengers=2', 'from', 'must match pattern "^[A-Z]{3}$"'],
    ['a date that does not exist', 'from=CGK&to=DPS&date=2025-02-30&passengers=2', 'date', 'must match format "date"'],
    ['a date in another format', 'from=CGK&to=DPS&date=10-07-2025&passengers=2', 'date', 'must match format "date"'],
    ['an unknown parameter', 'from=CGK&to=DPS&date=2025-07-10&passengers=2&cabin=F', 'cabin', 'is not an allowed field'],
  ])('answers 400 with a clear JSON body for %s', async (_case, search, field, message) => {
    const response = await (await supplier()).inject(`/v1/flights?${search}`);
    expect(response.statusCode).toBe(400);
    const body: unknown = response.json();
    expect(validError.errors(body)).toEqual([]);
    expect(body).toEqual({ code: 'INVALID_QUERY', message: `Invalid query: ${field} ${message}`, errors: [{ field, message }] });
  });

  it('reports every invalid parameter at once', async () => {
    const response = await (await supplier()).inject('/v1/flights?from=1&to=DPS&date=x&passengers=0');
    expect(response.statusCode).toBe(400);
    expect(response.json<SupplierErrorResponse>().errors?.map((error) => error.field).sort()).toEqual(['date', 'from', 'passengers']);
  });

  it('answers unknown routes 404 in the same error shape', async () => {
    const response = await (await supplier()).inject('/v2/flights');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ code: 'NOT_FOUND', message: 'Route GET /v2/flights not found' });
  });

  describe('SUPPLIER_FAILURE_RATE', () => {
    it('at 1, answers every request 503 with Retry-After, even when the draw is as high as it gets', async () => {
      const app = await supplier({ SUPPLIER_FAILURE_RATE: '1' }, { random: () => 0.999_999 });
      for (let i = 0; i < 3; i++) {
        const response = await app.inject(SEARCH);
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json()).toEqual({ code: 'SUPPLIER_UNAVAILABLE', message: 'Supplier temporarily unavailable, retry later' });
      }
    });

    it('at 0, never fails, even when the draw is as low as it gets', async () => {
      const app = await supplier({ SUPPLIER_FAILURE_RATE: '0' }, { random: () => 0 });
      for (let i = 0; i < 3; i++) expect((await app.inject(SEARCH)).statusCode).toBe(200);
    });

    it('at 0.3, fails exactly the requests whose draw falls below it', async () => {
      // Latency is fixed (no draw), so each request consumes one draw: 0.0, 0.1, … 0.9.
      const app = await supplier({ SUPPLIER_FAILURE_RATE: '0.3' }, { random: sequence(0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9) });
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await app.inject(SEARCH)).statusCode);
      expect(statuses).toEqual([503, 503, 503, 200, 200, 200, 200, 200, 200, 200]);
    });

    it('leaves health checks alone', async () => {
      const app = await supplier({ SUPPLIER_FAILURE_RATE: '1' });
      expect((await app.inject('/health/ready')).statusCode).toBe(200);
    });
  });

  describe('SUPPLIER_LATENCY_MS', () => {
    function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
      const waits: number[] = [];
      return { waits, sleep: async (ms) => void waits.push(ms) };
    }

    it('waits a fixed latency before every answer, failures included', async () => {
      const { sleep, waits } = recordingSleep();
      const app = await supplier({ SUPPLIER_LATENCY_MS: '75', SUPPLIER_FAILURE_RATE: '1' }, { sleep });
      expect((await app.inject(SEARCH)).statusCode).toBe(503);
      expect((await app.inject('/v1/flights?from=CGK')).statusCode).toBe(503);
      expect(waits).toEqual([75, 75]);
    });

    it('draws a range latency from the injected random source, bounds included', async () => {
      const { sleep, waits } = recordingSleep();
      // Two draws per request: latency, then the failure decision.
      const app = await supplier({ SUPPLIER_LATENCY_MS: '120-180' }, { sleep, random: sequence(0, 0.5, 0.5, 0.5, 0.999_999, 0.5) });
      for (let i = 0; i < 3; i++) expect((await app.inject(SEARCH)).statusCode).toBe(200);
      expect(waits).toEqual([120, 150, 180]);
    });

    it('does not wait at 0, nor on health checks', async () => {
      const { sleep, waits } = recordingSleep();
      const app = await supplier({ SUPPLIER_LATENCY_MS: '0' }, { sleep });
      expect((await app.inject(SEARCH)).statusCode).toBe(200);
      const slow = await supplier({ SUPPLIER_LATENCY_MS: '500' }, { sleep });
      expect((await slow.inject('/health/live')).statusCode).toBe(200);
      expect(waits).toEqual([]);
    });
  });
});
