/**
 * The relay latency a Dyad server measures itself (receipt of a message to handing it to the partner's
 * socket), read from the Prometheus histogram on /metrics; the load generator's own figure adds its
 * event loop and the kernel on both ends.
 */
export type LatencyHistogram = Map<number, number>;

const bucketLine = /^dyad_signaling_relay_latency_seconds_bucket\{le="([^"]+)"\} (\d+)/;

/** Cumulative counts by upper bound (seconds), summed over several servers. */
export async function readRelayLatency(metricsUrls: readonly string[]): Promise<LatencyHistogram> {
  const histogram: LatencyHistogram = new Map();
  for (const url of metricsUrls) {
    for (const line of (await (await fetch(url)).text()).split('\n')) {
      const match = bucketLine.exec(line);
      if (!match) continue;
      const bound = match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]);
      histogram.set(bound, (histogram.get(bound) ?? 0) + Number(match[2]));
    }
  }
  return histogram;
}

/** The bucket bound (ms) under which `fraction` of the observations between two readings fall. */
export function quantileMs(before: LatencyHistogram, after: LatencyHistogram, fraction: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  for (const bound of bounds) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= fraction * total) return bound * 1000;
  }
  return Number.NaN;
}
