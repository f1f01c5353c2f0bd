import type { RedisCommands } from '@skyway/redis-connection';
import { randomBytes } from 'node:crypto';
import type { Principal } from './credentials';

/** How long a stream ticket can be redeemed: enough to open the stream right after asking. */
export const STREAM_TICKET_TTL_S = 30;
/** 32 random bytes, base64url. */
const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Single-use, short-lived credentials for one SSE connection. A browser's `EventSource` cannot send
 * an `Authorization` header, and a long-lived token in a URL ends up in proxy logs and browser
 * history; a ticket in the URL is worth one connection within {@link STREAM_TICKET_TTL_S}.
 *
 * Tickets live in Redis (`SET … EX`), so any replica redeems a ticket another issued, and are
 * redeemed with `GETDEL`, so two connections can never both use one. Each key is its own hash tag
 * (a ticket is never read with other keys). A ticket grants only `journeys:read`, for its actor.
 */
export class StreamTicketStore {
  constructor(
    private readonly redis: RedisCommands,
    private readonly keyPrefix: string,
  ) {}

  async issue(principal: Principal): Promise<{ ticket: string; expiresIn: number }> {
    const ticket = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(ticket), JSON.stringify({ actor: principal.actor }), 'EX', STREAM_TICKET_TTL_S);
    return { ticket, expiresIn: STREAM_TICKET_TTL_S };
  }

  /** The ticket's principal, once; null for a ticket that is malformed, expired, already used or never issued. */
  async redeem(ticket: string): Promise<Principal | null> {
    if (!TICKET_PATTERN.test(ticket)) return null;
    const stored = await this.redis.getdel(this.key(ticket));
    if (stored === null) return null;
    const { actor } = JSON.parse(stored) as { actor: string };
    return { actor, scopes: new Set(['journeys:read']) };
  }

  private key(ticket: string): string {
    return `${this.keyPrefix}stream-ticket:{${ticket}}`;
  }
}
