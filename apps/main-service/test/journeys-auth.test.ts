import { eventually, isolatedRedis, openSse, sampleJourney, type IsolatedRedis, type SseConnection } from '@skyway/testkit';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { KEY_SET_TIMINGS, type KeySetTimings } from '../src/auth/access-tokens';
import { DevIssuer } from '../src/auth/dev-issuer';
import { STREAM_TICKET_TTL_S } from '../src/auth/stream-tickets';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';
import { startTestIssuer, TEST_AUDIENCE, type TestIssuer } from './support/test-issuer';

const SERVICE_TOKEN = 'journey-auth-service-token-0123';
const service = { authorization: `Bearer ${SERVICE_TOKEN}` };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

/** Every journeys route, with what it needs. */
const READS: InjectOptions[] = [
  { method: 'GET', url: '/api/journeys' },
  { method: 'GET', url: '/api/journeys/JRN-A' },
  { method: 'GET', url: '/api/journeys/JRN-A/history' },
  { method: 'GET', url: '/api/journeys/JRN-A/stream' },
  { method: 'POST', url: '/api/journeys/stream-tickets' },
];
const WRITES: InjectOptions[] = [
  { method: 'POST', url: '/api/journeys', payload: sampleJourney('JRN-B', 1) },
  { method: 'PUT', url: '/api/journeys/JRN-A/segments/SEG-001/status', payload: { status: 'Boarding' } },
  { method: 'PUT', url: '/api/journeys/JRN-A/status', payload: { status: 'InProgress' } },
];

describe('journeys API: who may do what (JWT access tokens against a real JWKS endpoint, real Redis)', () => {
  let redis: IsolatedRedis;
  let issuer: TestIssuer;
  const apps: FastifyInstance[] = [];
  const streams: SseConnection[] = [];

  beforeEach(async () => {
    redis = await isolatedRedis('journeys-auth');
    issuer = await startTestIssuer();
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await issuer.close();
    await redis.cleanup();
  });

  /** The test issuer's tokens and the service token. */
  const trusted = (): Record<string, string> => ({ ...issuer.env, JOURNEY_API_TOKEN: SERVICE_TOKEN });

  /** An app configured by `env`; with the service token, JRN-A is created. */
  async function start(env: Record<string, string> = trusted(), keySetTimings: KeySetTimings = KEY_SET_TIMINGS): Promise<FastifyInstance> {
    const config = parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', SEED_JOURNEYS: 'none', ...env });
    const app = await buildApp(config, { keySetTimings });
    apps.push(app);
    await app.ready();
    if (env.JOURNEY_API_TOKEN !== undefined) {
      const created = await app.inject({ method: 'POST', url: '/api/journeys', headers: service, payload: sampleJourney('JRN-A', 2) });
      expect([201, 409]).toContain(created.statusCode);
    }
    return app;
  }
  const list = (app: FastifyInstance, token: string) => app.inject({ url: '/api/journeys', headers: bearer(token) });
  const challengeOf = (response: LightMyRequestResponse) => String(response.headers['www-authenticate']);

  describe('without a credential', () => {
    it('refuses every journeys route with 401 and a Bearer challenge (no error code: none was sent), and writes nothing', async () => {
      const app = await start();
      for (const request of [...READS, ...WRITES]) {
        for (const headers of [{}, { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }]) {
          const response = await app.inject({ ...request, headers });
          expect([request.url, response.statusCode]).toEqual([request.url, 401]);
          expect(challengeOf(response)).toMatch(/^Bearer realm="skyway", scope="journeys:(read|write)"$/);
          expect(response.json()).toEqual({ message: expect.stringContaining('Authorization: Bearer') });
        }
      }
      expect((await app.inject({ url: '/api/journeys/JRN-A', headers: service })).json()).toMatchObject({ version: 1 });
    });

    it('refuses a journey stream over a real socket, while the flight search stays anonymous', async () => {
      const app = await start();
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const stream = await openSse(`${url}/api/journeys/JRN-A/stream`);
      streams.push(stream);
      expect(stream.status).toBe(401);
      expect(stream.text).not.toContain('passengerEmail');
      expect((await app.inject({ url: '/api/flights/search/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    });
  });

  describe('JWT access tokens', () => {
    it('admits a valid token to reads and writes, and records its sub as the actor of each change', async () => {
      const app = await start();
      const token = await issuer.token('auth0|ayu');
      expect((await list(app, token)).json()).toEqual({ journeyIds: ['JRN-A'], count: 1 });
      const update = await app.inject({ ...WRITES[1], headers: bearer(token) });
      expect(update.statusCode).toBe(200);
      const history = (await app.inject({ url: '/api/journeys/JRN-A/history', headers: bearer(token) })).json();
      expect(history).toEqual({
        journeyId: 'JRN-A',
        complete: true,
        changes: [
          { journeyId: 'JRN-A', version: 1, changes: [{ type: 'created' }], committedAt: expect.any(String), actor: 'service', requestId: expect.any(String) },
          {
            journeyId: 'JRN-A',
            version: 2,
            changes: [{ type: 'segmentStatus', segmentId: 'SEG-001', status: 'Boarding', previousStatus: 'Scheduled' }],
            committedAt: expect.any(String),
            actor: 'auth0|ayu',
            requestId: expect.any(String),
          },
        ],
      });
      expect(history.changes[1].requestId).not.toBe(history.changes[0].requestId);
    });

    it('accepts a token within the clock skew tolerance, refuses one expired or not yet valid beyond it', async () => {
      const app = await start();
      expect((await list(app, await issuer.token('skewed', { claims: { exp: nowS() - 5, nbf: nowS() + 5 } }))).statusCode).toBe(200);
      for (const [claims, reason] of [
        [{ exp: nowS() - 120 }, 'the token has expired'],
        [{ nbf: nowS() + 120 }, 'the token is not valid yet'],
      ] as const) {
        const response = await list(app, await issuer.token('late', { claims }));
        expect(response.statusCode).toBe(401);
        expect(challengeOf(response)).toBe(`Bearer realm="skyway", scope="journeys:read", error="invalid_token", error_description="${reason}"`);
        expect(response.json()).toEqual({ message: `The bearer token is not valid: ${reason}` });
      }
    });

    it.each([
      ['another issuer', { iss: 'https://evil.example.com/' }, "the token's iss claim is not accepted"],
      ['another audience', { aud: 'someone-else' }, "the token's aud claim is not accepted"],
      ['no subject', { sub: undefined }, "the token's sub claim is not accepted"],
    ])('refuses a token for %s (401 invalid_token)', async (_case, claims, reason) => {
      const app = await start();
      const response = await list(app, await issuer.token('x', { claims }));
      expect(response.statusCode).toBe(401);
      expect(challengeOf(response)).toContain(`error_description="${reason}"`);
    });

    it('refuses a forged signature, alg none, an HMAC signed with a guessable secret, and garbage (401, never 500)', async () => {
      const app = await start();
      const [header, payload, signature] = (await issuer.token('mallory')).split('.') as [string, string, string];
      const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      const claims = { iss: issuer.issuer.issuer, aud: TEST_AUDIENCE, sub: 'mallory', scope: 'journeys:read journeys:write', exp: nowS() + 300 };
      const none = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
      const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: issuer.issuer.currentKeyId }).sign(new TextEncoder().encode('secret'));
      for (const [token, reason] of [
        [`${header}.${payload}.${flipped}`, "the token's signature is not valid"],
        [none, "the token's algorithm is not accepted"],
        [hmac, "the token's algorithm is not accepted"],
        ['not-a-jwt', 'the token is malformed'],
        [`${header}.${base64url({ ...claims, sub: 'other' })}.${signature}`, "the token's signature is not valid"],
      ]) {
        const response = await list(app, token as string);
        expect([reason, response.statusCode]).toEqual([reason, 401]);
        expect(challengeOf(response)).toContain(`error_description="${reason}"`);
      }
    });

    it('answers 403 insufficient_scope to a valid token without the scope, and lets a read-only token read', async () => {
      const app = await start();
      const readOnly = await issuer.token('reader', { scopes: ['journeys:read'] });
      const noScope = await issuer.token('nobody', { scopes: [] });
      expect((await list(app, readOnly)).statusCode).toBe(200);
      for (const request of WRITES) {
        const response = await app.inject({ ...request, headers: bearer(readOnly) });
        expect(response.statusCode).toBe(403);
        expect(challengeOf(response)).toBe(
          'Bearer realm="skyway", scope="journeys:write", error="insufficient_scope", error_description="the token lacks the scope journeys:write"',
        );
        expect(response.json()).toEqual({ message: 'The access token does not grant the scope journeys:write' });
      }
      for (const request of READS) expect((await app.inject({ ...request, headers: bearer(noScope) })).statusCode).toBe(403);
      expect((await app.inject({ url: '/api/journeys/JRN-A', headers: service })).json()).toMatchObject({ version: 1 });
    });

    it('accepts only the service token when AUTH_* is unset, and says so when nothing is configured', async () => {
      const serviceOnly = await start({ JOURNEY_API_TOKEN: SERVICE_TOKEN });
      expect((await list(serviceOnly, SERVICE_TOKEN)).statusCode).toBe(200);
      const refused = await list(serviceOnly, await issuer.token('ayu'));
      expect(refused.statusCode).toBe(401);
      expect(challengeOf(refused)).toContain('error="invalid_token"');

      const closed = await start({});
      const response = await list(closed, SERVICE_TOKEN);
      expect(response.statusCode).toBe(401);
      expect((await closed.inject('/api/journeys')).json().message).toMatch(/neither JOURNEY_API_TOKEN nor AUTH_JWKS_URL/);
    });
  });

  describe('signing keys', () => {
    it('refuses a key the issuer never published, and a burst of them does not fetch the key set again (cooldown)', async () => {
      const app = await start();
      expect((await list(app, await issuer.token('known'))).statusCode).toBe(200);
      expect(issuer.fetches).toBe(1);
      const stranger = await DevIssuer.create(issuer.issuer.issuer, TEST_AUDIENCE);
      for (let i = 0; i < 20; i++) {
        const response = await list(app, await stranger.issue({ subject: 'x', scopes: ['journeys:read'], lifetimeS: 60 }));
        expect(response.statusCode).toBe(401);
        expect(challengeOf(response)).toContain('error_description="the token is signed with an unknown key"');
      }
      expect(issuer.fetches).toBe(1);
    });

    it('follows a key rotation without a restart: a new kid fetches the key set again; a withdrawn key stops working', async () => {
      const app = await start(trusted(), { ...KEY_SET_TIMINGS, cooldownMs: 200 });
      const before = await issuer.token('before');
      expect((await list(app, before)).statusCode).toBe(200);

      await issuer.issuer.rotate();
      const after = await issuer.token('after');
      await eventually('the rotated key to be fetched', async () => (await list(app, after)).statusCode === 200);
      expect((await list(app, before)).statusCode).toBe(200);

      await issuer.issuer.rotate({ keepPrevious: false });
      const latest = await issuer.token('latest');
      await eventually('the new key set to be fetched', async () => (await list(app, latest)).statusCode === 200);
      const withdrawn = await list(app, before);
      expect(withdrawn.statusCode).toBe(401);
      expect(challengeOf(withdrawn)).toContain('error_description="the token is signed with an unknown key"');
    });

    it('keeps accepting tokens signed with cached keys while the JWKS endpoint is down; unknown keys are 401, never 500', async () => {
      // Every request also tries to refresh the key set in the background (refreshMs 0), and fails.
      const app = await start(trusted(), { ...KEY_SET_TIMINGS, cooldownMs: 0, refreshMs: 0 });
      const token = await issuer.token('cached');
      expect((await list(app, token)).statusCode).toBe(200);
      await issuer.close();

      expect((await list(app, token)).statusCode).toBe(200);
      expect((await list(app, await issuer.token('another', { scopes: ['journeys:read'] }))).statusCode).toBe(200);
      await issuer.issuer.rotate();
      const unknown = await list(app, await issuer.token('rotated'));
      expect(unknown.statusCode).toBe(401);
      expect(challengeOf(unknown)).toContain(`error_description="the issuer's signing keys cannot be fetched"`);
      expect((await list(app, token)).statusCode).toBe(200);
    });

    it('answers 401 (not 500) when the JWKS endpoint was never reachable', async () => {
      await issuer.close();
      const app = await start();
      const response = await list(app, await issuer.token('early'));
      expect(response.statusCode).toBe(401);
      expect(challengeOf(response)).toContain(`error_description="the issuer's signing keys cannot be fetched"`);
    });
  });

  describe('stream tickets', () => {
    async function ticketFor(app: FastifyInstance, headers: Record<string, string>): Promise<string> {
      const response = await app.inject({ method: 'POST', url: '/api/journeys/stream-tickets', headers });
      expect(response.statusCode).toBe(201);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.json()).toEqual({ ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresIn: STREAM_TICKET_TTL_S });
      return response.json().ticket as string;
    }

    it('opens one stream per ticket, on any replica; a reused, expired, forged or absent ticket is 401', async () => {
      const app = await start();
      const other = await start();
      const [url, otherUrl] = [await app.listen({ host: '127.0.0.1', port: 0 }), await other.listen({ host: '127.0.0.1', port: 0 })];
      const token = await issuer.token('viewer', { scopes: ['journeys:read'] });
      const ticket = await ticketFor(app, bearer(token));

      const first = await openSse(`${otherUrl}/api/journeys/JRN-A/stream?ticket=${ticket}`);
      streams.push(first);
      expect(first.status).toBe(200);
      expect((await first.event(0)).event).toBe('journey');

      const reused = await openSse(`${url}/api/journeys/JRN-A/stream?ticket=${ticket}`);
      streams.push(reused);
      expect(reused.status).toBe(401);
      expect(reused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(JSON.parse(reused.text ?? '{}')).toEqual({ message: expect.stringContaining('ticket is not valid') });

      // Redis expires a ticket after STREAM_TICKET_TTL_S: here it is made to expire now.
      const expiring = await ticketFor(app, bearer(token));
      const [key] = await redis.client.keys(`${redis.prefix}stream-ticket:{${expiring}}`);
      expect(await redis.client.ttl(key as string)).toBeLessThanOrEqual(STREAM_TICKET_TTL_S);
      await redis.client.pexpire(key as string, 1);
      await eventually('the ticket to expire', async () => (await redis.client.exists(key as string)) === 0);
      for (const forged of [expiring, randomBytes(32).toString('base64url'), 'short', '']) {
        const response = await app.inject({ url: `/api/journeys/JRN-A/stream?ticket=${forged}` });
        expect([forged, response.statusCode]).toEqual([forged, 401]);
      }
    });

    it('grants nothing but the stream: a ticket is no credential for reads or writes', async () => {
      const app = await start();
      const ticket = await ticketFor(app, service);
      for (const request of [...READS.filter((read) => !read.url?.toString().endsWith('/stream')), ...WRITES]) {
        const response = await app.inject({ ...request, url: `${request.url}?ticket=${ticket}` });
        expect([request.url, response.statusCode]).toEqual([request.url, 401]);
      }
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const stream = await openSse(`${url}/api/journeys/JRN-A/stream?ticket=${ticket}`);
      streams.push(stream);
      expect(stream.status).toBe(200);
    });
  });
});
