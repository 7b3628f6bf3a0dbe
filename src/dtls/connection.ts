/**
 * A DTLS 1.2 connection over any datagram transport: the handshake state machine of RFC 6347 §4.2.4
 * (PREPARING → SENDING → WAITING → FINISHED), which owns the flights and their retransmission timer on an
 * injected Clock, and the record layer with epochs, sequence numbers and the anti-replay window
 * (RFC 6347 §4.1). The transport only sends; received datagrams are fed to `handleDatagram`.
 */
import { type Clock, systemClock, type TimerHandle } from '../util/index.ts';
import {
  type Alert,
  AlertDescription,
  AlertLevel,
  DtlsAlertError,
  DtlsRemoteAlertError,
  decodeAlert,
  encodeAlert,
} from './alert.ts';
import { type DtlsCertificate, type Fingerprint, generateCertificate } from './certificate.ts';
import { type CipherSuite, defaultCipherSuites } from './ciphersuites.ts';
import { ClientHandshake } from './client.ts';
import { DtlsError, DtlsTimeoutError } from './errors.ts';
import { TypedEvents } from './events.ts';
import { INITIAL_RETRANSMIT_MS, nextRetransmitTimeout, packFlight, type RecordSealer } from './flight.ts';
import {
  decodeHandshakeFragments,
  type HandshakeFragment,
  HandshakeReassembler,
  HandshakeType,
} from './handshake.ts';
import {
  CookieAuthority,
  type FlightEntry,
  type HandshakeConfig,
  type HandshakeStep,
  type NegotiatedSession,
} from './handshakecommon.ts';
import { defaultGroups } from './keyexchange.ts';
import { exportKeyingMaterial } from './prf.ts';
import {
  ContentType,
  DTLS_1_2,
  type DtlsRecord,
  decodeRecords,
  encodeRecord,
  MAX_PLAINTEXT,
  MAX_SEQUENCE_NUMBER,
} from './record.ts';
import type { RecordCipher } from './recordcipher.ts';
import { ReplayWindow } from './replay.ts';
import { ServerHandshake } from './server.ts';
import { supportedSignatureSchemes } from './signature.ts';
import { defaultSrtpProfiles, type SrtpKeyingMaterial, srtpKeyingMaterial } from './srtp.ts';

export interface DatagramTransport {
  send(datagram: Uint8Array): void;
}

export type DtlsRole = 'client' | 'server';
export type DtlsState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

export interface DtlsConnectionOptions {
  role: DtlsRole;
  transport: DatagramTransport;
  /** Our certificate; a fresh ECDSA P-256 one when absent. */
  certificate?: DtlsCertificate;
  /** The fingerprints from the peer's SDP; may also be set later with setRemoteFingerprints. */
  remoteFingerprints?: readonly Fingerprint[];
  clock?: Clock;
  /** Largest datagram we send during the handshake (RFC 6347 §4.1.1.1); 1200 by default. */
  mtu?: number;
  cipherSuites?: readonly CipherSuite[];
  groups?: readonly number[];
  signatureSchemes?: readonly number[];
  /** Offered (client) or accepted (server) SRTP protection profiles; empty for no use_srtp. */
  srtpProfiles?: readonly number[];
  /** Server: the cookie secret (random by default), or null to skip the HelloVerifyRequest exchange. */
  cookieSecret?: Uint8Array | null;
  /** Server: bytes naming the client's transport address, bound into cookies (RFC 6347 §4.2.1). */
  peerContext?: Uint8Array;
  /** Retransmissions of one flight before the handshake fails; 7 by default (about two minutes). */
  maxRetransmissions?: number;
}

export type DtlsConnectionEvents = {
  connected: [];
  data: [Uint8Array];
  error: [Error];
  closed: [];
};

const MAX_BUFFERED_RECORDS = 32;
const CHANGE_CIPHER_SPEC_BODY = 1;

export class DtlsConnection extends TypedEvents<DtlsConnectionEvents> {
  readonly role: DtlsRole;
  readonly localCertificate: DtlsCertificate;
  readonly #transport: DatagramTransport;
  readonly #clock: Clock;
  readonly #mtu: number;
  readonly #maxRetransmissions: number;
  readonly #handshake: ClientHandshake | ServerHandshake;
  readonly #reassembler = new HandshakeReassembler();
  #remoteFingerprints: readonly Fingerprint[];
  #state: DtlsState = 'new';
  #session: NegotiatedSession | undefined;

  // Record layer: epoch 0 is plaintext, epoch 1 uses the negotiated keys.
  #epochCipher: RecordCipher | undefined;
  #readEpoch = 0;
  readonly #writeSequence = [0, 0];
  readonly #replay = new ReplayWindow();
  /** Records of the next epoch that arrived before the peer's ChangeCipherSpec (RFC 6347 §4.1). */
  #futureRecords: DtlsRecord[] = [];
  /** Application data decrypted before the peer's Finished was verified. */
  #earlyData: Uint8Array[] = [];

  // Flights (RFC 6347 §4.2.4).
  #flight: FlightEntry[] | undefined;
  #timer: TimerHandle | undefined;
  #timeoutMs = INITIAL_RETRANSMIT_MS;
  #retransmissions = 0;
  #peerFlightStart: number | undefined;
  #lastPeerFlightStart: number | undefined;

  readonly #sealer: RecordSealer = {
    overhead: (epoch) => (epoch === 0 ? 0 : this.#epochCipher!.overhead),
    seal: (contentType, epoch, plaintext) => this.#seal(contentType, epoch, plaintext),
  };

  constructor(options: DtlsConnectionOptions) {
    super();
    this.role = options.role;
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#mtu = options.mtu ?? 1200;
    if (this.#mtu < 128) throw new RangeError('DTLS MTU must be at least 128 bytes');
    this.#maxRetransmissions = options.maxRetransmissions ?? 7;
    this.localCertificate = options.certificate ?? generateCertificate();
    this.#remoteFingerprints = options.remoteFingerprints ?? [];
    const config: HandshakeConfig = {
      certificate: this.localCertificate,
      remoteFingerprints: () => this.#remoteFingerprints,
      cipherSuites: options.cipherSuites ?? defaultCipherSuites,
      groups: options.groups ?? defaultGroups,
      signatureSchemes: options.signatureSchemes ?? supportedSignatureSchemes,
      srtpProfiles: options.srtpProfiles ?? defaultSrtpProfiles,
    };
    if (this.role === 'client') {
      this.#handshake = new ClientHandshake(config);
    } else {
      const secret = options.cookieSecret;
      const cookies = secret === null ? null : new CookieAuthority(secret);
      this.#handshake = new ServerHandshake(config, {
        cookies,
        ...(options.peerContext && { peerContext: options.peerContext }),
      });
    }
  }

  get state(): DtlsState {
    return this.#state;
  }

  /** The negotiated SRTP protection profile (RFC 5764 §4.1.2), once connected. */
  get srtpProfile(): number | undefined {
    return this.#session?.srtpProfile;
  }

  get cipherSuite(): CipherSuite | undefined {
    return this.#session?.suite;
  }

  /** The peer's leaf certificate (DER), once connected. */
  get remoteCertificate(): Uint8Array | undefined {
    return this.#session?.peerCertificate;
  }

  /** SRTP master keys and salts for the negotiated profile (RFC 5764 §4.2), once connected. */
  srtpKeyingMaterial(): SrtpKeyingMaterial | undefined {
    const profile = this.srtpProfile;
    if (profile === undefined) return undefined;
    return srtpKeyingMaterial((label, length) => this.exportKeyingMaterial(label, length), profile);
  }

  /**
   * The fingerprints the peer's certificate must match, for a handshake that has not checked it yet. What a
   * change means once connected (RFC 8827 §6.5: another peer) is for the owner to decide: the peer layer
   * starts a new association (src/peer/transports.ts).
   */
  setRemoteFingerprints(fingerprints: readonly Fingerprint[]): void {
    this.#remoteFingerprints = [...fingerprints];
  }

  /** Starts the handshake: the client sends its first flight, the server waits for one. */
  start(): void {
    if (this.#state !== 'new') return;
    this.#state = 'connecting';
    if (this.#handshake instanceof ClientHandshake) this.#apply(this.#handshake.start());
  }

  /** RFC 5705 keying material exporter, e.g. label "EXTRACTOR-dtls_srtp" for SRTP (RFC 5764 §4.2). */
  exportKeyingMaterial(label: string, length: number, context?: Uint8Array): Uint8Array {
    const session = this.#session;
    if (!session) throw new DtlsError('keying material is available once the handshake is done');
    const { suite, masterSecret, clientRandom, serverRandom } = session;
    return exportKeyingMaterial(
      suite.prfHash,
      masterSecret,
      clientRandom,
      serverRandom,
      label,
      length,
      context,
    );
  }

  /** Sends application data in one record. */
  send(data: Uint8Array): void {
    if (this.#state !== 'connected') throw new DtlsError(`cannot send in state ${this.#state}`);
    if (data.length > MAX_PLAINTEXT)
      throw new RangeError(`record of ${data.length} bytes exceeds ${MAX_PLAINTEXT}`);
    this.#transport.send(this.#seal(ContentType.application_data, 1, data));
  }

  /** Sends close_notify (RFC 5246 §7.2.1) and closes. */
  close(): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state !== 'new')
      this.#sendAlert({ level: AlertLevel.warning, description: AlertDescription.close_notify });
    this.#terminate('closed');
  }

  handleDatagram(datagram: Uint8Array): void {
    if (this.#state === 'new' && this.role === 'server') this.#state = 'connecting';
    if (this.#state !== 'connecting' && this.#state !== 'connected') return;
    let records: DtlsRecord[];
    try {
      records = decodeRecords(datagram);
    } catch {
      return; // RFC 6347 §4.1.2.7: invalid records are discarded silently.
    }
    for (const record of records) {
      this.#processRecord(record);
      if (this.#state !== 'connecting' && this.#state !== 'connected') return;
    }
  }

  #seal(contentType: number, epoch: number, plaintext: Uint8Array): Uint8Array {
    const sequenceNumber = this.#writeSequence[epoch]!;
    // RFC 6347 §4.1: sequence numbers must not wrap; a connection this long-lived is closed instead.
    if (sequenceNumber > MAX_SEQUENCE_NUMBER) throw new DtlsError('record sequence numbers exhausted');
    this.#writeSequence[epoch] = sequenceNumber + 1;
    if (epoch === 0) {
      return encodeRecord({ contentType, version: DTLS_1_2, epoch, sequenceNumber, fragment: plaintext });
    }
    return this.#epochCipher!.seal(contentType, DTLS_1_2, epoch, sequenceNumber, plaintext);
  }

  #processRecord(record: DtlsRecord): void {
    if (record.epoch > this.#readEpoch) {
      if (record.epoch === this.#readEpoch + 1 && this.#futureRecords.length < MAX_BUFFERED_RECORDS) {
        this.#futureRecords.push({ ...record, fragment: record.fragment.slice() });
      }
      return;
    }
    if (record.epoch > 1) return;
    let plaintext = record.fragment;
    // RFC 6347 §4.1.2.6 replay detection, for authenticated records only. Anyone on the path can forge
    // epoch 0 records with any number, so a window there would protect nothing, and a forged record with a
    // huge number would push the peer's real ones out of it; duplicate handshake messages are caught by
    // message_seq instead.
    if (record.epoch === 1) {
      if (!this.#replay.accepts(record.sequenceNumber)) return;
      try {
        plaintext = this.#epochCipher!.open(record);
      } catch {
        return; // RFC 6347 §4.1.2.7: a record that does not authenticate is dropped.
      }
      this.#replay.mark(record.sequenceNumber);
    }
    switch (record.contentType) {
      case ContentType.change_cipher_spec:
        this.#onChangeCipherSpec(plaintext);
        break;
      case ContentType.alert:
        // Once epoch 1 is in use, plaintext alerts could come from anyone on the path: ignore them.
        if (record.epoch === this.#readEpoch) this.#onAlert(plaintext);
        break;
      case ContentType.handshake:
        this.#onHandshakeRecord(record, plaintext);
        break;
      case ContentType.application_data:
        if (record.epoch === 0) return;
        if (this.#state === 'connected') {
          this.emit('data', plaintext);
        } else if (this.#earlyData.length < MAX_BUFFERED_RECORDS) {
          this.#earlyData.push(plaintext);
        }
        break;
    }
  }

  #onChangeCipherSpec(body: Uint8Array): void {
    if (body.length !== 1 || body[0] !== CHANGE_CIPHER_SPEC_BODY) return;
    // A ChangeCipherSpec before we have the keys (our copy of an earlier message was lost) is ignored; the
    // peer's retransmission brings it again.
    if (this.#readEpoch !== 0 || !this.#epochCipher || !this.#handshake.expectsChangeCipherSpec) return;
    this.#handshake.changeCipherSpecReceived();
    this.#readEpoch = 1;
    const buffered = this.#futureRecords;
    this.#futureRecords = [];
    for (const record of buffered) this.#processRecord(record);
  }

  #onAlert(body: Uint8Array): void {
    let alert: Alert;
    try {
      alert = decodeAlert(body);
    } catch {
      return;
    }
    if (alert.description === AlertDescription.close_notify) {
      // RFC 5246 §7.2.1: answer close_notify with our own and close.
      this.#sendAlert({ level: AlertLevel.warning, description: AlertDescription.close_notify });
      this.#terminate('closed');
    } else if (alert.level === AlertLevel.fatal) {
      this.#fail(new DtlsRemoteAlertError(alert.description));
    }
  }

  #onHandshakeRecord(record: DtlsRecord, plaintext: Uint8Array): void {
    let fragments: HandshakeFragment[];
    try {
      fragments = decodeHandshakeFragments(plaintext);
    } catch {
      return;
    }
    for (const fragment of fragments) {
      if (this.#state !== 'connecting' && this.#state !== 'connected') return;
      this.#onHandshakeFragment(record, fragment);
    }
  }

  #onHandshakeFragment(record: DtlsRecord, fragment: HandshakeFragment): void {
    const handshake = this.#handshake;
    if (handshake instanceof ServerHandshake && handshake.awaitingClientHello) {
      this.#onInitialClientHello(record, fragment);
      return;
    }
    if (fragment.messageSeq < this.#reassembler.nextSeq) {
      // RFC 6347 §4.2.4: the peer retransmitting its last flight means ours was lost; send it again.
      if (
        fragment.messageSeq === this.#lastPeerFlightStart &&
        fragment.fragmentOffset === 0 &&
        this.#flight
      ) {
        this.#sendFlight();
      }
      return;
    }
    if (this.#state === 'connected') {
      // RFC 5746 §4.4 / RFC 5246 §7.2.2: we never renegotiate; a new ClientHello or HelloRequest gets
      // the warning no_renegotiation and is otherwise ignored.
      if (
        fragment.msgType === HandshakeType.client_hello ||
        fragment.msgType === HandshakeType.hello_request
      ) {
        this.#sendAlert({ level: AlertLevel.warning, description: AlertDescription.no_renegotiation });
      }
      return;
    }
    // RFC 5246 §7.4.1.1: HelloRequest during a handshake is ignored.
    if (fragment.msgType === HandshakeType.hello_request) return;
    // Finished is the only handshake message protected by the new epoch (RFC 5246 §7.4.9).
    if ((fragment.msgType === HandshakeType.finished) !== (record.epoch === 1)) return;
    try {
      if (!this.#reassembler.add(fragment)) return;
    } catch {
      return;
    }
    for (let message = this.#reassembler.next(); message; message = this.#reassembler.next()) {
      this.#peerFlightStart ??= message.messageSeq;
      if (!this.#run(() => handshake.handleMessage(message))) return;
    }
  }

  /**
   * A server with no handshake state answers ClientHellos one by one until one carries a valid cookie.
   * ClientHellos may come in fragments (a browser's, with large key shares, exceeds one datagram), so
   * they are reassembled, bounded like any message; a different message_seq starts over.
   */
  #onInitialClientHello(record: DtlsRecord, fragment: HandshakeFragment): void {
    if (fragment.msgType !== HandshakeType.client_hello || record.epoch !== 0) return;
    const reassembler = this.#reassembler;
    if (fragment.messageSeq !== reassembler.nextSeq) reassembler.reset(fragment.messageSeq);
    try {
      if (!reassembler.add(fragment)) return;
    } catch {
      return;
    }
    const message = reassembler.next();
    if (!message) return;
    this.#run(() => {
      const step = this.#handshake.handleMessage(message);
      if (step.statelessReply) {
        // RFC 6347 §4.2.1: the HelloVerifyRequest reuses the ClientHello's record sequence number.
        this.#transport.send(
          encodeRecord({
            contentType: ContentType.handshake,
            version: DTLS_1_2,
            epoch: 0,
            sequenceNumber: record.sequenceNumber,
            fragment: step.statelessReply.raw,
          }),
        );
        return {};
      }
      this.#writeSequence[0] = Math.max(this.#writeSequence[0]!, record.sequenceNumber);
      this.#peerFlightStart = message.messageSeq;
      return step;
    });
  }

  /** Runs a handshake handler and applies its step; a failure becomes a fatal alert. Returns false on failure. */
  #run(handler: () => HandshakeStep): boolean {
    try {
      this.#apply(handler());
      return true;
    } catch (error) {
      if (error instanceof DtlsAlertError) {
        this.#fail(error, error.description);
      } else {
        this.#fail(
          error instanceof Error ? error : new Error(String(error)),
          AlertDescription.internal_error,
        );
      }
      return false;
    }
  }

  #apply(step: HandshakeStep): void {
    if (step.nextEpochKeys) this.#epochCipher = step.nextEpochKeys;
    if (step.flight) {
      // The peer's flight is complete: remember where it began, to spot its retransmission.
      this.#lastPeerFlightStart = this.#peerFlightStart;
      this.#peerFlightStart = undefined;
      this.#flight = step.flight;
      this.#stopTimer();
      this.#timeoutMs = INITIAL_RETRANSMIT_MS;
      this.#retransmissions = 0;
      this.#sendFlight();
      if (!step.finalFlight) this.#startTimer();
    }
    if (step.complete) {
      if (!step.flight) this.#stopTimer();
      this.#session = this.#handshake.session();
      this.#state = 'connected';
      this.emit('connected');
      const early = this.#earlyData;
      this.#earlyData = [];
      for (const data of early) {
        if (this.#state !== 'connected') break;
        this.emit('data', data);
      }
    }
  }

  #sendFlight(): void {
    for (const datagram of packFlight(this.#flight!, this.#mtu, this.#sealer)) this.#transport.send(datagram);
  }

  #startTimer(): void {
    this.#timer = this.#clock.setTimeout(() => this.#onRetransmitTimer(), this.#timeoutMs);
  }

  #stopTimer(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #onRetransmitTimer(): void {
    this.#timer = undefined;
    if (this.#state !== 'connecting') return;
    if (this.#retransmissions >= this.#maxRetransmissions) {
      this.#fail(new DtlsTimeoutError(`no answer after ${this.#retransmissions} retransmissions`));
      return;
    }
    this.#retransmissions++;
    this.#sendFlight();
    this.#timeoutMs = nextRetransmitTimeout(this.#timeoutMs);
    this.#startTimer();
  }

  #sendAlert(alert: Alert): void {
    const epoch = this.#epochCipher && this.#writeSequence[1]! > 0 ? 1 : 0;
    try {
      this.#transport.send(this.#seal(ContentType.alert, epoch, encodeAlert(alert)));
    } catch {
      // Alerts are best effort (RFC 5246 §7.2): the connection ends either way.
    }
  }

  #fail(error: Error, alertToSend?: number): void {
    if (alertToSend !== undefined) this.#sendAlert({ level: AlertLevel.fatal, description: alertToSend });
    this.#terminate('failed', error);
  }

  #terminate(state: 'closed' | 'failed', error?: Error): void {
    this.#state = state;
    this.#stopTimer();
    this.#flight = undefined;
    this.#futureRecords = [];
    this.#earlyData = [];
    if (error) this.emit('error', error);
    this.emit('closed');
  }
}
