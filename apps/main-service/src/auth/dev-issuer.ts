import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';

const ALGORITHM = 'ES256';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM);
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' } };
}

export interface AccessTokenRequest {
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly lifetimeS: number;
  /** Claims to set differently (tests: an expired token, another audience…). */
  readonly claims?: JWTPayload;
}

/**
 * A token issuer for development and tests, never production: an ES256 key pair made in memory,
 * its public JWKS, and access tokens in the RFC 9068 shape (`typ: at+jwt`, `iss`, `aud`, `sub`,
 * `scope`, `iat`, `exp`, `jti`). `rotate()` starts signing with a new key, keeping the old one in
 * the key set (as a real issuer does while tokens signed with it are still alive) unless told not to.
 */
export class DevIssuer {
  private constructor(
    readonly issuer: string,
    readonly audience: string,
    private current: SigningKey,
    private previous: SigningKey[] = [],
  ) {}

  static async create(issuer: string, audience: string): Promise<DevIssuer> {
    return new DevIssuer(issuer, audience, await newSigningKey());
  }

  /** The public keys, as `GET /.well-known/jwks.json` serves them. */
  jwks(): JSONWebKeySet {
    return { keys: [this.current.publicJwk, ...this.previous.map((key) => key.publicJwk)] };
  }

  get currentKeyId(): string {
    return this.current.kid;
  }

  async rotate({ keepPrevious = true }: { keepPrevious?: boolean } = {}): Promise<void> {
    this.previous = keepPrevious ? [this.current, ...this.previous] : [];
    this.current = await newSigningKey();
  }

  issue({ subject, scopes, lifetimeS, claims = {} }: AccessTokenRequest): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: this.issuer,
      aud: this.audience,
      sub: subject,
      client_id: 'skyway-dev',
      scope: scopes.join(' '),
      iat: now,
      exp: now + lifetimeS,
      jti: randomUUID(),
      ...claims,
    };
    return new SignJWT(payload).setProtectedHeader({ alg: ALGORITHM, kid: this.current.kid, typ: 'at+jwt' }).sign(this.current.privateKey);
  }
}
