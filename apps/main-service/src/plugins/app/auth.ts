import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { accessTokenVerifier, KEY_SET_TIMINGS, type KeySetTimings } from '../../auth/access-tokens';
import { authenticator, type Principal, type Scope } from '../../auth/credentials';
import { StreamTicketStore } from '../../auth/stream-tickets';
import type { MainServiceConfig } from '../../config';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * An `onRequest` hook admitting only requests whose credential carries `scope`: 401 with a
     * `WWW-Authenticate: Bearer` challenge without a valid one, 403 without the scope. With
     * `streamTicket`, a `?ticket=` from {@link StreamTicketStore} is accepted instead of a header.
     */
    requireScope(scope: Scope, options?: { readonly streamTicket?: boolean }): onRequestHookHandler;
    streamTickets: StreamTicketStore;
  }
  interface FastifyRequest {
    /** Set by `requireScope` once the request is admitted. */
    principal: Principal | null;
  }
}

/** A refused credential: the route's error handler answers it with the status and message (headers are set already). */
class CredentialRefusedError extends Error {
  override readonly name = 'CredentialRefusedError';
  constructor(
    readonly statusCode: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

export interface AuthOptions {
  readonly config: MainServiceConfig;
  /** JWKS fetch timeout, cooldown and refresh (tests shorten them). */
  readonly keySetTimings?: KeySetTimings;
}

const REALM = 'skyway';

/** RFC 6750 §3: `Bearer realm=…, scope=…[, error=…, error_description=…]`; descriptions never hold quotes. */
function challenge(scope: Scope, error?: { code: 'invalid_token' | 'insufficient_scope'; description: string }): string {
  const params = [`realm="${REALM}"`, `scope="${scope}"`];
  if (error) params.push(`error="${error.code}"`, `error_description="${error.description.replaceAll('"', "'")}"`);
  return `Bearer ${params.join(', ')}`;
}

/**
 * Who may call what: credentials are read once per request by the routes' `requireScope` hooks
 * (the service token, JWT access tokens verified against `AUTH_JWKS_URL`, or a stream ticket), so
 * any route, including ones added later, opts in with one line. Refusals are logged with their
 * reason, never with the credential.
 */
const auth: FastifyPluginAsync<AuthOptions> = async (app, { config, keySetTimings = KEY_SET_TIMINGS }) => {
  const log = app.log.child({ component: 'auth' });
  const authenticate = authenticator({
    ...(config.journeyApiToken === undefined ? {} : { serviceToken: config.journeyApiToken }),
    ...(config.accessTokens === undefined
      ? {}
      : {
          accessTokens: accessTokenVerifier(
            config.accessTokens,
            (error) => log.warn({ err: error, jwksUrl: config.accessTokens?.jwksUrl.href }, 'signing keys could not be fetched'),
            keySetTimings,
          ),
        }),
  });
  const noCredentialsConfigured = config.journeyApiToken === undefined && config.accessTokens === undefined;
  const tickets = new StreamTicketStore(app.redis, config.redisKeyPrefix);
  app.decorate('streamTickets', tickets);
  app.decorateRequest('principal', null);

  function refuse(reply: FastifyReply, scope: Scope, status: 401 | 403, message: string, error?: Parameters<typeof challenge>[1]): never {
    reply.header('www-authenticate', challenge(scope, error));
    throw new CredentialRefusedError(status, message);
  }

  async function principalOf(request: FastifyRequest, reply: FastifyReply, scope: Scope, streamTicket: boolean): Promise<Principal> {
    const ticket = streamTicket ? (request.query as { ticket?: unknown }).ticket : undefined;
    if (request.headers.authorization === undefined && typeof ticket === 'string') {
      const principal = await tickets.redeem(ticket);
      if (principal !== null) return principal;
      request.log.info({ reason: 'unknown, expired or used stream ticket' }, 'credential refused');
      return refuse(reply, scope, 401, 'The stream ticket is not valid: it is used, expired or unknown; ask for a new one', {
        code: 'invalid_token',
        description: 'the stream ticket is used, expired or unknown',
      });
    }
    if (noCredentialsConfigured) {
      return refuse(reply, scope, 401, 'The journeys API is closed: the server has neither JOURNEY_API_TOKEN nor AUTH_JWKS_URL configured');
    }
    const result = await authenticate(request.headers.authorization);
    if (result.kind === 'authenticated') return result.principal;
    if (result.kind === 'missing') return refuse(reply, scope, 401, `Authorization: Bearer <access token> with scope ${scope} is required`);
    request.log.info({ reason: result.reason }, 'credential refused');
    return refuse(reply, scope, 401, `The bearer token is not valid: ${result.reason}`, { code: 'invalid_token', description: result.reason });
  }

  app.decorate('requireScope', (scope: Scope, options: { readonly streamTicket?: boolean } = {}): onRequestHookHandler => {
    return async function requireScope(request, reply) {
      const principal = await principalOf(request, reply, scope, options.streamTicket === true);
      request.log = request.log.child({ actor: principal.actor });
      reply.log = request.log;
      if (!principal.scopes.has(scope)) {
        request.log.info({ scope }, 'credential lacks the scope');
        refuse(reply, scope, 403, `The access token does not grant the scope ${scope}`, {
          code: 'insufficient_scope',
          description: `the token lacks the scope ${scope}`,
        });
      }
      request.principal = principal;
    };
  });
};

export default fp(auth, { name: 'auth', fastify: '5.x', dependencies: ['redis'] });
