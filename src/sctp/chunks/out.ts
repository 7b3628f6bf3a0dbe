/** Where chunk writers put their bytes: a packet buffer and a DataView over the same memory. */
export interface ChunkOut {
  bytes: Uint8Array;
  view: DataView;
}

/** Writes the common chunk header (RFC 9260 §3.2) and returns the offset of the value. */
export function writeChunkHeader(
  out: ChunkOut,
  at: number,
  type: number,
  flags: number,
  length: number,
): number {
  out.view.setUint8(at, type);
  out.view.setUint8(at + 1, flags);
  out.view.setUint16(at + 2, length);
  return at + 4;
}

/** Zero-fills the padding after a chunk (or parameter) of `length` bytes; returns the padded end. */
export function writePadding(out: ChunkOut, end: number): number {
  const paddedEnd = (end + 3) & ~3;
  for (let i = end; i < paddedEnd; i++) out.bytes[i] = 0;
  return paddedEnd;
}
