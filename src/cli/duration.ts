const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses "90s", "10m", "1h", "2d" (or a bare number of seconds) into seconds. */
export function parseDurationSeconds(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration: use a number with s, m, h or d (e.g. 1h).`);
  const seconds = Number(match[1]) * (unitSeconds[match[2] || 's'] ?? 1);
  if (seconds === 0 || !Number.isSafeInteger(seconds)) throw new Error(`"${text}" is not a usable duration.`);
  return seconds;
}
