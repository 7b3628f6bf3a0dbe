/**
 * Serial number arithmetic (RFC 1982, used by RFC 9260 §1.6) for 32-bit TSNs and MIDs and 16-bit SSNs.
 * Values are kept as unsigned JS numbers; the comparisons work across the wrap.
 */

/** a - b as a signed 32-bit distance. */
export function tsnDistance(a: number, b: number): number {
  return (a - b) | 0;
}

export function tsnLessThan(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function tsnLessOrEqual(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function tsnAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** 16-bit SSN comparison: true when `a` comes before `b`. */
export function ssnLessThan(a: number, b: number): boolean {
  const d = (b - a) & 0xffff;
  return d !== 0 && d < 0x8000;
}
