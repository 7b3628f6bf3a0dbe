/**
 * Turns RTCPeerConnection.getStats() into what the call page shows: the path in use (from the selected
 * candidate pair, W3C webrtc-stats §8.x "RTCIceCandidatePairStats"), round-trip time, bitrates from two
 * samples, packets lost, and the received video's resolution and frame rate.
 */

export type PathKind = 'host' | 'srflx' | 'prflx' | 'relay';

export interface CallStats {
  path?: { local: PathKind; remote: PathKind; protocol: string; relayed: boolean };
  roundTripMs?: number;
  bitrateInBps?: number;
  bitrateOutBps?: number;
  packetsLost: number;
  width?: number;
  height?: number;
  framesPerSecond?: number;
  framesDecoded?: number;
  /** Cumulative counters kept for the next sample's rates. */
  sample: { at: number; bytesIn: number; bytesOut: number };
}

type Stat = Record<string, unknown> & { id: string; type: string; timestamp: number };

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function selectedPair(stats: Map<string, Stat>): Stat | undefined {
  for (const stat of stats.values()) {
    if (stat.type === 'transport' && typeof stat['selectedCandidatePairId'] === 'string') {
      const pair = stats.get(stat['selectedCandidatePairId']);
      if (pair) return pair;
    }
  }
  // Firefox marks the pair itself (`selected`); older builds only `nominated` + `succeeded`.
  for (const stat of stats.values()) {
    if (stat.type === 'candidate-pair' && stat['selected'] === true) return stat;
  }
  for (const stat of stats.values()) {
    if (stat.type === 'candidate-pair' && stat['nominated'] === true && stat['state'] === 'succeeded')
      return stat;
  }
  return undefined;
}

export function summarizeStats(report: Iterable<[string, Stat]>, previous?: CallStats['sample']): CallStats {
  const stats = new Map(report);
  let bytesIn = 0;
  let bytesOut = 0;
  let packetsLost = 0;
  let at = 0;
  const result: CallStats = { packetsLost: 0, sample: { at: 0, bytesIn: 0, bytesOut: 0 } };
  for (const stat of stats.values()) {
    at = Math.max(at, stat.timestamp);
    if (stat.type === 'inbound-rtp') {
      bytesIn += num(stat['bytesReceived']) ?? 0;
      packetsLost += Math.max(0, num(stat['packetsLost']) ?? 0);
      if (stat['kind'] === 'video') {
        result.width = num(stat['frameWidth']);
        result.height = num(stat['frameHeight']);
        result.framesPerSecond = num(stat['framesPerSecond']);
        result.framesDecoded = num(stat['framesDecoded']);
      }
    } else if (stat.type === 'outbound-rtp') {
      bytesOut += num(stat['bytesSent']) ?? 0;
    }
  }
  const pair = selectedPair(stats);
  if (pair) {
    const local = stats.get(String(pair['localCandidateId']));
    const remote = stats.get(String(pair['remoteCandidateId']));
    const rtt = num(pair['currentRoundTripTime']);
    if (rtt !== undefined) result.roundTripMs = rtt * 1000;
    if (local && remote) {
      const localType = String(local['candidateType']) as PathKind;
      const remoteType = String(remote['candidateType']) as PathKind;
      result.path = {
        local: localType,
        remote: remoteType,
        protocol: String(local['relayProtocol'] ?? local['protocol'] ?? 'udp'),
        relayed: localType === 'relay' || remoteType === 'relay',
      };
    }
    // Data-only calls carry no RTP: count the transport's bytes instead.
    if (bytesIn === 0 && bytesOut === 0) {
      bytesIn = num(pair['bytesReceived']) ?? 0;
      bytesOut = num(pair['bytesSent']) ?? 0;
    }
  }
  result.packetsLost = packetsLost;
  result.sample = { at, bytesIn, bytesOut };
  if (previous && at > previous.at) {
    const seconds = (at - previous.at) / 1000;
    result.bitrateInBps = (Math.max(0, bytesIn - previous.bytesIn) * 8) / seconds;
    result.bitrateOutBps = (Math.max(0, bytesOut - previous.bytesOut) * 8) / seconds;
  }
  return result;
}

const pathNames: Record<PathKind, string> = {
  host: 'local network',
  srflx: 'through NAT (server-reflexive)',
  prflx: 'through NAT (peer-reflexive)',
  relay: 'TURN relay',
};

/** "Direct · local network" or "Relayed through TURN (udp)". */
export function describePath(path: NonNullable<CallStats['path']>): string {
  if (path.relayed) return `Relayed through TURN (${path.protocol})`;
  const kind =
    path.local === 'host' && path.remote === 'host'
      ? 'host'
      : path.local === 'host'
        ? path.remote
        : path.local;
  return `Direct · ${pathNames[kind] ?? kind}`;
}
