/**
 * The client side of the DTLS 1.2 handshake (RFC 6347 §4.2.4 flights 1, 3 and 5), as message handlers that
 * return what to send. The connection (connection.ts) owns records, timers and retransmission.
 *
 *   Client                                   Server
 *   ClientHello                -------->                          Flight 1
 *                              <--------   HelloVerifyRequest     Flight 2
 *   ClientHello (with cookie)  -------->                          Flight 3
 *                                          ServerHello            \
 *                                          Certificate             |
 *                                          ServerKeyExchange       | Flight 4
 *                                          CertificateRequest      |
 *                              <--------   ServerHelloDone        /
 *   Certificate                \
 *   ClientKeyExchange           |
 *   CertificateVerify           | Flight 5
 *   [ChangeCipherSpec]          |
 *   Finished                   -------->  /
 *                                          [ChangeCipherSpec]     \ Flight 6
 *                              <--------   Finished               /
 */

import type { KeyObject } from 'node:crypto';
import { randomBytes } from '../util/index.ts';
import { AlertDescription, DtlsAlertError } from './alert.ts';
import { type CipherSuite, cipherSuiteById } from './ciphersuites.ts';
import { type HandshakeMessage, HandshakeType } from './handshake.ts';
import {
  decodeOrAlert,
  deriveRecordCipher,
  type FlightEntry,
  type HandshakeConfig,
  type HandshakeStep,
  MessageWriter,
  type NegotiatedSession,
  requireKeyKind,
  Transcript,
  unexpected,
  verifyPeerCertificate,
  verifyPeerFinished,
} from './handshakecommon.ts';
import { type EcdheKeyPair, generateEcdheKeyPair } from './keyexchange.ts';
import {
  type CertificateRequest,
  type ClientHello,
  decodeCertificate,
  decodeCertificateRequest,
  decodeEmpty,
  decodeHelloVerifyRequest,
  decodeServerHello,
  decodeServerKeyExchange,
  encodeCertificate,
  encodeClientHello,
  encodeClientKeyExchange,
  encodeDigitallySigned,
  encodeEcdheParams,
} from './messages.ts';
import { concatBytes, extendedMasterSecret, finishedVerifyData } from './prf.ts';
import { DTLS_1_0, DTLS_1_2 } from './record.ts';
import { chooseSignatureScheme, signWithScheme, verifyWithScheme } from './signature.ts';

const MAX_HELLO_VERIFY_REQUESTS = 4;

type ClientState =
  | 'hello'
  | 'server-certificate'
  | 'server-key-exchange'
  | 'server-hello-done'
  | 'finished'
  | 'done';

export class ClientHandshake {
  readonly #config: HandshakeConfig;
  readonly #writer = new MessageWriter();
  #hello: ClientHello;
  #helloMessage: HandshakeMessage | undefined;
  #state: ClientState = 'hello';
  #transcript = new Transcript();
  #suite: CipherSuite | undefined;
  #serverRandom: Uint8Array | undefined;
  #srtpProfile: number | undefined;
  #peerKey: KeyObject | undefined;
  #peerCertificate: Uint8Array | undefined;
  #serverKeyShare: { group: number; publicKey: Uint8Array } | undefined;
  #certificateRequest: CertificateRequest | undefined;
  #masterSecret: Uint8Array | undefined;
  #ccsReceived = false;
  #helloVerifyRequests = 0;

  constructor(config: HandshakeConfig) {
    this.#config = config;
    this.#hello = {
      clientVersion: DTLS_1_2,
      random: randomBytes(32),
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: config.cipherSuites.map((suite) => suite.id),
      compressionMethods: [0],
      extensions: {
        // RFC 5746 §3.4: an empty renegotiation_info in the initial ClientHello.
        renegotiationInfo: new Uint8Array(0),
        extendedMasterSecret: true,
        supportedGroups: [...config.groups],
        ecPointFormats: [0],
        signatureAlgorithms: [...config.signatureSchemes],
        ...(config.srtpProfiles.length > 0 && {
          useSrtp: { profiles: [...config.srtpProfiles], mki: new Uint8Array(0) },
        }),
      },
    };
  }

  get expectsChangeCipherSpec(): boolean {
    return this.#state === 'finished' && !this.#ccsReceived;
  }

  changeCipherSpecReceived(): void {
    this.#ccsReceived = true;
  }

  /** Flight 1. */
  start(): HandshakeStep {
    return { flight: [this.#sendHello()] };
  }

  #sendHello(): FlightEntry {
    this.#helloMessage = this.#writer.message(HandshakeType.client_hello, encodeClientHello(this.#hello));
    return { kind: 'handshake', message: this.#helloMessage, epoch: 0 };
  }

  session(): NegotiatedSession | undefined {
    if (this.#state !== 'done') return undefined;
    return {
      suite: this.#suite!,
      masterSecret: this.#masterSecret!,
      clientRandom: this.#hello.random,
      serverRandom: this.#serverRandom!,
      srtpProfile: this.#srtpProfile,
      peerCertificate: this.#peerCertificate!,
    };
  }

  handleMessage(message: HandshakeMessage): HandshakeStep {
    const { msgType, body } = message;
    switch (this.#state) {
      case 'hello':
        if (msgType === HandshakeType.hello_verify_request) return this.#onHelloVerifyRequest(body);
        if (msgType === HandshakeType.server_hello) return this.#onServerHello(message);
        break;
      case 'server-certificate':
        if (msgType === HandshakeType.certificate) return this.#onCertificate(message);
        break;
      case 'server-key-exchange':
        if (msgType === HandshakeType.server_key_exchange) return this.#onServerKeyExchange(message);
        break;
      case 'server-hello-done':
        if (msgType === HandshakeType.certificate_request && !this.#certificateRequest) {
          this.#certificateRequest = decodeOrAlert(() => decodeCertificateRequest(body));
          this.#transcript.add(message);
          return {};
        }
        if (msgType === HandshakeType.server_hello_done) {
          decodeOrAlert(() => decodeEmpty(body, 'ServerHelloDone'));
          this.#transcript.add(message);
          return this.#sendFlight5();
        }
        break;
      case 'finished':
        if (msgType === HandshakeType.finished && this.#ccsReceived) return this.#onFinished(message);
        break;
      case 'done':
        break;
    }
    throw unexpected(`handshake message ${msgType} in state ${this.#state}`);
  }

  /** Flight 3: the same ClientHello with the cookie (RFC 6347 §4.2.1). */
  #onHelloVerifyRequest(body: Uint8Array): HandshakeStep {
    const request = decodeOrAlert(() => decodeHelloVerifyRequest(body));
    // A server that never accepts its own cookies would keep us resending ClientHellos forever.
    if (++this.#helloVerifyRequests > MAX_HELLO_VERIFY_REQUESTS) {
      throw new DtlsAlertError(AlertDescription.handshake_failure, 'server keeps refusing our cookie');
    }
    if (request.serverVersion !== DTLS_1_2 && request.serverVersion !== DTLS_1_0) {
      throw new DtlsAlertError(AlertDescription.protocol_version, 'HelloVerifyRequest version');
    }
    this.#hello = { ...this.#hello, cookie: request.cookie };
    return { flight: [this.#sendHello()] };
  }

  #onServerHello(message: HandshakeMessage): HandshakeStep {
    const hello = decodeOrAlert(() => decodeServerHello(message.body));
    if (hello.serverVersion !== DTLS_1_2) {
      throw new DtlsAlertError(AlertDescription.protocol_version, 'server did not choose DTLS 1.2');
    }
    const suite = cipherSuiteById(hello.cipherSuite);
    if (!suite || !this.#hello.cipherSuites.includes(suite.id)) {
      throw new DtlsAlertError(
        AlertDescription.illegal_parameter,
        `server chose suite 0x${hello.cipherSuite.toString(16)}`,
      );
    }
    if (hello.compressionMethod !== 0)
      throw new DtlsAlertError(AlertDescription.illegal_parameter, 'compression');
    const { extensions } = hello;
    // RFC 5246 §7.4.1.4: a server may only answer extensions the client offered.
    if (extensions.unknown?.length || extensions.supportedGroups || extensions.signatureAlgorithms) {
      throw new DtlsAlertError(
        AlertDescription.unsupported_extension,
        'server sent an extension we did not offer',
      );
    }
    // RFC 7627 §5.2: we abort when the server does not agree to the extended master secret.
    if (!extensions.extendedMasterSecret) {
      throw new DtlsAlertError(
        AlertDescription.handshake_failure,
        'server does not support extended_master_secret',
      );
    }
    // RFC 5746 §3.4: in an initial handshake the renegotiated_connection field must be empty.
    if (extensions.renegotiationInfo && extensions.renegotiationInfo.length !== 0) {
      throw new DtlsAlertError(AlertDescription.handshake_failure, 'non-empty renegotiation_info');
    }
    if (extensions.ecPointFormats && !extensions.ecPointFormats.includes(0)) {
      throw new DtlsAlertError(AlertDescription.illegal_parameter, 'server cannot read uncompressed points');
    }
    if (extensions.useSrtp) {
      // RFC 5764 §4.1.1: exactly one profile, one we offered, and the MKI we sent (none).
      const [profile] = extensions.useSrtp.profiles;
      if (
        extensions.useSrtp.profiles.length !== 1 ||
        profile === undefined ||
        !this.#config.srtpProfiles.includes(profile) ||
        extensions.useSrtp.mki.length !== 0
      ) {
        throw new DtlsAlertError(AlertDescription.illegal_parameter, 'bad use_srtp answer');
      }
      this.#srtpProfile = profile;
    }
    this.#suite = suite;
    this.#serverRandom = hello.random;
    this.#transcript = new Transcript();
    this.#transcript.add(this.#helloMessage!);
    this.#transcript.add(message);
    this.#state = 'server-certificate';
    return {};
  }

  #onCertificate(message: HandshakeMessage): HandshakeStep {
    const chain = decodeOrAlert(() => decodeCertificate(message.body));
    this.#peerKey = verifyPeerCertificate(chain, this.#config.remoteFingerprints());
    requireKeyKind(this.#peerKey, this.#suite!.authentication);
    this.#peerCertificate = chain[0];
    this.#transcript.add(message);
    this.#state = 'server-key-exchange';
    return {};
  }

  #onServerKeyExchange(message: HandshakeMessage): HandshakeStep {
    const exchange = decodeOrAlert(() => decodeServerKeyExchange(message.body));
    if (!this.#config.groups.includes(exchange.namedGroup)) {
      throw new DtlsAlertError(
        AlertDescription.illegal_parameter,
        `server chose group ${exchange.namedGroup}`,
      );
    }
    if (!this.#config.signatureSchemes.includes(exchange.signatureScheme)) {
      throw new DtlsAlertError(
        AlertDescription.illegal_parameter,
        'server signed with a scheme we did not offer',
      );
    }
    // RFC 8422 §5.4: the signature covers ClientHello.random + ServerHello.random + ServerECDHParams.
    const signed = concatBytes(
      this.#hello.random,
      this.#serverRandom!,
      encodeEcdheParams(exchange.namedGroup, exchange.publicKey),
    );
    if (!verifyWithScheme(exchange.signatureScheme, this.#peerKey!, signed, exchange.signature)) {
      throw new DtlsAlertError(AlertDescription.decrypt_error, 'ServerKeyExchange signature does not verify');
    }
    this.#serverKeyShare = { group: exchange.namedGroup, publicKey: exchange.publicKey };
    this.#transcript.add(message);
    this.#state = 'server-hello-done';
    return {};
  }

  /** Flight 5: Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished. */
  #sendFlight5(): HandshakeStep {
    const suite = this.#suite!;
    const flight: FlightEntry[] = [];
    const push = (msgType: number, body: Uint8Array) => {
      const message = this.#writer.message(msgType, body);
      this.#transcript.add(message);
      flight.push({ kind: 'handshake', message, epoch: 0 });
    };
    const request = this.#certificateRequest;
    if (request) push(HandshakeType.certificate, encodeCertificate([this.#config.certificate.der]));
    const share = this.#serverKeyShare!;
    const keyPair: EcdheKeyPair = generateEcdheKeyPair(share.group);
    const preMasterSecret = keyPair.sharedSecret(share.publicKey);
    push(HandshakeType.client_key_exchange, encodeClientKeyExchange(keyPair.publicKey));
    // RFC 7627 §4: session_hash covers the messages up to and including ClientKeyExchange.
    this.#masterSecret = extendedMasterSecret(
      suite.prfHash,
      preMasterSecret,
      this.#transcript.hash(suite.prfHash),
    );
    if (request) {
      const { certificate } = this.#config;
      const scheme = chooseSignatureScheme(
        certificate.keyKind,
        this.#config.signatureSchemes.filter((s) => request.signatureSchemes.includes(s)),
      );
      if (scheme === undefined) {
        throw new DtlsAlertError(
          AlertDescription.handshake_failure,
          'no signature scheme for CertificateVerify',
        );
      }
      const signature = signWithScheme(scheme, certificate.privateKey, this.#transcript.bytes());
      push(HandshakeType.certificate_verify, encodeDigitallySigned({ signatureScheme: scheme, signature }));
    }
    flight.push({ kind: 'change_cipher_spec', epoch: 0 });
    const verifyData = finishedVerifyData(
      suite.prfHash,
      this.#masterSecret,
      'client',
      this.#transcript.hash(suite.prfHash),
    );
    const finished = this.#writer.message(HandshakeType.finished, verifyData);
    this.#transcript.add(finished);
    flight.push({ kind: 'handshake', message: finished, epoch: 1 });
    this.#state = 'finished';
    const nextEpochKeys = deriveRecordCipher(
      suite,
      this.#masterSecret,
      this.#hello.random,
      this.#serverRandom!,
      'client',
    );
    return { flight, nextEpochKeys };
  }

  #onFinished(message: HandshakeMessage): HandshakeStep {
    verifyPeerFinished(this.#suite!.prfHash, this.#masterSecret!, 'server', this.#transcript, message.body);
    this.#state = 'done';
    return { complete: true };
  }
}
