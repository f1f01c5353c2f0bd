import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorEnvelope } from '@skyway/contracts';
import fp from 'fastify-plugin';
import { SCOPES } from '../auth/credentials';
import { DevIssuer } from '../auth/dev-issuer';
import type { AccessTokenSettings } from '../config';

/** Development tokens last a working day, so the one `pnpm start` prints keeps working. */
const DEV_TOKEN_LIFETIME_S = 12 * 3600;
const DEV_JWKS_PATH = '/dev/jwks.json';
const DEV_SIGN_IN_PATH = '/dev/sign-in';

const SignInBody = Type.Object(
  {
    user: Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$', description: 'Becomes the token subject: the actor named in journey histories', examples: ['ayu'] }),
    scopes: Type.Optional(Type.Array(Type.Union(SCOPES.map((scope) => Type.Literal(scope))), { uniqueItems: true, description: 'Default: every scope' })),
  },
  { additionalProperties: false },
);
const TokenResponse = Type.Object(
  { access_token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.Integer(), scope: Type.String() },
  { additionalProperties: false },
);

export interface DevIssuerOptions {
  readonly accessTokens: AccessTokenSettings;
}

/**
 * Development sign-in (`AUTH_DEV_ISSUER=true`; never on by default): this process makes an ES256
 * key pair at start, serves its public JWKS at {@link DEV_JWKS_PATH} (what `AUTH_JWKS_URL` then
 * points at, so tokens are verified exactly as a real issuer's would be), and signs an access token
 * for any user name posted to {@link DEV_SIGN_IN_PATH}. The keys live in this process only: with
 * several replicas each would trust only its own tokens, so it is for one replica (pnpm start,
 * docker compose). The demo page signs in with it; the launcher prints a token from it.
 */
const devIssuer: FastifyPluginAsyncTypebox<DevIssuerOptions> = async (app, { accessTokens }) => {
  const issuer = await DevIssuer.create(accessTokens.issuer, accessTokens.audience);
  app.log.warn({ jwks: DEV_JWKS_PATH, signIn: DEV_SIGN_IN_PATH }, 'development token issuer on (AUTH_DEV_ISSUER): anyone who can reach this service can sign in');

  app.get(DEV_JWKS_PATH, { schema: { tags: ['development'], summary: "The development issuer's public keys (JWKS)" } }, async (_request, reply) =>
    reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=300').send(JSON.stringify(issuer.jwks())),
  );

  app.post(
    DEV_SIGN_IN_PATH,
    {
      schema: {
        tags: ['development'],
        summary: 'Development sign-in: an access token for any user name',
        body: SignInBody,
        response: { 200: TokenResponse, 400: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const scopes = request.body.scopes ?? [...SCOPES];
      const token = await issuer.issue({ subject: request.body.user, scopes, lifetimeS: DEV_TOKEN_LIFETIME_S });
      request.log.info({ user: request.body.user, scopes }, 'development sign-in');
      return reply.header('cache-control', 'no-store').send({ access_token: token, token_type: 'Bearer' as const, expires_in: DEV_TOKEN_LIFETIME_S, scope: scopes.join(' ') });
    },
  );
};

export default fp(devIssuer, { name: 'dev-issuer', fastify: '5.x' });
