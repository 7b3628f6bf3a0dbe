/**
 * getStats (W3C WebRTC §8 and webrtc-stats): peer-connection, transport, candidate-pair, local and
 * remote candidate, certificate and data-channel objects, keyed by id in an RTCStatsReport (a Map).
 */
import type { RTCDataChannel } from '../datachannel/index.ts';
import type { DtlsCertificate } from '../dtls/index.ts';
import type { CandidatePair } from '../ice/index.ts';
import type { IceCandidate } from '../sdp/index.ts';
import type { RTCDtlsTransport } from './rtc-transports.ts';
import type { TransportStack } from './transports.ts';

export type RTCStats = { id: string; type: string; timestamp: number } & Record<string, unknown>;
type StatsEntry = { id: string; type: string } & Record<string, unknown>;
export class RTCStatsReport extends Map<string, RTCStats> {}

/** The connection's live channels, with the counts of webrtc-stats §7.2 (RTCPeerConnectionStats). */
export class ChannelTracker {
  readonly live = new Set<RTCDataChannel>();
  opened = 0;
  closed = 0;

  track(channel: RTCDataChannel): void {
    this.live.add(channel);
    if (channel.readyState === 'open') this.opened++;
    else channel.addEventListener('open', () => this.opened++, { once: true });
    channel.addEventListener(
      'close',
      () => {
        this.closed++;
        this.live.delete(channel);
      },
      { once: true },
    );
  }
}

export interface StatsSource {
  stack: TransportStack;
  dtlsTransport: RTCDtlsTransport;
  certificate: DtlsCertificate;
  channels: ChannelTracker;
}

export function collectStats(
  source: StatsSource,
  timestamp = performance.timeOrigin + performance.now(),
): RTCStatsReport {
  const report = new RTCStatsReport();
  const add = (stats: StatsEntry) => report.set(stats.id, { timestamp, ...stats } as RTCStats);
  add({
    id: 'P',
    type: 'peer-connection',
    dataChannelsOpened: source.channels.opened,
    dataChannelsClosed: source.channels.closed,
  });
  const { stack } = source;
  const ice = stack.ice;
  const dtls = stack.dtls;
  const localCertificateId = `CF${source.certificate.fingerprint.value}`;
  add(certificateStats(localCertificateId, source.certificate.der, source.certificate.fingerprint));
  const remoteDer = source.dtlsTransport.remoteCertificate;
  let remoteCertificateId: string | undefined;
  if (remoteDer) {
    const fingerprint = stack.negotiated?.remoteFingerprints[0];
    remoteCertificateId = `CF${fingerprint?.value ?? 'remote'}`;
    add(certificateStats(remoteCertificateId, remoteDer, fingerprint));
  }
  const transportId = 'T01';
  const candidateId = (candidate: IceCandidate, local: boolean) =>
    `${local ? 'I' : 'R'}${candidate.foundation}-${candidate.address}-${candidate.port}`;
  for (const candidate of ice.localCandidates)
    add(candidateStats(candidateId(candidate, true), candidate, true, transportId));
  for (const candidate of ice.remoteCandidates)
    add(candidateStats(candidateId(candidate, false), candidate, false, transportId));
  // W3C RTCIceTransport: the selected pair is the one packets go on: the nominated pair, or before
  // nomination the best valid pair (RFC 8445 §12.1). Valid pairs whose local candidate is a mapped one
  // (RFC 8445 §7.2.5.3.2) are not in the checklist, so they are listed too.
  const dataPair = ice.dataPair;
  const pairs = new Set([...ice.pairs, ...ice.validPairs, ...(dataPair ? [dataPair] : [])]);
  let selectedId: string | undefined;
  for (const pair of pairs) {
    const id = `CP${candidateId(pair.local.candidate, true)}_${candidateId(pair.remote.candidate, false)}`;
    if (pair === dataPair) selectedId = id;
    add(
      pairStats(
        id,
        pair,
        transportId,
        candidateId(pair.local.candidate, true),
        candidateId(pair.remote.candidate, false),
      ),
    );
  }
  const counters = stack.counters;
  add({
    id: transportId,
    type: 'transport',
    packetsSent: counters.packetsSent,
    bytesSent: counters.bytesSent,
    packetsReceived: counters.packetsReceived,
    bytesReceived: counters.bytesReceived,
    iceRole: ice.role,
    iceLocalUsernameFragment: ice.localParameters.usernameFragment,
    iceState: ice.state,
    dtlsState: source.dtlsTransport.state,
    ...(dtls && { dtlsRole: dtls.role }),
    ...(dtls?.cipherSuite && { tlsVersion: 'FEFD', dtlsCipher: dtls.cipherSuite.name }),
    ...(selectedId && { selectedCandidatePairId: selectedId }),
    localCertificateId,
    ...(remoteCertificateId && { remoteCertificateId }),
  });
  let unnamed = 0;
  for (const channel of source.channels.live) {
    add({
      id: `D${channel.id ?? `-${unnamed++}`}`,
      type: 'data-channel',
      label: channel.label,
      protocol: channel.protocol,
      ...(channel.id !== null && { dataChannelIdentifier: channel.id }),
      state: channel.readyState,
      ...source.stack.channels?.counters(channel),
    });
  }
  return report;
}

function certificateStats(
  id: string,
  der: Uint8Array,
  fingerprint: { algorithm: string; value: string } | undefined,
): StatsEntry {
  return {
    id,
    type: 'certificate',
    fingerprint: fingerprint?.value ?? '',
    fingerprintAlgorithm: fingerprint?.algorithm ?? '',
    base64Certificate: Buffer.from(der).toString('base64'),
  };
}

function candidateStats(
  id: string,
  candidate: IceCandidate,
  local: boolean,
  transportId: string,
): StatsEntry {
  return {
    id,
    type: local ? 'local-candidate' : 'remote-candidate',
    transportId,
    address: candidate.address,
    port: candidate.port,
    protocol: candidate.transport.toLowerCase(),
    candidateType: candidate.type,
    priority: candidate.priority,
    foundation: candidate.foundation,
    ...(candidate.relatedAddress !== undefined && { relatedAddress: candidate.relatedAddress }),
    ...(candidate.relatedPort !== undefined && { relatedPort: candidate.relatedPort }),
  };
}

function pairStats(
  id: string,
  pair: CandidatePair,
  transportId: string,
  localCandidateId: string,
  remoteCandidateId: string,
): StatsEntry {
  return {
    id,
    type: 'candidate-pair',
    transportId,
    localCandidateId,
    remoteCandidateId,
    state: pair.state,
    nominated: pair.nominated,
    priority: Number(pair.priority),
    requestsSent: pair.requestsSent,
    responsesReceived: pair.responsesReceived,
    requestsReceived: pair.requestsReceived,
  };
}
