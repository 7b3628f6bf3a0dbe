/**
 * What every door of this campaign shares: a fresh `dyad serve`, the case budget and deadline, the
 * liveness probe every `probeEvery` cases, and what happens on a crash: the recent cases are saved under
 * fuzz/crashers/, replayed one by one on a fresh server to find the one that kills it (saved alone too),
 * and the run goes on against a new server.
 */
import { type FuzzCase, saveCrasher } from '../cases.ts';
import type { DoorOptions, DoorReport, FuzzRandom } from '../door.ts';
import { FuzzRandom as Random } from '../door.ts';
import { type FuzzServer, probeLiveness, residentBytes, serverGauges, startFuzzServer } from '../server.ts';

export const probeEvery = 50_000;
/** How long to wait, at most, for the server's memory to settle after a door. */
export const defaultSettleMs = 10_000;
/** After this many crashes a door stops: the bug is found, more of the same adds nothing. */
const maxCrashes = 3;

export class DoorRun {
  readonly random: FuzzRandom;
  readonly notes = new Set<string>();
  /** The recent cases, for a crasher file; set by the door. */
  recent: () => FuzzCase[] = () => [];
  taken = 0;
  /** Cases a replay has sent and seen handled (or seen the server die on). */
  replayed = 0;
  crash: string | undefined;
  #ended = false;

  constructor(
    readonly door: string,
    readonly server: FuzzServer,
    readonly budget: number,
    readonly deadlineMs: number | undefined,
    seed: number,
  ) {
    this.random = new Random(seed);
  }

  /** Claims up to `count` cases; 0 when the run is over. */
  take(count: number): number {
    if (this.stopped()) return 0;
    const granted = Math.min(count, this.budget - this.taken);
    this.taken += granted;
    return granted;
  }

  /** Returns cases claimed but not sent. */
  giveBack(count: number): void {
    this.taken -= count;
  }

  stopped = (): boolean =>
    this.#ended ||
    this.crash !== undefined ||
    this.taken >= this.budget ||
    (this.deadlineMs !== undefined && Date.now() >= this.deadlineMs);

  end(): void {
    this.#ended = true;
  }

  note(line: string): void {
    this.notes.add(line);
  }
}

export interface DoorDefinition {
  readonly name: string;
  /** Sends cases until run.stopped(). */
  fuzz(run: DoorRun): Promise<void>;
  /** Sends recorded cases, in order, waiting for each to be handled. */
  replay(run: DoorRun, cases: FuzzCase[]): Promise<void>;
}

/** Runs `door.fuzz` under the liveness watch; resolves with the crash reason, if any. */
async function watched(
  run: DoorRun,
  door: DoorDefinition,
  log: (line: string) => void,
): Promise<string | undefined> {
  let fuzzing = true;
  const fuzzed = door.fuzz(run).finally(() => {
    fuzzing = false;
  });
  let nextProbe = probeEvery;
  while (fuzzing) {
    await Promise.race([fuzzed.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 100))]);
    const exit = run.server.exited();
    if (exit) run.crash = `server process ended (${exit})`;
    else if (run.taken >= nextProbe && fuzzing) {
      nextProbe = run.taken + probeEvery;
      const failure = await probeLiveness(run.server);
      if (failure) run.crash = failure;
      else log(`  ${door.name}: ${run.taken} cases, alive, RSS ${mib(residentBytes(run.server.pid))}`);
    }
    if (run.crash) break;
  }
  await fuzzed.catch((error: unknown) => run.note(`door error: ${(error as Error).message}`));
  if (!run.crash) run.crash = (await probeLiveness(run.server)) ?? undefined;
  return run.crash;
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Replays `cases` in order on a fresh server, stopping once it is dead: the index of the case after which
 * it died, or -1 when it survived them all. The server is stopped afterwards.
 */
export async function isolate(door: DoorDefinition, cases: FuzzCase[], seed: number): Promise<number> {
  const server = await startFuzzServer();
  const run = new DoorRun(door.name, server, cases.length, undefined, seed);
  try {
    await door.replay(run, cases).catch(() => {});
    if (server.exited()) return run.replayed - 1;
    return (await probeLiveness(server)) ? cases.length - 1 : -1;
  } finally {
    await server.stop();
  }
}

/** The door: fuzz `options.cases` cases, surviving crashes (recorded) up to maxCrashes. */
export async function runDoor(
  door: DoorDefinition,
  options: DoorOptions,
  settleMs = defaultSettleMs,
): Promise<DoorReport & { seconds: number }> {
  const log = options.log ?? (() => {});
  const notes: string[] = [];
  let crashes = 0;
  let done = 0;
  let server = await startFuzzServer();
  const rssBeforeBytes = residentBytes(server.pid);
  const gaugesBefore = await serverGauges(server);
  let rssAfterBytes = 0;
  const started = performance.now();
  let fuzzSeconds = 0;
  let attempt = 0;
  try {
    while (done < options.cases) {
      const run = new DoorRun(
        door.name,
        server,
        options.cases - done,
        options.deadlineMs,
        options.seed + attempt++,
      );
      const crash = await watched(run, door, log);
      done += run.taken;
      for (const note of run.notes) notes.push(note);
      if (!crash) break;
      crashes++;
      const recent = run.recent();
      log(
        `  ${door.name}: CRASH after ${done} cases: ${crash}; replaying the last ${recent.length} on a fresh server`,
      );
      await server.stop();
      // The cases in flight when it died were sent by many sockets at once: replay them one by one.
      const culprit = await isolate(door, recent, options.seed);
      // The culprit and the few before it; when none reproduces alone, the latest cases as a record.
      const kept = culprit >= 0 ? recent.slice(Math.max(0, culprit - 8), culprit + 1) : recent.slice(-64);
      const path = saveCrasher(
        door.name,
        options.seed,
        culprit >= 0
          ? `${crash}; replayed in order on a fresh server, the last case kills it (${culprit + 1} cases in)`
          : `${crash}; the ${recent.length} latest cases did not kill a fresh server on replay: the last ${kept.length} of them`,
        kept,
      );
      log(`  ${door.name}: crasher saved: ${path}`);
      notes.push(
        `crash after ${done} cases: ${crash}; ${culprit >= 0 ? 'reproduced on replay' : 'not reproduced on replay'}: ${path}`,
      );
      const pastDeadline = options.deadlineMs !== undefined && Date.now() >= options.deadlineMs;
      if (crashes >= maxCrashes || done >= options.cases || pastDeadline) break;
      server = await startFuzzServer();
    }
    fuzzSeconds = (performance.now() - started) / 1000;
    // Everything the door opened is closed by now. Let the server release it: V8 gives memory back only
    // after an idle full GC (bin/dyad.js lets the old space grow to 128 MB first), so wait (up to 10 s by default)
    // for RSS to come within a quarter of the baseline, and report what it is then.
    const settleUntil = performance.now() + settleMs;
    do {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      rssAfterBytes = residentBytes(server.pid);
    } while (performance.now() < settleUntil && rssAfterBytes > rssBeforeBytes * 1.25);
    if (!server.exited()) notes.push(`server before: ${gaugesBefore}; after: ${await serverGauges(server)}`);
  } finally {
    await server.stop();
  }
  return {
    door: door.name,
    cases: done,
    crashes,
    rssBeforeBytes,
    rssAfterBytes,
    notes,
    seconds: fuzzSeconds,
  };
}
