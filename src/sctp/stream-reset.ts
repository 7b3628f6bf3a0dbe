import {
  ChunkType,
  type OutgoingResetRequest,
  type ReconfigChunk,
  type ReconfigParameter,
  ReconfigParameterType,
  ReconfigResult,
} from './chunks/types.ts';
import type { DataReceiver } from './receiver.ts';
import type { SendQueue } from './send-queue.ts';
import type { DataSender } from './sender.ts';
import type { ProtocolTimer } from './timer.ts';
import { tsnAdd, tsnLessOrEqual } from './tsn.ts';

export type StreamResetDirection = 'incoming' | 'outgoing';

export interface StreamResetDeps {
  localInitialTsn: number;
  peerInitialTsn: number;
  /** The peer listed RE-CONFIG in its Supported Extensions. */
  supported: boolean;
  queue: SendQueue;
  sender: DataSender;
  receiver: DataReceiver;
  /** The stream reconfiguration timer (RFC 6525 §5.1.1 uses the RTO), owned by the association. */
  timer: ProtocolTimer;
  /** Streams one request may list and still fit a packet, with a response beside it. */
  maxStreamsPerRequest: number;
  onReset(streamIds: number[], direction: StreamResetDirection, succeeded: boolean): void;
}

/**
 * Outgoing SSN Reset Requests and their responses (RFC 6525 §5.1.2, §5.2.2), which is how a data
 * channel is closed (RFC 8831 §6.7). One request is in flight at a time; streams asked for meanwhile
 * wait and go together in the next one, once their queued data has TSNs.
 */
export class StreamResetter {
  #nextRequestSequence: number;
  #peerNextRequestSequence: number;
  readonly #pending = new Set<number>();
  #inFlight: OutgoingResetRequest | undefined;
  #lastResult: number = ReconfigResult.SUCCESS_PERFORMED;
  /** A peer request waiting until every TSN up to its Sender's Last Assigned TSN has arrived. */
  #deferred: OutgoingResetRequest | undefined;
  #responses: ReconfigParameter[] = [];

  constructor(private readonly deps: StreamResetDeps) {
    // RFC 6525 §5.1.1: request sequence numbers start at the initial TSN.
    this.#nextRequestSequence = deps.localInitialTsn;
    this.#peerNextRequestSequence = deps.peerInitialTsn;
  }

  request(streamIds: number[]): void {
    if (!this.deps.supported) {
      this.deps.onReset(streamIds, 'outgoing', false);
      return;
    }
    for (const id of streamIds) this.#pending.add(id);
  }

  /** The RE-CONFIG chunk to send now: responses first, then a new request when one can go. */
  take(): ReconfigChunk | undefined {
    const parameters = this.#responses;
    this.#responses = [];
    if (!this.#inFlight && this.#pending.size > 0) {
      // RFC 6525 §4.1 puts no limit on the list, but the chunk must fit a packet: the rest go next.
      const ready = [...this.#pending]
        .filter((id) => !this.deps.queue.hasPending(id))
        .slice(0, this.deps.maxStreamsPerRequest);
      if (ready.length > 0) {
        for (const id of ready) this.#pending.delete(id);
        this.#inFlight = {
          type: ReconfigParameterType.OUTGOING_SSN_RESET_REQUEST,
          requestSequence: this.#nextRequestSequence,
          responseSequence: tsnAdd(this.#peerNextRequestSequence, -1),
          senderLastTsn: this.deps.sender.lastAssignedTsn,
          streams: ready,
        };
        this.#nextRequestSequence = tsnAdd(this.#nextRequestSequence, 1);
        this.deps.timer.start(this.deps.sender.rto.rto);
        if (parameters.length < 2) parameters.push(this.#inFlight);
      }
    }
    return parameters.length > 0
      ? { type: ChunkType.RE_CONFIG, parameters: parameters.slice(0, 2) }
      : undefined;
  }

  /** The reconfiguration timer expired: the request goes again, unchanged (RFC 6525 §5.1.1). */
  retransmit(): boolean {
    if (!this.#inFlight) return false;
    this.#responses.push(this.#inFlight);
    this.deps.timer.start(this.deps.sender.rto.rto);
    return true;
  }

  handle(chunk: ReconfigChunk): void {
    for (const parameter of chunk.parameters) {
      switch (parameter.type) {
        case ReconfigParameterType.OUTGOING_SSN_RESET_REQUEST:
          this.#handleRequest(parameter.requestSequence, parameter);
          break;
        case ReconfigParameterType.RECONFIGURATION_RESPONSE:
          this.#handleResponse(parameter.responseSequence, parameter.result);
          break;
        default:
          this.#handleRequest(parameter.requestSequence, undefined);
      }
    }
  }

  #respond(responseSequence: number, result: number): void {
    this.#responses.push({ type: ReconfigParameterType.RECONFIGURATION_RESPONSE, responseSequence, result });
  }

  /** RFC 6525 §5.2.1 sequence checks, then §5.2.2 for outgoing resets; other requests are denied. */
  #handleRequest(sequence: number, request: OutgoingResetRequest | undefined): void {
    if (sequence === tsnAdd(this.#peerNextRequestSequence, -1)) {
      // A retransmission: answer as before.
      this.#respond(sequence, this.#deferred ? ReconfigResult.IN_PROGRESS : this.#lastResult);
      return;
    }
    if (sequence !== this.#peerNextRequestSequence) {
      this.#respond(sequence, ReconfigResult.ERROR_BAD_SEQUENCE_NUMBER);
      return;
    }
    this.#peerNextRequestSequence = tsnAdd(sequence, 1);
    if (!request) {
      this.#lastResult = ReconfigResult.DENIED;
      this.#respond(sequence, this.#lastResult);
      return;
    }
    if (tsnLessOrEqual(request.senderLastTsn, this.deps.receiver.tracker.cumulativeTsn)) {
      this.#performIncoming(request);
      this.#respond(sequence, this.#lastResult);
    } else {
      this.#deferred = request;
      this.#respond(sequence, ReconfigResult.IN_PROGRESS);
    }
  }

  #performIncoming(request: OutgoingResetRequest): void {
    this.#lastResult = ReconfigResult.SUCCESS_PERFORMED;
    this.deps.receiver.reassembly.resetStreams(request.streams);
    this.deps.onReset(request.streams, 'incoming', true);
  }

  /** Called when the cumulative TSN moves: a deferred reset may now be carried out and answered. */
  afterReceive(): void {
    const deferred = this.#deferred;
    if (!deferred || !tsnLessOrEqual(deferred.senderLastTsn, this.deps.receiver.tracker.cumulativeTsn))
      return;
    this.#deferred = undefined;
    this.#performIncoming(deferred);
    this.#respond(deferred.requestSequence, this.#lastResult);
  }

  #handleResponse(sequence: number, result: number): void {
    const request = this.#inFlight;
    if (!request || sequence !== request.requestSequence) return;
    if (result === ReconfigResult.IN_PROGRESS) return;
    this.#inFlight = undefined;
    this.deps.timer.stop();
    const succeeded =
      result === ReconfigResult.SUCCESS_PERFORMED || result === ReconfigResult.SUCCESS_NOTHING_TO_DO;
    if (succeeded) for (const id of request.streams) this.deps.queue.resetSequences(id);
    this.deps.onReset(request.streams, 'outgoing', succeeded);
  }
}
