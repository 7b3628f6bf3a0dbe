/**
 * STUN client transactions (RFC 8489 §6.2): a request is retransmitted over unreliable transports until a
 * response with its transaction ID arrives or the transaction times out. The clock and the send function
 * are injected, so the ICE agent, the TURN client and the tests drive it in virtual time.
 */
import type { Clock, TimerHandle } from '../util/index.ts';
import { StunTimeoutError, StunTransactionClosedError } from './errors.ts';
import {
  type DecodedStunMessage,
  encodeStunMessage,
  type StunEncodeOptions,
  type StunMessage,
} from './message.ts';

export interface StunRetransmitOptions {
  /** Initial retransmission timeout (RFC 8489 §6.2.1: 500 ms by default). */
  readonly rtoMs?: number;
  /** Rc: total transmissions over UDP (7). */
  readonly maxTransmissions?: number;
  /** Rm: the last wait is Rm × RTO (16). */
  readonly lastWaitFactor?: number;
  /** Ti: the timeout over reliable transports (39.5 s, RFC 8489 §6.2.2). */
  readonly reliableTimeoutMs?: number;
}

export interface StunRetransmitSchedule {
  /** When each transmission happens, in ms after the first. */
  readonly sendAtMs: readonly number[];
  /** When the transaction fails without a response. */
  readonly timeoutAtMs: number;
}

/**
 * RFC 8489 §6.2.1: transmit at 0, RTO, 3·RTO, 7·RTO, ... (the interval doubles) Rc times, then wait
 * Rm·RTO after the last one. Over a reliable transport (§6.2.2) send once and wait Ti.
 */
export function retransmitSchedule(
  reliable: boolean,
  options: StunRetransmitOptions = {},
): StunRetransmitSchedule {
  if (reliable) return { sendAtMs: [0], timeoutAtMs: options.reliableTimeoutMs ?? 39_500 };
  const rto = options.rtoMs ?? 500;
  const count = options.maxTransmissions ?? 7;
  const sendAtMs: number[] = [];
  let at = 0;
  let interval = rto;
  for (let i = 0; i < count; i++) {
    sendAtMs.push(at);
    if (i < count - 1) {
      at += interval;
      interval *= 2;
    }
  }
  return { sendAtMs, timeoutAtMs: at + (options.lastWaitFactor ?? 16) * rto };
}

export interface StunClientTransactionsOptions extends StunRetransmitOptions {
  readonly clock: Clock;
  /** Puts a datagram or a stream frame on the wire. */
  readonly send: (packet: Uint8Array) => void;
  /** True over TCP/TLS: no retransmission (RFC 8489 §6.2.2). */
  readonly reliable?: boolean;
}

interface Pending {
  readonly packet: Uint8Array;
  readonly resolve: (response: DecodedStunMessage) => void;
  readonly reject: (error: Error) => void;
  transmissions: number;
  timer: TimerHandle | undefined;
}

function transactionKey(transactionId: Uint8Array): string {
  let key = '';
  for (const byte of transactionId) key += String.fromCharCode(byte);
  return key;
}

/** The outstanding requests of one client on one transport. */
export class StunClientTransactions {
  readonly #options: StunClientTransactionsOptions;
  readonly #schedule: StunRetransmitSchedule;
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  constructor(options: StunClientTransactionsOptions) {
    this.#options = options;
    this.#schedule = retransmitSchedule(options.reliable ?? false, options);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Sends a request and resolves with its response (success or error class), or rejects on timeout. */
  request(message: StunMessage, encodeOptions: StunEncodeOptions = {}): Promise<DecodedStunMessage> {
    if (this.#closed) return Promise.reject(new StunTransactionClosedError());
    const key = transactionKey(message.transactionId);
    if (this.#pending.has(key)) return Promise.reject(new Error('transaction ID already in use'));
    const packet = encodeStunMessage(message, encodeOptions);
    return new Promise((resolve, reject) => {
      const pending: Pending = { packet, resolve, reject, transmissions: 0, timer: undefined };
      this.#pending.set(key, pending);
      this.#transmit(key, pending);
    });
  }

  #transmit(key: string, pending: Pending): void {
    const { clock } = this.#options;
    const { sendAtMs, timeoutAtMs } = this.#schedule;
    const index = pending.transmissions++;
    try {
      this.#options.send(pending.packet);
    } catch (error) {
      this.#finish(key, pending);
      pending.reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const next = sendAtMs[index + 1];
    const sentAt = sendAtMs[index] as number;
    if (next !== undefined) {
      pending.timer = clock.setTimeout(() => this.#transmit(key, pending), next - sentAt);
    } else {
      pending.timer = clock.setTimeout(() => {
        this.#finish(key, pending);
        pending.reject(new StunTimeoutError(pending.transmissions));
      }, timeoutAtMs - sentAt);
    }
  }

  #finish(key: string, pending: Pending): void {
    this.#options.clock.clearTimeout(pending.timer);
    this.#pending.delete(key);
  }

  /** Offers a received response; true when it matched (and completed) an outstanding request. */
  handleResponse(message: DecodedStunMessage): boolean {
    if (message.class !== 'success' && message.class !== 'error') return false;
    const key = transactionKey(message.transactionId);
    const pending = this.#pending.get(key);
    if (!pending) return false;
    this.#finish(key, pending);
    pending.resolve(message);
    return true;
  }

  /** Abandons every outstanding request. */
  close(): void {
    this.#closed = true;
    for (const [key, pending] of [...this.#pending]) {
      this.#finish(key, pending);
      pending.reject(new StunTransactionClosedError());
    }
  }
}
