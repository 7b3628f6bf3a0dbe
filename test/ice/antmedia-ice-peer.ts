/**
 * The Node side of the ICE interop tests: our IceAgent behind a `ws` client that speaks Ant Media's P2P
 * protocol (join, start, takeConfiguration, takeCandidate), with a data-channel offer or answer written
 * through src/sdp as a browser would write it. DTLS is a later layer, so the fingerprint is that of a fresh
 * P-256 key and only ICE is exercised.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import WebSocket from 'ws';
import { IceAgent, type IceAgentOptions } from '../../src/ice/index.ts';
import {
  findAttribute,
  type IceCandidate,
  parseCandidate,
  parseSdp,
  serializeCandidate,
} from '../../src/sdp/index.ts';
import { dataChannelDescription } from '../support/datachannel-description.ts';

/** RFC 8122 §5: sha-256 fingerprint, upper-case hex pairs joined by colons. */
export function freshFingerprint(): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const digest = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return digest.toUpperCase().match(/../g)!.join(':');
}

type Message = Record<string, unknown> & { command: string };

export interface AntMediaIcePeerOptions {
  readonly wsUrl: string;
  readonly room: string;
  readonly agent: IceAgentOptions;
  /** Remote candidates pass through this filter (tests keep to loopback). */
  readonly acceptCandidate?: (candidate: IceCandidate) => boolean;
}

export class AntMediaIcePeer {
  readonly agent: IceAgent;
  /** Candidates the browser sent, as it wrote them. */
  readonly remoteCandidateTexts: string[] = [];
  readonly #socket: WebSocket;
  readonly #options: AntMediaIcePeerOptions;
  #mid = '0';
  #joined: Promise<void>;

  constructor(options: AntMediaIcePeerOptions) {
    this.#options = options;
    this.agent = new IceAgent(options.agent);
    this.#socket = new WebSocket(options.wsUrl);
    this.#socket.on('message', (data) => this.#onMessage(JSON.parse(String(data)) as Message));
    this.#joined = new Promise((resolve, reject) => {
      this.#socket.once('error', reject);
      const onJoined = (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data)) as Message;
        if (message.command === 'notification' && message.definition === 'joined') {
          this.#socket.off('message', onJoined);
          resolve();
        }
      };
      this.#socket.on('message', onJoined);
      this.#socket.once('open', () =>
        this.#send({ command: 'join', streamId: options.room, mode: 'both', multiPeer: false }),
      );
    });
    this.agent.on('candidate', (candidate) => {
      this.#send({
        command: 'takeCandidate',
        streamId: options.room,
        label: 0,
        id: this.#mid,
        candidate: candidate ? serializeCandidate(candidate) : '',
      });
    });
  }

  /** Resolves once the server confirmed the join. */
  joined(): Promise<void> {
    return this.#joined;
  }

  #send(message: Message): void {
    this.#socket.send(JSON.stringify(message));
  }

  #onMessage(message: Message): void {
    const room = this.#options.room;
    if (message.command === 'start') {
      // The peer that was waiting offers; JSEP makes the offerer the controlling agent (RFC 8829 §5.2.1).
      this.agent.setRole('controlling');
      this.#send({
        command: 'takeConfiguration',
        streamId: room,
        type: 'offer',
        sdp: dataChannelDescription({
          ice: this.agent.localParameters,
          fingerprint: { algorithm: 'sha-256', value: freshFingerprint() },
          setup: 'actpass',
        }),
      });
      void this.agent.gather();
    } else if (message.command === 'takeConfiguration') {
      const description = parseSdp(String(message.sdp));
      const media = description.media[0]!;
      const ufrag =
        findAttribute(media.attributes, 'ice-ufrag') ?? findAttribute(description.attributes, 'ice-ufrag');
      const pwd =
        findAttribute(media.attributes, 'ice-pwd') ?? findAttribute(description.attributes, 'ice-pwd');
      this.#mid = findAttribute(media.attributes, 'mid')?.value ?? '0';
      this.agent.setRemoteParameters({ usernameFragment: ufrag!.value, password: pwd!.value });
      for (const attribute of media.attributes) {
        if (attribute.type === 'candidate') this.#addCandidate(attribute.candidate);
        if (attribute.type === 'end-of-candidates') this.agent.addRemoteCandidate(undefined);
      }
      if (message.type === 'offer') {
        this.agent.setRole('controlled');
        this.#send({
          command: 'takeConfiguration',
          streamId: room,
          type: 'answer',
          sdp: dataChannelDescription({
            ice: this.agent.localParameters,
            fingerprint: { algorithm: 'sha-256', value: freshFingerprint() },
            setup: 'active',
            mid: this.#mid,
          }),
        });
        void this.agent.gather();
      }
    } else if (message.command === 'takeCandidate') {
      const text = String(message.candidate);
      if (text === '') {
        this.agent.addRemoteCandidate(undefined);
        return;
      }
      this.remoteCandidateTexts.push(text);
      this.#addCandidate(parseCandidate(text));
    }
  }

  #addCandidate(candidate: IceCandidate): void {
    if (this.#options.acceptCandidate?.(candidate) === false) return;
    this.agent.addRemoteCandidate(candidate);
  }

  close(): void {
    this.agent.close();
    this.#socket.close();
  }
}
