/**
 * The server side of the DTLS 1.2 handshake (RFC 6347 §4.2.4 flights 2, 4 and 6; diagram in client.ts).
 * ClientHellos without a valid cookie get a stateless HelloVerifyRequest (RFC 6347 §4.2.1); client
 * certificates are always requested and required, as WebRTC needs (RFC 8827 §6.5).
 */
import type { KeyObject } from 'node:crypto';
import { randomBytes } from '../util/index.ts';
import { AlertDescription, DtlsAlertError } from './alert.ts';
import { type CipherSuite, EMPTY_RENEGOTIATION_INFO_SCSV } from './ciphersuites.ts';
import type { HelloExtensions } from './extensions.ts';
import { encodeHandshakeMessage, type HandshakeMessage, HandshakeType } from './handshake.ts';
import {
  type CookieAuthority,
  decodeOrAlert,
  deriveRecordCipher,
  type FlightEntry,
  type HandshakeConfig,
  type HandshakeStep,
  MessageWriter,
  type NegotiatedSession,
  Transcript,
  unexpected,
  verifyPeerCertificate,
  verifyPeerFinished,
} from './handshakecommon.ts';
import { type EcdheKeyPair, generateEcdheKeyPair, NamedGroup } from './keyexchange.ts';
import {
  ClientCertificateType,
  type ClientHello,
  decodeCertificate,
  decodeClientHello,
  decodeClientKeyExchange,
  decodeDigitallySigned,
  encodeCertificate,
  encodeCertificateRequest,
  encodeEcdheParams,
  encodeHelloVerifyRequest,
  encodeServerHello,
  encodeServerKeyExchange,
} from './messages.ts';
import { concatBytes, extendedMasterSecret, finishedVerifyData } from './prf.ts';
import { DTLS_1_0, DTLS_1_2 } from './record.ts';
import { chooseSignatureScheme, signWithScheme, verifyWithScheme } from './signature.ts';

type ServerState =
  | 'hello'
  | 'client-certificate'
  | 'client-key-exchange'
  | 'certificate-verify'
  | 'finished'
  | 'done';

export interface ServerOptions {
  /** Null turns the cookie exchange off (the server then keeps state from the first ClientHello). */
  cookies: CookieAuthority | null;
  /** Bytes naming the client's transport address, bound into cookies. */
  peerContext?: Uint8Array;
}

export class ServerHandshake {
  readonly #config: HandshakeConfig;
  readonly #options: ServerOptions;
  readonly #writer = new MessageWriter();
  readonly #transcript = new Transcript();
  readonly #serverRandom = randomBytes(32);
  #state: ServerState = 'hello';
  #clientHello: ClientHello | undefined;
  #suite: CipherSuite | undefined;
  #srtpProfile: number | undefined;
  #keyPair: EcdheKeyPair | undefined;
  #peerKey: KeyObject | undefined;
  #peerCertificate: Uint8Array | undefined;
  #masterSecret: Uint8Array | undefined;
  #ccsReceived = false;

  constructor(config: HandshakeConfig, options: ServerOptions) {
    this.#config = config;
    this.#options = options;
  }

  /** Before a ClientHello is accepted the server holds no state and answers each one on its own. */
  get awaitingClientHello(): boolean {
    return this.#state === 'hello';
  }

  get expectsChangeCipherSpec(): boolean {
    return this.#state === 'finished' && !this.#ccsReceived;
  }

  changeCipherSpecReceived(): void {
    this.#ccsReceived = true;
  }

  session(): NegotiatedSession | undefined {
    if (this.#state !== 'done') return undefined;
    return {
      suite: this.#suite!,
      masterSecret: this.#masterSecret!,
      clientRandom: this.#clientHello!.random,
      serverRandom: this.#serverRandom,
      srtpProfile: this.#srtpProfile,
      peerCertificate: this.#peerCertificate!,
    };
  }

  handleMessage(message: HandshakeMessage): HandshakeStep {
    const { msgType, body } = message;
    switch (this.#state) {
      case 'hello':
        if (msgType === HandshakeType.client_hello) return this.#onClientHello(message);
        break;
      case 'client-certificate':
        if (msgType === HandshakeType.certificate) {
          const chain = decodeOrAlert(() => decodeCertificate(body));
          this.#peerKey = verifyPeerCertificate(chain, this.#config.remoteFingerprints());
          this.#peerCertificate = chain[0];
          this.#transcript.add(message);
          this.#state = 'client-key-exchange';
          return {};
        }
        break;
      case 'client-key-exchange':
        if (msgType === HandshakeType.client_key_exchange) return this.#onClientKeyExchange(message);
        break;
      case 'certificate-verify':
        if (msgType === HandshakeType.certificate_verify) return this.#onCertificateVerify(message);
        break;
      case 'finished':
        if (msgType === HandshakeType.finished && this.#ccsReceived) return this.#onFinished(message);
        break;
      case 'done':
        break;
    }
    throw unexpected(`handshake message ${msgType} in state ${this.#state}`);
  }

  #onClientHello(message: HandshakeMessage): HandshakeStep {
    const hello = decodeOrAlert(() => decodeClientHello(message.body));
    // RFC 6347 §4.1: DTLS versions count down; {254, 253} or lower-numbered means 1.2 or later.
    if (hello.clientVersion > DTLS_1_2) {
      throw new DtlsAlertError(AlertDescription.protocol_version, 'client does not offer DTLS 1.2');
    }
    const { cookies, peerContext } = this.#options;
    if (cookies && !cookies.verify(hello, peerContext)) {
      const body = encodeHelloVerifyRequest({
        // RFC 6347 §4.2.1: DTLS 1.0 here whatever version is negotiated, for older clients' sake.
        serverVersion: DTLS_1_0,
        cookie: cookies.cookieFor(hello, peerContext),
      });
      // RFC 6347 §4.2.2: the HelloVerifyRequest carries the ClientHello's message_seq.
      return {
        statelessReply: encodeHandshakeMessage(HandshakeType.hello_verify_request, message.messageSeq, body),
      };
    }
    this.#clientHello = hello;
    this.#writer.nextSeq = message.messageSeq;
    this.#transcript.add(message);
    return this.#sendFlight4(hello);
  }

  #negotiate(hello: ClientHello): {
    suite: CipherSuite;
    group: number;
    scheme: number;
    extensions: HelloExtensions;
  } {
    const { extensions } = hello;
    const { certificate } = this.#config;
    if (!hello.compressionMethods.includes(0)) {
      throw new DtlsAlertError(AlertDescription.illegal_parameter, 'client does not offer null compression');
    }
    const suite = this.#config.cipherSuites.find(
      (s) => s.authentication === certificate.keyKind && hello.cipherSuites.includes(s.id),
    );
    if (!suite) throw new DtlsAlertError(AlertDescription.handshake_failure, 'no cipher suite in common');
    // RFC 7627 §5.3: we require the extended master secret and abort without it.
    if (!extensions.extendedMasterSecret) {
      throw new DtlsAlertError(
        AlertDescription.handshake_failure,
        'client does not offer extended_master_secret',
      );
    }
    const renegotiationSignalled =
      extensions.renegotiationInfo !== undefined ||
      hello.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);
    if (extensions.renegotiationInfo && extensions.renegotiationInfo.length !== 0) {
      throw new DtlsAlertError(AlertDescription.handshake_failure, 'non-empty renegotiation_info'); // RFC 5746 §3.6
    }
    if (extensions.ecPointFormats && !extensions.ecPointFormats.includes(0)) {
      throw new DtlsAlertError(AlertDescription.illegal_parameter, 'client cannot read uncompressed points');
    }
    // RFC 8422 §4: without supported_groups the server may pick; P-256 is the one everybody has.
    const offeredGroups = extensions.supportedGroups ?? [NamedGroup.secp256r1];
    const group = this.#config.groups.find((g) => offeredGroups.includes(g));
    if (group === undefined)
      throw new DtlsAlertError(AlertDescription.handshake_failure, 'no group in common');
    const offeredSchemes = extensions.signatureAlgorithms ?? [];
    const scheme = chooseSignatureScheme(
      certificate.keyKind,
      this.#config.signatureSchemes.filter((s) => offeredSchemes.includes(s)),
    );
    if (scheme === undefined)
      throw new DtlsAlertError(AlertDescription.handshake_failure, 'no signature scheme in common');
    const answer: HelloExtensions = {
      ...(renegotiationSignalled && { renegotiationInfo: new Uint8Array(0) }),
      extendedMasterSecret: true,
      ...(extensions.ecPointFormats && { ecPointFormats: [0] }),
    };
    if (extensions.useSrtp) {
      // RFC 5764 §4.1.1: pick one profile both support, echo the client's MKI (we ignore its value).
      const offered = extensions.useSrtp.profiles;
      this.#srtpProfile = this.#config.srtpProfiles.find((p) => offered.includes(p));
      if (this.#srtpProfile !== undefined) {
        answer.useSrtp = { profiles: [this.#srtpProfile], mki: extensions.useSrtp.mki };
      }
    }
    return { suite, group, scheme, extensions: answer };
  }

  /** Flight 4: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone. */
  #sendFlight4(hello: ClientHello): HandshakeStep {
    const { suite, group, scheme, extensions } = this.#negotiate(hello);
    this.#suite = suite;
    const flight: FlightEntry[] = [];
    const push = (msgType: number, body: Uint8Array) => {
      const message = this.#writer.message(msgType, body);
      this.#transcript.add(message);
      flight.push({ kind: 'handshake', message, epoch: 0 });
    };
    push(
      HandshakeType.server_hello,
      encodeServerHello({
        serverVersion: DTLS_1_2,
        random: this.#serverRandom,
        sessionId: new Uint8Array(0),
        cipherSuite: suite.id,
        compressionMethod: 0,
        extensions,
      }),
    );
    const { certificate } = this.#config;
    push(HandshakeType.certificate, encodeCertificate([certificate.der]));
    this.#keyPair = generateEcdheKeyPair(group);
    const params = encodeEcdheParams(group, this.#keyPair.publicKey);
    const signature = signWithScheme(
      scheme,
      certificate.privateKey,
      concatBytes(hello.random, this.#serverRandom, params),
    );
    push(
      HandshakeType.server_key_exchange,
      encodeServerKeyExchange({
        namedGroup: group,
        publicKey: this.#keyPair.publicKey,
        signatureScheme: scheme,
        signature,
      }),
    );
    push(
      HandshakeType.certificate_request,
      encodeCertificateRequest({
        certificateTypes: [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
        signatureSchemes: [...this.#config.signatureSchemes],
        authorities: [],
      }),
    );
    push(HandshakeType.server_hello_done, new Uint8Array(0));
    this.#state = 'client-certificate';
    return { flight };
  }

  #onClientKeyExchange(message: HandshakeMessage): HandshakeStep {
    const point = decodeOrAlert(() => decodeClientKeyExchange(message.body));
    const preMasterSecret = this.#keyPair!.sharedSecret(point);
    this.#transcript.add(message);
    const suite = this.#suite!;
    this.#masterSecret = extendedMasterSecret(
      suite.prfHash,
      preMasterSecret,
      this.#transcript.hash(suite.prfHash),
    );
    this.#state = 'certificate-verify';
    const nextEpochKeys = deriveRecordCipher(
      suite,
      this.#masterSecret,
      this.#clientHello!.random,
      this.#serverRandom,
      'server',
    );
    return { nextEpochKeys };
  }

  #onCertificateVerify(message: HandshakeMessage): HandshakeStep {
    const signed = decodeOrAlert(() => decodeDigitallySigned(message.body));
    if (!this.#config.signatureSchemes.includes(signed.signatureScheme)) {
      throw new DtlsAlertError(
        AlertDescription.illegal_parameter,
        'CertificateVerify with a scheme we did not offer',
      );
    }
    // RFC 5246 §7.4.8: the signature covers every handshake message before this one.
    if (
      !verifyWithScheme(signed.signatureScheme, this.#peerKey!, this.#transcript.bytes(), signed.signature)
    ) {
      throw new DtlsAlertError(AlertDescription.decrypt_error, 'CertificateVerify does not verify');
    }
    this.#transcript.add(message);
    this.#state = 'finished';
    return {};
  }

  /** Flight 6: ChangeCipherSpec and Finished; the last flight, resent only when flight 5 comes again. */
  #onFinished(message: HandshakeMessage): HandshakeStep {
    const suite = this.#suite!;
    verifyPeerFinished(suite.prfHash, this.#masterSecret!, 'client', this.#transcript, message.body);
    this.#transcript.add(message);
    const verifyData = finishedVerifyData(
      suite.prfHash,
      this.#masterSecret!,
      'server',
      this.#transcript.hash(suite.prfHash),
    );
    const finished = this.#writer.message(HandshakeType.finished, verifyData);
    this.#state = 'done';
    return {
      flight: [
        { kind: 'change_cipher_spec', epoch: 0 },
        { kind: 'handshake', message: finished, epoch: 1 },
      ],
      finalFlight: true,
      complete: true,
    };
  }
}
