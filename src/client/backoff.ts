/**
 * Reconnection delays: exponential growth, capped, with jitter so that every client of a restarted server
 * does not come back in the same instant.
 */
export type ReconnectPolicy = {
  /** Delay before the first attempt, before jitter. */
  initialDelayMs: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
  /** Growth factor between attempts (>= 1). */
  multiplier: number;
  /** Fraction of the delay that is randomized, in [0, 1]: the delay lies in [(1 - jitter) × d, d]. */
  jitter: number;
};

export const defaultReconnectPolicy: ReconnectPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 15_000,
  multiplier: 2,
  jitter: 0.5,
};

/**
 * Delay before reconnection attempt `attempt` (0 for the first), given a random number in [0, 1).
 * The deterministic part is min(maxDelayMs, initialDelayMs × multiplier^attempt); jitter takes up to
 * `jitter` of it away, so the cap is never exceeded.
 */
export function reconnectDelayMs(attempt: number, policy: ReconnectPolicy, random: number): number {
  const exponent = Math.max(0, Math.floor(attempt));
  const ceiling = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * Math.max(1, policy.multiplier) ** exponent,
  );
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const unit = Math.min(1, Math.max(0, random));
  return Math.round(ceiling * (1 - jitter * unit));
}
