/**
 * Users whose credentials were revoked (the signaling server revokes a peer's TURN REST credentials when
 * the peer leaves). Long-term credentials cannot be withdrawn from the client (RFC 8489 §9.2), so the server
 * remembers the user and refuses it. A REST credential stops working at its own expiry anyway; the
 * revocation covers the time before that, and is forgotten after 24 hours, longer than the lifetime the
 * signaling server gives credentials. So each credential is refused until it expires or 24 hours have
 * passed, whichever comes first. The list is bounded: past its size the oldest revocation is forgotten.
 */

/** How long a revocation is remembered. */
export const REVOCATION_MEMORY_MS = 24 * 3600 * 1000;
/** How many revoked users are remembered at once. */
export const MAX_REVOKED_USERS = 100_000;

export class RevokedUsers {
  /** user -> when the revocation is forgotten (ms); in insertion order, so the first is the oldest. */
  readonly #forgetAt = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = MAX_REVOKED_USERS) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#forgetAt.size;
  }

  revoke(user: string, nowMs: number): void {
    this.#forgetAt.delete(user);
    this.#forgetAt.set(user, nowMs + REVOCATION_MEMORY_MS);
    this.#forgetExpired(nowMs);
    while (this.#forgetAt.size > this.#capacity) {
      const oldest = this.#forgetAt.keys().next().value as string;
      this.#forgetAt.delete(oldest);
    }
  }

  has(user: string, nowMs: number): boolean {
    const forgetAt = this.#forgetAt.get(user);
    if (forgetAt === undefined) return false;
    if (forgetAt > nowMs) return true;
    this.#forgetAt.delete(user);
    return false;
  }

  /** Entries share one lifetime, so the expired ones are at the front. */
  #forgetExpired(nowMs: number): void {
    for (const [user, forgetAt] of this.#forgetAt) {
      if (forgetAt > nowMs) return;
      this.#forgetAt.delete(user);
    }
  }
}
