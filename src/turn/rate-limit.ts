/**
 * Per-source token buckets for unauthenticated requests (Binding, and requests answered 400/401/438), so a
 * spoofed or abusive source cannot make the server answer faster than `ratePerSecond` (RFC 8656 §21.1.3
 * asks servers to bound the work they do for unauthenticated clients). The table of sources is bounded: the
 * least recently seen sources are forgotten first.
 */
export interface RateLimitOptions {
  /** Sustained requests per second per source IP; Infinity disables the limit. */
  readonly ratePerSecond: number;
  /** Requests a quiet source may send in a burst. */
  readonly burst: number;
  /** Most sources tracked at once. */
  readonly maxSources?: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

export class SourceRateLimiter {
  readonly #options: RateLimitOptions;
  readonly #buckets = new Map<string, Bucket>();
  readonly #maxSources: number;

  constructor(options: RateLimitOptions) {
    this.#options = options;
    this.#maxSources = options.maxSources ?? 100_000;
  }

  /** Takes a token for `source`; false when the source is over its rate and the request must be dropped. */
  allow(source: string, nowMs: number): boolean {
    const { ratePerSecond, burst } = this.#options;
    if (ratePerSecond === Number.POSITIVE_INFINITY) return true;
    let bucket = this.#buckets.get(source);
    if (bucket) {
      bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.lastMs) * ratePerSecond) / 1000);
      bucket.lastMs = nowMs;
      // Re-insert so that Map order stays least-recently-seen first.
      this.#buckets.delete(source);
      this.#buckets.set(source, bucket);
    } else {
      bucket = { tokens: burst, lastMs: nowMs };
      this.#buckets.set(source, bucket);
      if (this.#buckets.size > this.#maxSources) {
        const oldest = this.#buckets.keys().next().value as string;
        this.#buckets.delete(oldest);
      }
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
