/**
 * Pausing a browser the test launched, to cut a call's network path without touching the network: a
 * stopped Chromium neither sends nor answers STUN, as if its host had dropped off the net. Processes are
 * found by a marker argument the test passed at launch and signalled by PID, never by name.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A command-line switch Chromium ignores, unique to one launch. */
export function launchMarker(): string {
  return `--dyad-test-launch=${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function processIds(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
}

function parentOf(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  // The command name in parentheses may itself contain spaces and parentheses: parse after the last ')'.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields ? Number(fields[1]) : undefined;
}

/** The launched browser process (the one whose arguments carry `marker`) and all its descendants. */
export function processTreeOf(marker: string): number[] {
  const all = processIds();
  const roots = all.filter((pid) => readProc(pid, 'cmdline')?.split('\0').includes(marker));
  // Descendants also carry the marker sometimes; the tree root is the one whose parent does not.
  const rootSet = new Set(roots);
  const tree = new Set(roots.filter((pid) => !rootSet.has(parentOf(pid) ?? -1)));
  if (tree.size === 0) throw new Error(`no process launched with ${marker}`);
  let grew = true;
  while (grew) {
    grew = false;
    for (const pid of all) {
      if (!tree.has(pid) && tree.has(parentOf(pid) ?? -1)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

export function signalProcesses(pids: number[], signal: 'SIGSTOP' | 'SIGCONT'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Exited meanwhile.
    }
  }
}
