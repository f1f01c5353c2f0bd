import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DevIssuer, type AccessTokenRequest } from '../../src/auth/dev-issuer';

export const TEST_AUDIENCE = 'skyway-journeys-test';

/** A token issuer whose JWKS is served over real HTTP on a free port, as an authorization server's is. */
export interface TestIssuer {
  readonly issuer: DevIssuer;
  /** AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE for an app that trusts this issuer. */
  readonly env: Record<string, string>;
  /** Key-set requests served so far. */
  readonly fetches: number;
  /** A token for `subject` with both journey scopes (or `scopes`), valid for 5 minutes. */
  token(subject: string, options?: Partial<Omit<AccessTokenRequest, 'subject'>>): Promise<string>;
  /** Stops serving: the JWKS endpoint is down (connections refused) until `close`. */
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  let fetches = 0;
  const server: Server = createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') return void response.writeHead(404).end();
    fetches++;
    response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(issuer.jwks()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = await DevIssuer.create(`${base}/`, TEST_AUDIENCE);
  let closed = false;
  return {
    issuer,
    env: { AUTH_JWKS_URL: `${base}/.well-known/jwks.json`, AUTH_ISSUER: issuer.issuer, AUTH_AUDIENCE: TEST_AUDIENCE },
    get fetches() {
      return fetches;
    },
    token: (subject, options = {}) => issuer.issue({ subject, scopes: ['journeys:read', 'journeys:write'], lifetimeS: 300, ...options }),
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
