import { sampleFlight } from '@skyway/testkit';
import { getEventListeners } from 'node:events';
import { createSupplierClient } from '../src/suppliers/supplier-client';
import { offer, startLocalSupplier, type LocalSupplier } from './support/local-supplier';

const query = { from: 'CGK', to: 'DPS', date: '2030-07-10', passengers: 2 };

describe('supplier client (against a local HTTP supplier)', () => {
  let supplier: LocalSupplier;
  beforeEach(async () => {
    supplier = await startLocalSupplier('alpha');
  });
  afterEach(() => supplier.close());

  const client = (retries = 2, timeoutMs = 2_000) =>
    createSupplierClient({ baseUrl: supplier.url, timeoutMs, retries, backoffMs: 1 });
  const signal = () => new AbortController().signal;

  it('maps offers to flight results with stable ids and the supplier as provider', async () => {
    const answer = await client()(query, signal());
    expect(answer).toEqual({
      ok: true,
      supplier: 'alpha',
      results: [0, 1].map((index) =>
        sampleFlight(`alpha-GA${400 + index}`, 'alpha', { flight_number: `GA${400 + index}`, price: { amount: 1_250_000 + index, currency: 'IDR' } }),
      ),
    });
  });

  it('drops offers with fewer seats than passengers or for another route', async () => {
    supplier.behave({
      kind: 'body',
      body: { supplier: 'alpha', offers: [offer('alpha', 0, { seatsLeft: 1 }), offer('alpha', 1, { destination: 'SUB' }), offer('alpha', 2)] },
    });
    const answer = await client()(query, signal());
    expect(answer.ok && answer.results.map((result) => result.flight_number)).toEqual(['GA402']);
  });

  it('retries a 503 with backoff and succeeds when the supplier recovers', async () => {
    supplier.behave({ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'offers', offers: 1 });
    const answer = await client(2)(query, signal());
    expect(answer.ok).toBe(true);
    expect(supplier.requests()).toBe(3);
  });

  it('gives up after the bounded retries with the reason', async () => {
    supplier.behave({ kind: 'status', status: 503 });
    expect(await client(2)(query, signal())).toEqual({ ok: false, supplier: supplier.url.origin, reason: 'HTTP 503' });
    expect(supplier.requests()).toBe(3);
  });

  it('retries a supplier that does not answer in time', async () => {
    supplier.behave({ kind: 'hang' }, { kind: 'offers', offers: 1 });
    const answer = await client(1, 200)(query, signal());
    expect(answer.ok).toBe(true);
    expect(supplier.requests()).toBe(2);
  });

  it.each([
    ['a 400', { kind: 'status', status: 400 } as const, 'HTTP 400'],
    ['garbage', { kind: 'body', body: { hello: 'world' } } as const, 'malformed response'],
    ['an offer of the wrong shape', { kind: 'body', body: { supplier: 'alpha', offers: [{ offerId: 1 }] } } as const, 'malformed response'],
  ])('counts %s as this supplier failing, without retrying', async (_case, behaviour, reason) => {
    supplier.behave(behaviour);
    const answer = await client(3)(query, signal());
    expect(answer).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
    expect(supplier.requests()).toBe(1);
  });

  it('reports every attempt to the observer under the supplier’s origin, with its outcome and duration', async () => {
    const calls: Array<[string, string, number]> = [];
    const observer = { onSupplierCall: (name: string, outcome: string, ms: number) => void calls.push([name, outcome, ms]) };
    const observed = (retries: number, timeoutMs = 2_000) => createSupplierClient({ baseUrl: supplier.url, timeoutMs, retries, backoffMs: 1, observer });
    const origin = supplier.url.origin;

    supplier.behave({ kind: 'status', status: 503 }, { kind: 'hang' }, { kind: 'offers', offers: 1 });
    expect((await observed(2, 200)(query, signal())).ok).toBe(true);
    supplier.behave({ kind: 'status', status: 400 });
    await observed(2)(query, signal());
    supplier.behave({ kind: 'body', body: { hello: 'world' } });
    await observed(2)(query, signal());
    expect(calls.map(([name, outcome]) => [name, outcome])).toEqual([
      [origin, 'http_error'],
      [origin, 'timeout'],
      [origin, 'ok'],
      [origin, 'http_error'],
      [origin, 'invalid_response'],
    ]);
    for (const [, , ms] of calls) expect(ms).toBeGreaterThanOrEqual(0);

    const closed = await startLocalSupplier('gone');
    const goneUrl = closed.url;
    await closed.close();
    calls.length = 0;
    await createSupplierClient({ baseUrl: goneUrl, timeoutMs: 1_000, retries: 1, backoffMs: 1, observer })(query, signal());
    expect(calls.map(([name, outcome]) => [name, outcome])).toEqual([
      [goneUrl.origin, 'network_error'],
      [goneUrl.origin, 'network_error'],
    ]);
  });

  it.each([
    ['with a Content-Length', { kind: 'body', body: { supplier: 'alpha', offers: [], padding: 'x'.repeat(200_000) } } as const],
    ['streamed without one', { kind: 'flood', bytes: 20_000_000 } as const],
  ])('stops reading an answer larger than maxResponseBytes (%s): malformed, not retried', async (_case, behaviour) => {
    supplier.behave(behaviour);
    const answer = await createSupplierClient({ baseUrl: supplier.url, timeoutMs: 10_000, retries: 3, backoffMs: 1, maxResponseBytes: 100_000 })(query, signal());
    expect(answer).toEqual({ ok: false, supplier: supplier.url.origin, reason: 'malformed response: response larger than 100000 bytes' });
    expect(supplier.requests()).toBe(1);
  });

  it('leaves nothing attached to the caller’s signal once a call is over, whatever its outcome', async () => {
    const shared = new AbortController().signal;
    supplier.behave({ kind: 'offers', offers: 1 }, { kind: 'status', status: 503 }, { kind: 'hang' }, { kind: 'offers', offers: 1 });
    await client(0)(query, shared);
    await client(0)(query, shared);
    await client(1, 100)(query, shared);
    expect(getEventListeners(shared, 'abort')).toHaveLength(0);
  });

  it('stops retrying once the shutdown signal aborts', async () => {
    supplier.behave({ kind: 'hang' });
    const controller = new AbortController();
    const pending = client(5, 10_000)(query, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect(await pending).toMatchObject({ ok: false });
    expect(supplier.requests()).toBe(1);
  });
});
