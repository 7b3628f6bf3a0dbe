import { randomInt } from 'node:crypto';
import { type IceCandidate, type SdpAttribute, serializeSdp } from '../../src/sdp/index.ts';

export type DataChannelDescriptionOptions = {
  ice: { readonly usernameFragment: string; readonly password: string };
  fingerprint: { readonly algorithm: string; readonly value: string };
  /** RFC 8842 §5.2: an offer says actpass; the answerer picks active (DTLS client) or passive. */
  setup: 'actpass' | 'active' | 'passive';
  mid?: string;
  /** Candidates written into the description, closed by end-of-candidates; none when they trickle. */
  candidates?: readonly IceCandidate[];
};

/**
 * A data-channel offer or answer (RFC 8829 §5.2.1, §5.3.1; RFC 8841) written through src/sdp as a browser
 * writes it, for tests that drive a lower layer (ICE, DTLS) against a browser without RTCPeerConnection.
 */
export function dataChannelDescription(options: DataChannelDescriptionOptions): string {
  const mid = options.mid ?? '0';
  const attributes: SdpAttribute[] = [
    { type: 'ice-ufrag', value: options.ice.usernameFragment },
    { type: 'ice-pwd', value: options.ice.password },
    { type: 'ice-options', options: ['trickle'] },
    { type: 'fingerprint', algorithm: options.fingerprint.algorithm, value: options.fingerprint.value },
    { type: 'setup', role: options.setup },
    { type: 'mid', value: mid },
    { type: 'sctp-port', port: 5000 },
    { type: 'max-message-size', size: 262144 },
  ];
  if (options.candidates) {
    for (const candidate of options.candidates) attributes.push({ type: 'candidate', candidate });
    attributes.push({ type: 'end-of-candidates' });
  }
  return serializeSdp({
    version: 0,
    origin: {
      username: '-',
      sessionId: String(randomInt(2 ** 47)),
      sessionVersion: '2',
      netType: 'IN',
      addressType: 'IP4',
      address: '127.0.0.1',
    },
    sessionName: '-',
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [{ start: '0', stop: '0', repeats: [] }],
    attributes: [
      { type: 'group', semantics: 'BUNDLE', mids: [mid] },
      { type: 'unknown', name: 'msid-semantic', value: ' WMS' },
    ],
    media: [
      {
        media: 'application',
        port: 9,
        protocol: 'UDP/DTLS/SCTP',
        formats: ['webrtc-datachannel'],
        connections: [{ netType: 'IN', addressType: 'IP4', address: '0.0.0.0' }],
        bandwidths: [],
        attributes,
      },
    ],
  });
}
