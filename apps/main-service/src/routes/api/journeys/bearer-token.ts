import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export type BearerCheck = 'ok' | 'writes-disabled' | 'missing' | 'invalid';

/**
 * Checks an `Authorization` header against the configured token. Both sides are hashed first so
 * the comparison is constant-time over equal-length digests: neither the token's length nor how
 * many leading characters match leaks through timing.
 */
export function bearerTokenChecker(token: string | undefined): (authorization: string | undefined) => BearerCheck {
  const expected = token === undefined ? undefined : digest(token);
  return (authorization) => {
    if (expected === undefined) return 'writes-disabled';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return 'missing';
    return timingSafeEqual(digest(match[1] as string), expected) ? 'ok' : 'invalid';
  };
}
