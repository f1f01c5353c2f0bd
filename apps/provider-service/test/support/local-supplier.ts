import { exampleFlightResult, type SupplierFlightsResponse, type SupplierOffer } from '@skyway/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';

function* floodChunks(bytes: number): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024, '[');
  for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, bytes - sent));
}

export type SupplierBehaviour =
  | { readonly kind: 'offers'; readonly offers: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'body'; readonly body: unknown }
  /** This many bytes of garbage, streamed without a Content-Length. */
  | { readonly kind: 'flood'; readonly bytes: number }
  /** Offers, after a delay. */
  | { readonly kind: 'slow'; readonly ms: number; readonly offers: number }
  | { readonly kind: 'hang' };

/**
 * Idle keep-alive sockets are closed this soon, so the sockets still open are the ones a client
 * holds in an unfinished request.
 */
const KEEP_ALIVE_TIMEOUT_MS = 200;

export interface LocalSupplier {
  readonly url: URL;
  readonly requests: () => number;
  /** Changes what the next requests get. */
  behave(...sequence: SupplierBehaviour[]): void;
  /** Requests for this many passengers get `behaviour` instead of the script (one search's answer). */
  behaveForPassengers(passengers: number, behaviour: SupplierBehaviour): void;
  /** Sockets open to the server right now. */
  connections(): Promise<number>;
  close(): Promise<void>;
}

export function offer(supplier: string, index: number, overrides: Partial<SupplierOffer> = {}): SupplierOffer {
  return {
    offerId: `${supplier}-GA${400 + index}`,
    carrier: { code: 'GA', name: 'Garuda Indonesia' },
    flightNumber: `GA${400 + index}`,
    origin: 'CGK',
    destination: 'DPS',
    departureLocal: exampleFlightResult.departure_time,
    arrivalLocal: exampleFlightResult.arrival_time,
    durationMinutes: 110,
    stops: 0,
    fare: { amount: 1_250_000 + index, currency: 'IDR' },
    seatsLeft: 9,
    ...overrides,
  };
}

/**
 * A tiny HTTP supplier for tests of the provider's supplier client: answers `/v1/flights` per a
 * scripted sequence of behaviours (the last one repeats), or per party size.
 */
export async function startLocalSupplier(name: string, ...initial: SupplierBehaviour[]): Promise<LocalSupplier> {
  const app: FastifyInstance = Fastify({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS });
  let script: SupplierBehaviour[] = initial.length > 0 ? initial : [{ kind: 'offers', offers: 2 }];
  const byPassengers = new Map<number, SupplierBehaviour>();
  let count = 0;
  const offers = (length: number): SupplierFlightsResponse => ({ supplier: name, offers: Array.from({ length }, (_, index) => offer(name, index)) });
  app.get<{ Querystring: { passengers?: string } }>('/v1/flights', async (request, reply) => {
    const behaviour = byPassengers.get(Number(request.query.passengers)) ?? (script[Math.min(count, script.length - 1)] as SupplierBehaviour);
    count += 1;
    switch (behaviour.kind) {
      case 'offers':
        return offers(behaviour.offers);
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, behaviour.ms));
        return offers(behaviour.offers);
      case 'status':
        return reply.code(behaviour.status).send({ code: 'SUPPLIER_UNAVAILABLE', message: 'scripted failure' });
      case 'body':
        return reply.send(behaviour.body);
      case 'flood':
        return reply.type('application/json').send(Readable.from(floodChunks(behaviour.bytes)));
      case 'hang':
        return new Promise(() => undefined);
    }
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    requests: () => count,
    behave(...sequence) {
      script = sequence;
      count = 0;
    },
    behaveForPassengers(passengers, behaviour) {
      byPassengers.set(passengers, behaviour);
    },
    connections: () => new Promise((resolve, reject) => app.server.getConnections((error, open) => (error ? reject(error) : resolve(open)))),
    async close() {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
