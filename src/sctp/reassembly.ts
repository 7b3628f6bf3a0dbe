import type { DataChunk, ForwardTsnStream } from './chunks/types.ts';
import { ErrorCauseCode } from './chunks/types.ts';
import { SctpAssociationError } from './errors.ts';
import { ssnLessThan, tsnDistance, tsnLessOrEqual, tsnLessThan } from './tsn.ts';

export type DeliverMessage = (streamId: number, ppid: number, data: Uint8Array, unordered: boolean) => void;

/** The fragments of one message, sorted by TSN (DATA) or FSN (I-DATA). */
class PartialMessage {
  readonly fragments: DataChunk[] = [];
  size = 0;
  ppid = 0;

  constructor(private readonly byFragment: boolean) {}

  key(chunk: DataChunk): number {
    return this.byFragment ? chunk.fragment : chunk.tsn;
  }

  add(chunk: DataChunk): void {
    const fragments = this.fragments;
    const key = this.key(chunk);
    let at = fragments.length;
    while (at > 0 && tsnDistance(this.key(fragments[at - 1]!), key) > 0) at--;
    fragments.splice(at, 0, chunk);
    this.size += chunk.payload.length;
    if (chunk.beginning) this.ppid = chunk.ppid;
  }

  get complete(): boolean {
    const first = this.fragments[0];
    const last = this.fragments.at(-1);
    return (
      first !== undefined &&
      last !== undefined &&
      first.beginning &&
      last.ending &&
      tsnDistance(this.key(last), this.key(first)) === this.fragments.length - 1
    );
  }

  assemble(): Uint8Array {
    return joinPayloads(this.fragments, this.size);
  }
}

function joinPayloads(fragments: DataChunk[], size: number): Uint8Array {
  if (fragments.length === 1) return fragments[0]!.payload;
  const data = new Uint8Array(size);
  let offset = 0;
  for (const fragment of fragments) {
    data.set(fragment.payload, offset);
    offset += fragment.payload.length;
  }
  return data;
}

class InboundStream {
  /** Next SSN (DATA) or ordered MID (I-DATA) to deliver. */
  nextSequence = 0;
  /** Ordered messages waiting to be completed or for their turn, by SSN or MID. */
  readonly ordered = new Map<number, PartialMessage>();
  /** I-DATA only: unordered messages being reassembled, by MID. */
  readonly unordered = new Map<number, PartialMessage>();
}

/**
 * Reassembly and ordered delivery (RFC 9260 §6.5, §6.6, §6.9; RFC 8260 §2.1 for I-DATA). Chunks arrive
 * here once each (the TSN tracker drops duplicates). `bufferedBytes` is what counts against a_rwnd.
 */
export class ReassemblyQueue {
  bufferedBytes = 0;
  readonly #streams = new Map<number, InboundStream>();
  /** DATA only: unordered fragments sorted by TSN; a message is a B..E run of consecutive TSNs. */
  #unorderedFragments: DataChunk[] = [];

  constructor(
    readonly interleaved: boolean,
    readonly maxMessageSize: number,
    private readonly deliver: DeliverMessage,
  ) {}

  #stream(streamId: number): InboundStream {
    let stream = this.#streams.get(streamId);
    if (!stream) {
      stream = new InboundStream();
      this.#streams.set(streamId, stream);
    }
    return stream;
  }

  #next(sequence: number): number {
    return this.interleaved ? (sequence + 1) >>> 0 : (sequence + 1) & 0xffff;
  }

  #before(a: number, b: number): boolean {
    return this.interleaved ? tsnLessThan(a, b) : ssnLessThan(a, b);
  }

  add(chunk: DataChunk): void {
    if (chunk.unordered) {
      if (chunk.beginning && chunk.ending) {
        this.deliver(chunk.streamId, chunk.ppid, chunk.payload, true);
      } else if (this.interleaved) {
        this.#addToPartial(this.#stream(chunk.streamId).unordered, chunk, true);
      } else {
        this.#addUnorderedData(chunk);
      }
      return;
    }
    const stream = this.#stream(chunk.streamId);
    if (chunk.beginning && chunk.ending && chunk.sequence === stream.nextSequence) {
      // The common case: a whole message, in order. Deliver without storing.
      stream.nextSequence = this.#next(stream.nextSequence);
      this.deliver(chunk.streamId, chunk.ppid, chunk.payload, false);
      if (stream.ordered.size > 0) this.#drain(chunk.streamId, stream);
      return;
    }
    if (this.#before(chunk.sequence, stream.nextSequence)) return;
    this.#addToPartial(stream.ordered, chunk, false);
    this.#drain(chunk.streamId, stream);
  }

  #addToPartial(messages: Map<number, PartialMessage>, chunk: DataChunk, unordered: boolean): void {
    let partial = messages.get(chunk.sequence);
    if (!partial) {
      partial = new PartialMessage(this.interleaved);
      messages.set(chunk.sequence, partial);
    }
    partial.add(chunk);
    this.bufferedBytes += chunk.payload.length;
    this.#checkSize(partial.size);
    if (unordered && partial.complete) {
      messages.delete(chunk.sequence);
      this.bufferedBytes -= partial.size;
      this.deliver(chunk.streamId, partial.ppid, partial.assemble(), true);
    }
  }

  #checkSize(size: number): void {
    // RFC 8831 §6.6: messages beyond the announced max-message-size are a protocol violation.
    if (size > this.maxMessageSize) {
      throw new SctpAssociationError(
        `peer sent a message larger than the max message size ${this.maxMessageSize}`,
        ErrorCauseCode.PROTOCOL_VIOLATION,
      );
    }
  }

  #drain(streamId: number, stream: InboundStream): void {
    for (;;) {
      const partial = stream.ordered.get(stream.nextSequence);
      if (!partial?.complete) return;
      stream.ordered.delete(stream.nextSequence);
      stream.nextSequence = this.#next(stream.nextSequence);
      this.bufferedBytes -= partial.size;
      this.deliver(streamId, partial.ppid, partial.assemble(), false);
    }
  }

  #addUnorderedData(chunk: DataChunk): void {
    const list = this.#unorderedFragments;
    let at = list.length;
    while (at > 0 && tsnLessThan(chunk.tsn, list[at - 1]!.tsn)) at--;
    list.splice(at, 0, chunk);
    this.bufferedBytes += chunk.payload.length;
    // Walk back to the B fragment and forward to the E fragment through consecutive TSNs.
    let first = at;
    while (!list[first]!.beginning) {
      const previous = list[first - 1];
      if (!previous || previous.ending || !this.#consecutive(previous, list[first]!)) return;
      first--;
    }
    let last = at;
    while (!list[last]!.ending) {
      const next = list[last + 1];
      if (!next || next.beginning || !this.#consecutive(list[last]!, next)) return;
      last++;
    }
    let size = 0;
    for (let i = first; i <= last; i++) size += list[i]!.payload.length;
    this.#checkSize(size);
    const fragments = list.splice(first, last - first + 1);
    this.bufferedBytes -= size;
    this.deliver(chunk.streamId, fragments[0]!.ppid, joinPayloads(fragments, size), true);
  }

  #consecutive(a: DataChunk, b: DataChunk): boolean {
    return b.tsn === (a.tsn + 1) >>> 0 && a.streamId === b.streamId;
  }

  /** RFC 3758 §3.6 and RFC 8260 §2.3.1: forget abandoned messages and move the streams past them. */
  forward(newCumulativeTsn: number, streams: ForwardTsnStream[]): void {
    if (!this.interleaved && this.#unorderedFragments.length > 0) {
      this.#unorderedFragments = this.#unorderedFragments.filter((chunk) => {
        const keep = !tsnLessOrEqual(chunk.tsn, newCumulativeTsn);
        if (!keep) this.bufferedBytes -= chunk.payload.length;
        return keep;
      });
    }
    for (const entry of streams) {
      const stream = this.#stream(entry.streamId);
      const messages = entry.unordered ? stream.unordered : stream.ordered;
      for (const [sequence, partial] of messages) {
        if (!this.#before(entry.sequence, sequence)) {
          messages.delete(sequence);
          this.bufferedBytes -= partial.size;
        }
      }
      if (!entry.unordered) {
        if (!this.#before(entry.sequence, stream.nextSequence)) {
          stream.nextSequence = this.#next(entry.sequence);
        }
        this.#drain(entry.streamId, stream);
      }
    }
  }

  /** RFC 6525 §5.2.2: an incoming stream reset starts the stream's sequence numbers at zero again. */
  resetStreams(streamIds: number[]): void {
    for (const streamId of streamIds) {
      const stream = this.#streams.get(streamId);
      if (!stream) continue;
      for (const partial of [...stream.ordered.values(), ...stream.unordered.values()]) {
        this.bufferedBytes -= partial.size;
      }
      this.#streams.delete(streamId);
    }
  }
}
