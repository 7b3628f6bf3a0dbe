/** RFC 9260 §6.3.1 retransmission timeout from measured round-trip times, and its §6.3.3 back-off. */
export interface RtoConfig {
  initialMs: number;
  minMs: number;
  maxMs: number;
  /** Clock granularity G of §6.3.1 C1/C3. */
  granularityMs: number;
}

export interface RtoState {
  /** Smoothed RTT, undefined until the first measurement. */
  srtt: number | undefined;
  rttvar: number;
  rto: number;
}

// RFC 9260 §16: RTO.Alpha = 1/8, RTO.Beta = 1/4; defaults RTO.Initial 1 s, RTO.Min 1 s, RTO.Max 60 s.
const ALPHA = 1 / 8;
const BETA = 1 / 4;

export const DEFAULT_RTO_CONFIG: RtoConfig = {
  initialMs: 1000,
  minMs: 1000,
  maxMs: 60_000,
  granularityMs: 1,
};

export function initialRtoState(config: RtoConfig): RtoState {
  return { srtt: undefined, rttvar: 0, rto: config.initialMs };
}

function clamp(rto: number, config: RtoConfig): number {
  return Math.min(config.maxMs, Math.max(config.minMs, rto));
}

/** The state after one RTT measurement R (§6.3.1 C2 for the first, C3 for the following ones). */
export function rtoAfterMeasurement(state: RtoState, rttMs: number, config: RtoConfig): RtoState {
  if (state.srtt === undefined) {
    const rttvar = rttMs / 2;
    return { srtt: rttMs, rttvar, rto: clamp(rttMs + Math.max(config.granularityMs, 4 * rttvar), config) };
  }
  const rttvar = (1 - BETA) * state.rttvar + BETA * Math.abs(state.srtt - rttMs);
  const srtt = (1 - ALPHA) * state.srtt + ALPHA * rttMs;
  return { srtt, rttvar, rto: clamp(srtt + Math.max(config.granularityMs, 4 * rttvar), config) };
}

/** §6.3.3 E2: on T3-rtx expiry the RTO doubles, up to RTO.Max. */
export function rtoAfterBackoff(state: RtoState, config: RtoConfig): RtoState {
  return { ...state, rto: Math.min(config.maxMs, state.rto * 2) };
}
