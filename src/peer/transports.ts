/**
 * The transport stack under an RTCPeerConnection's data section: the ICE agent carries DTLS
 * (RFC 8842, demultiplexed by first byte as RFC 7983 §7 says), DTLS carries SCTP (RFC 8261), and SCTP
 * carries the data channels (RFC 8831). The DTLS role comes from a=setup and the peer's certificate must
 * match the fingerprint of its SDP (RFC 8827 §6.5); SCTP ports and max-message-size from RFC 8841.
 */

import {
  DataChannelTransport,
  type RTCDataChannel,
  type RTCDataChannelInit,
  RTCError,
  RTCErrorEvent,
} from '../datachannel/index.ts';
import {
  AlertDescription,
  DtlsAlertError,
  type DtlsCertificate,
  DtlsConnection,
  DtlsRemoteAlertError,
  type Fingerprint,
  fingerprintMatches,
} from '../dtls/index.ts';
import { IceAgent, type IceAgentOptions } from '../ice/index.ts';
import { DEFAULT_MAX_MESSAGE_SIZE, SctpAssociation, type SctpAssociationOptions } from '../sctp/index.ts';
import { classifyPacket } from '../stun/index.ts';
import type { Clock } from '../util/index.ts';
import { DEFAULT_REMOTE_MAX_MESSAGE_SIZE, DEFAULT_SCTP_PORT } from './description.ts';
import {
  RTCDtlsTransport,
  type RTCDtlsTransportState,
  RTCIceTransport,
  RTCSctpTransport,
} from './rtc-transports.ts';
import type { RTCIceCandidate } from './session-description.ts';

/** RFC 6347 §4.1: a DTLS 1.2 record header is 13 bytes; AES-GCM adds an 8-byte nonce and a 16-byte tag. */
const MAX_DTLS_RECORD_OVERHEAD = 13 + 8 + 16;
/** RFC 8831 §5: SCTP packets fit the 1,200 bytes every WebRTC path carries, DTLS included. */
const PACKET_SIZE = 1200;
/** DTLS datagrams that arrive before both descriptions are applied wait here (a bounded few). */
const MAX_EARLY_DATAGRAMS = 16;
/**
 * Handshake datagrams DTLS sends before our ICE has a valid pair (the peer's ClientHello can arrive over
 * its valid pair first) wait here and go out as soon as one exists, instead of after DTLS's 1 s timer.
 */
const MAX_UNSENT_DATAGRAMS = 16;

/** What both descriptions settled for the data section's transports. */
export interface NegotiatedTransport {
  dtlsRole: 'client' | 'server';
  remoteFingerprints: readonly Fingerprint[];
  remoteSctpPort: number;
  remoteMaxMessageSize: number;
}

export interface TransportStackOptions {
  ice: IceAgentOptions;
  certificate: DtlsCertificate;
  clock: Clock | undefined;
  ourMaxMessageSize: number;
  /** The W3C form of a candidate of ours (`local`) or of the peer. */
  candidateOf(candidate: IceAgent['localCandidates'][number], local: boolean): RTCIceCandidate;
  onDataChannel(channel: RTCDataChannel): void;
  /** A state of ICE, DTLS or SCTP changed: the connection recomputes its aggregate states. */
  onStateChange(): void;
}

export class TransportStack {
  readonly ice: IceAgent;
  readonly iceTransport: RTCIceTransport;
  readonly dtlsTransport: RTCDtlsTransport;
  dtls: DtlsConnection | undefined;
  association: SctpAssociation | undefined;
  channels: DataChannelTransport | undefined;
  sctp: RTCSctpTransport | undefined;
  readonly #options: TransportStackOptions;
  /** Datagrams of the data section (DTLS) sent and received, for the transport stats. */
  readonly counters = { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 };
  #negotiated: NegotiatedTransport | undefined;
  #early: Uint8Array[] = [];
  #unsent: Uint8Array[] = [];
  #closed = false;

  constructor(options: TransportStackOptions) {
    this.#options = options;
    this.ice = new IceAgent(options.ice);
    const iceTransport = new RTCIceTransport(this.ice, options.candidateOf);
    this.iceTransport = iceTransport;
    this.dtlsTransport = new RTCDtlsTransport(iceTransport);
    this.ice.on('data', (data) => this.#onIceData(data));
    this.ice.on('statechange', () => {
      this.#sendUnsent();
      this.#startDtlsWhenReady();
      iceTransport.dispatchEvent(new Event('statechange'));
      options.onStateChange();
    });
    this.ice.on('gatheringstatechange', () => iceTransport.dispatchEvent(new Event('gatheringstatechange')));
    this.ice.on('selectedpairchange', () =>
      iceTransport.dispatchEvent(new Event('selectedcandidatepairchange')),
    );
  }

  get dtlsState(): RTCDtlsTransportState {
    return this.dtlsTransport.state;
  }

  /**
   * The data channels of the connection, created with the first channel or the first negotiated data
   * section. The peer's SCTP port, its max-message-size and our DTLS role (the parity of channel ids) come
   * with negotiation; in-band channels created before it get their ids when the association opens.
   */
  dataChannels(): DataChannelTransport {
    if (this.channels) return this.channels;
    const options: SctpAssociationOptions = {
      transport: { send: (packet) => this.#sendSctp(packet) },
      localPort: DEFAULT_SCTP_PORT,
      maxPacketSize: PACKET_SIZE - MAX_DTLS_RECORD_OVERHEAD,
      maxMessageSize: this.#options.ourMaxMessageSize,
      remoteMaxMessageSize: DEFAULT_REMOTE_MAX_MESSAGE_SIZE,
    };
    if (this.#options.clock) options.clock = this.#options.clock;
    this.association = new SctpAssociation(options);
    // The DTLS role, and so the channel ids, come with negotiation (RFC 8832 §6, W3C §4.4.1.6).
    this.channels = new DataChannelTransport({ association: this.association });
    this.channels.onDataChannel = (channel) => this.#options.onDataChannel(channel);
    this.channels.onOpen = () => this.#setSctpState('connected');
    this.channels.onClose = () => this.#setSctpState('closed');
    return this.channels;
  }

  createDataChannel(label: string, init: RTCDataChannelInit): RTCDataChannel {
    return this.dataChannels().createDataChannel(label, init);
  }

  /**
   * W3C §4.4.1.6: a description that negotiates a data section gives the connection its RTCSctpTransport,
   * connecting until the association is up. `maxMessageSize` is the peer's, 64 KiB until it is known.
   * Returns whether this call created it (a rollback of that description removes it again).
   */
  openSctpTransport(maxMessageSize = DEFAULT_REMOTE_MAX_MESSAGE_SIZE): boolean {
    if (this.sctp) return false;
    this.sctp = new RTCSctpTransport(this.dtlsTransport, maxMessageSize);
    return true;
  }

  /** The rollback of the description that created pc.sctp: it is null again (W3C §4.4.1.6 rollback). */
  dropSctpTransport(): void {
    if (!this.dtls && this.association?.state !== 'established') this.sctp = undefined;
  }

  /** Both descriptions are applied: DTLS gets its role and the peer's fingerprints, SCTP its limits. */
  negotiate(negotiated: NegotiatedTransport): void {
    if (this.#closed) return;
    const certificate = this.dtls?.remoteCertificate;
    // RFC 8842 and RFC 9429 §5.11: fingerprints that no longer name the certificate of the connected peer
    // (setRemoteDescription allows that only with an ICE restart: a new peer answered, as when an app
    // reconnects from a new RTCPeerConnection) mean a new DTLS association, and a new SCTP association on it
    // (RFC 8841: SCTP runs over one DTLS association). The channels of the old ones close.
    if (certificate && !fingerprintMatches(certificate, negotiated.remoteFingerprints))
      this.#endAssociations();
    const channels = this.dataChannels();
    const association = this.association!;
    if (association.state === 'closed') {
      // Before the association starts; a renegotiation keeps the port and the role (RFC 8841 §6.2).
      association.setRemoteParameters({ port: negotiated.remoteSctpPort });
      channels.dtlsRole = negotiated.dtlsRole;
    }
    association.setRemoteParameters({ maxMessageSize: negotiated.remoteMaxMessageSize });
    if (this.sctp) this.sctp.maxMessageSize = negotiated.remoteMaxMessageSize;
    if (this.dtls) {
      // A renegotiation keeps the DTLS association; a handshake under way checks the new fingerprints.
      this.dtls.setRemoteFingerprints(negotiated.remoteFingerprints);
      return;
    }
    this.#negotiated = negotiated;
    const dtls = new DtlsConnection({
      role: negotiated.dtlsRole,
      transport: {
        send: (datagram) => {
          if (this.ice.send(datagram)) this.#countSent(datagram);
          else if (this.#waitsForPath() && this.#unsent.length < MAX_UNSENT_DATAGRAMS)
            this.#unsent.push(datagram.slice());
        },
      },
      certificate: this.#options.certificate,
      remoteFingerprints: negotiated.remoteFingerprints,
      ...(this.#options.clock && { clock: this.#options.clock }),
      mtu: PACKET_SIZE,
      // No HelloVerifyRequest round trip: the cookie exchange guards against sending flights to an address
      // that never asked, and DTLS here only ever reaches addresses ICE's authenticated checks have proven
      // willing to receive (RFC 8839 §8.2.1, RFC 7675), as the DTLS servers of browsers also assume.
      cookieSecret: null,
      // Data channels only: no SRTP profiles until media arrives.
      srtpProfiles: [],
    });
    this.dtls = dtls;
    // Events of an association that a new one replaced no longer concern the transports.
    const current = () => this.dtls === dtls;
    dtls.on('connected', () => {
      if (!current()) return;
      this.dtlsTransport.remoteCertificate = dtls.remoteCertificate;
      this.#setDtlsState('connected');
      // RFC 8841 §10.2: both ends may send INIT; the association survives the collision (RFC 9260 §5.2.1).
      if (this.association?.state === 'closed') this.association.connect();
    });
    dtls.on('data', (data) => {
      if (!current()) return;
      // DTLS hands out node:crypto Buffers; a plain view keeps slice() a copy for the layers above.
      this.association?.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    });
    dtls.on('error', (error) => {
      if (!current()) return;
      this.#setDtlsState('failed');
      this.dtlsTransport.dispatchEvent(new RTCErrorEvent('error', { error: dtlsError(error) }));
    });
    dtls.on('closed', () => {
      if (!current()) return;
      if (this.dtlsState !== 'failed') this.#setDtlsState('closed');
      // The peer's DTLS is gone: so are its channels (W3C §6.1.1.3 closes the SCTP transport).
      this.channels?.close();
    });
    const early = this.#early;
    this.#early = [];
    this.#startDtlsWhenReady();
    for (const datagram of early) dtls.handleDatagram(datagram);
  }

  /** Ends the DTLS and SCTP associations (and so every channel) before new ones start. */
  #endAssociations(): void {
    const dtls = this.dtls!;
    this.dtls = undefined;
    this.#negotiated = undefined;
    this.channels?.close();
    // Its SHUTDOWN would have no DTLS to leave by: end it at once, timers included.
    this.association?.abort('a new DTLS association replaces this one');
    this.channels = undefined;
    this.association = undefined;
    dtls.close();
    this.dtlsTransport.remoteCertificate = undefined;
    // pc.sctp is a new RTCSctpTransport for the new association; the old one stays closed.
    if (this.sctp) this.sctp = new RTCSctpTransport(this.dtlsTransport, this.sctp.maxMessageSize);
    this.#setDtlsState('new');
  }

  #countSent(datagram: Uint8Array): void {
    this.counters.packetsSent++;
    this.counters.bytesSent += datagram.length;
  }

  /** ICE has not found a path yet (as opposed to having lost one, when DTLS's own timers recover). */
  #waitsForPath(): boolean {
    return this.ice.state === 'new' || this.ice.state === 'checking';
  }

  #sendUnsent(): void {
    const unsent = this.#unsent;
    if (unsent.length === 0 || this.#waitsForPath()) return;
    this.#unsent = [];
    for (const datagram of unsent) if (this.ice.send(datagram)) this.#countSent(datagram);
  }

  #startDtlsWhenReady(): void {
    const dtls = this.dtls;
    const iceState = this.ice.state;
    if (dtls?.state !== 'new' || (iceState !== 'connected' && iceState !== 'completed')) return;
    this.#setDtlsState('connecting');
    dtls.start();
  }

  #onIceData(data: Uint8Array): void {
    // RFC 7983 §7: only DTLS has a taker here until media (SRTP) arrives.
    if (classifyPacket(data[0] as number) !== 'dtls') return;
    this.counters.packetsReceived++;
    this.counters.bytesReceived += data.length;
    const dtls = this.dtls;
    if (dtls) {
      if (dtls.state === 'new' && dtls.role === 'server') this.#setDtlsState('connecting');
      dtls.handleDatagram(data);
    } else if (this.#early.length < MAX_EARLY_DATAGRAMS && !this.#closed) {
      this.#early.push(data.slice());
    }
  }

  #sendSctp(packet: Uint8Array): void {
    // The association reuses the packet's buffer after we return: DTLS seals it into a new record now.
    if (this.dtls?.state === 'connected') this.dtls.send(packet);
  }

  #setDtlsState(state: RTCDtlsTransportState): void {
    const transport = this.dtlsTransport;
    if (transport.state === state) return;
    transport.state = state;
    transport.dispatchEvent(new Event('statechange'));
    this.#options.onStateChange();
  }

  #setSctpState(state: 'connected' | 'closed'): void {
    const sctp = this.sctp;
    if (!sctp || sctp.state === state) return;
    sctp.state = state;
    if (state === 'connected') {
      const streams = this.association?.negotiated;
      sctp.maxChannels = streams ? Math.min(streams.inboundStreams, streams.outboundStreams) : null;
    }
    sctp.dispatchEvent(new Event('statechange'));
  }

  get negotiated(): NegotiatedTransport | undefined {
    return this.#negotiated;
  }

  /**
   * RTCPeerConnection.close(): channels end without events of their own closing procedure (W3C §4.4.1.7),
   * the peer learns through SCTP ABORT and DTLS close_notify, and the ICE agent releases its sockets.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.channels?.close();
    this.association?.abort('RTCPeerConnection closed');
    this.dtls?.close();
    // node:dgram sends after a tick (address lookup): the ABORT and close_notify leave before the sockets close.
    setImmediate(() => this.ice.close());
    this.#early = [];
  }
}

export { DEFAULT_MAX_MESSAGE_SIZE };

/** W3C §5.5.1: a DTLS failure as an RTCError, naming a fingerprint mismatch and the alerts. */
function dtlsError(error: Error): RTCError {
  if (error instanceof DtlsAlertError) {
    const fingerprint = error.description === AlertDescription.bad_certificate;
    return new RTCError(
      { errorDetail: fingerprint ? 'fingerprint-failure' : 'dtls-failure', sentAlert: error.description },
      error.message,
    );
  }
  if (error instanceof DtlsRemoteAlertError) {
    return new RTCError({ errorDetail: 'dtls-failure', receivedAlert: error.description }, error.message);
  }
  return new RTCError({ errorDetail: 'dtls-failure' }, error.message);
}
