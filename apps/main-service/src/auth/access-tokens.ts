import { createRemoteJWKSet, errors, jwtVerify, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';
import type { AccessTokenSettings } from '../config';

/** Asymmetric signatures only: never `none`, never an HMAC (whose "key" would be the public JWKS). */
const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];
/** Clock difference tolerated between the issuer and this process for `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_S = 30;

export interface KeySetTimings {
  /** A JWKS request taking longer than this fails (the HTTP request waiting on it gets a 401). */
  readonly timeoutMs: number;
  /**
   * An unknown `kid` makes the key set be fetched again, at most once per this period (a burst of
   * forged `kid`s must not become a burst of requests to the issuer); also how long a failed fetch
   * is not retried.
   */
  readonly cooldownMs: number;
  /** Known keys are re-checked in the background this often, so a key the issuer removed stops working. */
  readonly refreshMs: number;
}

export const KEY_SET_TIMINGS: KeySetTimings = { timeoutMs: 1_500, cooldownMs: 30_000, refreshMs: 10 * 60_000 };

/** A `sub` becomes the actor of the changes it makes; the change log stores at most this much. */
const MAX_SUBJECT_LENGTH = 256;

export type VerifiedToken = { readonly ok: true; readonly subject: string; readonly scopes: ReadonlySet<string> } | { readonly ok: false; readonly reason: string };

export interface AccessTokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

/** The key set could not be fetched recently, and the token's key is not among those cached. */
class KeySetUnavailable extends Error {}

/** Why a token was refused, in words safe for `error_description` and logs (never the token). */
function refusal(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return 'the token is not valid yet';
    return `the token's ${error.claim} claim is not accepted`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return "the token's algorithm is not accepted";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature is not valid";
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'the token is signed with an unknown key';
  if (error instanceof KeySetUnavailable) return "the issuer's signing keys cannot be fetched";
  return 'the token is malformed';
}

/**
 * Verifies JWT access tokens (RFC 9068 profile) against the issuer's JWKS: signature with an
 * allowed algorithm, `iss`, `aud`, `exp` and `nbf` (with {@link CLOCK_TOLERANCE_S}), and a `sub`.
 *
 * Keys come from jose's `createRemoteJWKSet`, which fetches the set on first use and again when a
 * token names an unknown `kid` (at most once per cooldown), so the issuer can rotate keys without a
 * restart. Around it: cached keys never expire on their own (jose would refetch stale keys in the
 * request path and refuse every token while the issuer is unreachable) but are refreshed in the
 * background every `refreshMs`; after a failed fetch, tokens with unknown keys are
 * refused at once for a cooldown instead of each waiting for another fetch.
 */
export function accessTokenVerifier(settings: AccessTokenSettings, onKeySetError: (error: Error) => void, timings: KeySetTimings = KEY_SET_TIMINGS): AccessTokenVerifier {
  const { cooldownMs, refreshMs, timeoutMs } = timings;
  const remoteKeys = createRemoteJWKSet(settings.jwksUrl, { cacheMaxAge: Infinity, cooldownDuration: cooldownMs, timeoutDuration: timeoutMs });
  let loadedAt: number | undefined;
  let failedAt = -Infinity;
  const failed = (error: Error): void => {
    failedAt = Date.now();
    onKeySetError(error);
  };

  async function signingKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    const cached = remoteKeys.jwks();
    const now = Date.now();
    if (cached !== undefined && loadedAt !== undefined && now - loadedAt >= refreshMs && !remoteKeys.reloading) {
      loadedAt = now;
      remoteKeys.reload().catch(failed);
    }
    const keyCached = cached !== undefined && (header.kid === undefined || cached.keys.some((key) => key.kid === header.kid));
    if (!keyCached && now - failedAt < cooldownMs) throw new KeySetUnavailable();
    try {
      const key = await remoteKeys(header, token);
      loadedAt ??= Date.now();
      return key;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      failed(error as Error);
      throw new KeySetUnavailable('the key set could not be fetched', { cause: error });
    }
  }

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, signingKey, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: ACCESS_TOKEN_ALGORITHMS,
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['sub', 'exp'],
        });
        const subject = payload.sub;
        if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) return { ok: false, reason: "the token's sub claim is not accepted" };
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
        return { ok: true, subject, scopes: new Set(scopes) };
      } catch (error) {
        return { ok: false, reason: refusal(error) };
      }
    },
  };
}
