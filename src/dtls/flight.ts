/**
 * Turning a flight into datagrams (RFC 6347 §4.1.1, §4.2.3): handshake messages are fragmented so that
 * every record fits the path MTU, and records are packed into as few datagrams as fit. Sealing (sequence
 * numbers, encryption) is the caller's, so a retransmission gets fresh record numbers (RFC 6347 §4.2.4).
 */
import { fragmentHandshakeMessage, HANDSHAKE_HEADER_LENGTH } from './handshake.ts';
import type { FlightEntry } from './handshakecommon.ts';
import { ContentType, RECORD_HEADER_LENGTH } from './record.ts';

export interface RecordSealer {
  /** Bytes the record protection of `epoch` adds to a plaintext. */
  overhead(epoch: number): number;
  /** A complete record carrying `plaintext` in `epoch`, with the next sequence number of that epoch. */
  seal(contentType: number, epoch: number, plaintext: Uint8Array): Uint8Array;
}

const CHANGE_CIPHER_SPEC = Uint8Array.of(1);

export function packFlight(entries: readonly FlightEntry[], mtu: number, sealer: RecordSealer): Uint8Array[] {
  const records: Uint8Array[] = [];
  for (const entry of entries) {
    if (entry.kind === 'change_cipher_spec') {
      records.push(sealer.seal(ContentType.change_cipher_spec, entry.epoch, CHANGE_CIPHER_SPEC));
      continue;
    }
    const maxBody = mtu - RECORD_HEADER_LENGTH - HANDSHAKE_HEADER_LENGTH - sealer.overhead(entry.epoch);
    for (const fragment of fragmentHandshakeMessage(entry.message, maxBody)) {
      records.push(sealer.seal(ContentType.handshake, entry.epoch, fragment));
    }
  }
  const datagrams: Uint8Array[] = [];
  let batch: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const datagram = new Uint8Array(size);
    let at = 0;
    for (const record of batch) {
      datagram.set(record, at);
      at += record.length;
    }
    datagrams.push(datagram);
    batch = [];
    size = 0;
  };
  for (const record of records) {
    if (size + record.length > mtu) flush();
    batch.push(record);
    size += record.length;
  }
  flush();
  return datagrams;
}

/** RFC 6347 §4.2.4.1: 1 s initial timer, doubled on each expiry, at most 60 s. */
export const INITIAL_RETRANSMIT_MS = 1000;
export const MAX_RETRANSMIT_MS = 60_000;

export function nextRetransmitTimeout(currentMs: number): number {
  return Math.min(currentMs * 2, MAX_RETRANSMIT_MS);
}
