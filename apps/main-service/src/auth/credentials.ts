import type { AccessTokenVerifier } from './access-tokens';
import { serviceTokenMatcher } from './service-token';

export const SCOPES = ['journeys:read', 'journeys:write'] as const;
export type Scope = (typeof SCOPES)[number];

/** The actor recorded for the static service token (`JOURNEY_API_TOKEN`). */
const SERVICE_ACTOR = 'service';

/** Who is asking, and what they may do. */
export interface Principal {
  /** The access token's `sub`, or {@link SERVICE_ACTOR}; recorded on every change they make. */
  readonly actor: string;
  readonly scopes: ReadonlySet<string>;
}

/**
 * The outcome of reading a request's credential. `missing`: none was sent (RFC 6750 then gives no
 * error code); `invalid`: one was sent and is refused (`invalid_token`).
 */
export type Authentication =
  | { readonly kind: 'authenticated'; readonly principal: Principal }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface CredentialSources {
  /** `JOURNEY_API_TOKEN`: every scope, actor `service`. */
  readonly serviceToken?: string;
  /** JWT access tokens; without it only the service token is accepted. */
  readonly accessTokens?: AccessTokenVerifier;
}

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/**
 * Reads `Authorization: Bearer <credential>`: the service token (compared in constant time) or a
 * JWT access token. Any other scheme counts as no credential, so the client is told to use Bearer.
 */
export function authenticator(sources: CredentialSources): (authorization: string | undefined) => Promise<Authentication> {
  const isServiceToken = sources.serviceToken === undefined ? () => false : serviceTokenMatcher(sources.serviceToken);
  const serviceScopes: ReadonlySet<string> = new Set(SCOPES);
  return async (authorization) => {
    const credential = BEARER.exec(authorization ?? '')?.[1];
    if (credential === undefined) return { kind: 'missing' };
    if (isServiceToken(credential)) return { kind: 'authenticated', principal: { actor: SERVICE_ACTOR, scopes: serviceScopes } };
    if (sources.accessTokens === undefined) return { kind: 'invalid', reason: 'it is not a credential this server accepts' };
    const verified = await sources.accessTokens.verify(credential);
    return verified.ok ? { kind: 'authenticated', principal: { actor: verified.subject, scopes: verified.scopes } } : { kind: 'invalid', reason: verified.reason };
  };
}
