/**
 * Limits on the free-form JSON a client may send (peerMessageCommand's `data`, and any field a frame
 * carries beyond the protocol's). JSON.parse accepts nesting far deeper than the recursive walks that
 * follow it (JSON.stringify, structured clone, a validator) can take: a 10 KB frame nested 5,000 levels
 * deep overflows V8's stack in JSON.stringify. So depth is checked first, by a walk that does not recurse.
 */

/** Deepest nesting of arrays and objects in one frame (the frame object itself is level 1). */
export const maxFrameJsonDepth = 32;

/**
 * True when `value` nests arrays and objects no deeper than `maxDepth` levels (a string or number is
 * level 0). Walks with its own stack, so no input can overflow the call stack, and stops at the first
 * value that is too deep.
 */
export function jsonDepthWithin(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  const pending: object[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const node = pending.pop() as object;
    const depth = depths.pop() as number;
    if (depth > maxDepth) return false;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        pending.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return true;
}
