/**
 * RFC 8656 §7.2 step 10: a server may refuse an Allocate with 486 (Allocation Quota Reached) when the user
 * holds too many, and with 508 (Insufficient Capacity) when it has no room. Besides the user of the
 * credentials, allocations are counted per client IP address: one host with many credentials (as many as a
 * signaling server hands out) must not take the whole server. A quota is held from the moment an Allocate
 * passes the check, across the wait for a relay socket, so parallel requests cannot overrun it.
 */
import type { AllocationRefusal } from './metrics.ts';

export interface AllocationLimits {
  /** Allocations one user may hold at once (486 beyond it). */
  readonly perUser: number;
  /** Allocations one client IP address may hold at once (486 beyond it). */
  readonly perSourceAddress: number;
  /** Allocations the server holds at once (508 beyond it). */
  readonly total: number;
}

/** A count per key, forgetting keys that drop to zero so the maps hold only live holders. */
class HolderCounts {
  readonly #counts = new Map<string, number>();

  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.#counts.set(key, this.get(key) + 1);
  }

  remove(key: string): void {
    const left = this.get(key) - 1;
    if (left > 0) this.#counts.set(key, left);
    else this.#counts.delete(key);
  }
}

export class AllocationQuotas {
  readonly #limits: AllocationLimits;
  readonly #perUser = new HolderCounts();
  readonly #perSource = new HolderCounts();
  #held = 0;

  constructor(limits: AllocationLimits) {
    this.#limits = limits;
  }

  /** Allocations held or being made. */
  get held(): number {
    return this.#held;
  }

  userCount(user: string): number {
    return this.#perUser.get(user);
  }

  sourceCount(sourceAddress: string): number {
    return this.#perSource.get(sourceAddress);
  }

  /** Takes one allocation's worth of every quota, or says which one is full. */
  hold(user: string, sourceAddress: string): AllocationRefusal | undefined {
    if (this.#perUser.get(user) >= this.#limits.perUser) return 'user_quota';
    if (this.#perSource.get(sourceAddress) >= this.#limits.perSourceAddress) return 'address_quota';
    if (this.#held >= this.#limits.total) return 'total_quota';
    this.#perUser.add(user);
    this.#perSource.add(sourceAddress);
    this.#held++;
    return undefined;
  }

  release(user: string, sourceAddress: string): void {
    this.#perUser.remove(user);
    this.#perSource.remove(sourceAddress);
    this.#held--;
  }
}
