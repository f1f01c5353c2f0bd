import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Compares presented bearer tokens with the static service token (`JOURNEY_API_TOKEN`). Both sides
 * are hashed first so the comparison is constant-time over equal-length digests: neither the
 * token's length nor how many leading characters match leaks through timing.
 */
export function serviceTokenMatcher(serviceToken: string): (presented: string) => boolean {
  const expected = digest(serviceToken);
  return (presented) => timingSafeEqual(digest(presented), expected);
}
