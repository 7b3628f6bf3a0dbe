/**
 * The doors of the campaign and what runs before each: the replay of its seed corpus (fuzz/corpus/<door>/)
 * and of every saved crasher (fuzz/crashers/), each file on the same fresh server, probed after each file.
 */
import { type FuzzCase, loadCaseFiles, type SignalingCase, type TurnCase } from './cases.ts';
import type { DoorOptions, DoorReport } from './door.ts';
import { runPeerDoor } from './doors/peer.ts';
import { type DoorDefinition, DoorRun, mib, runDoor } from './doors/run-door.ts';
import { replaySignaling, runSignalingDoor } from './doors/signaling.ts';
import { replayTurn, runTurnDoor } from './doors/turn.ts';
import { probeLiveness, startFuzzServer } from './server.ts';

export const doorNames = ['signaling', 'turn-udp', 'turn-tcp', 'peer'] as const;
export type DoorName = (typeof doorNames)[number];

export const serverDoors: Record<Exclude<DoorName, 'peer'>, DoorDefinition> = {
  signaling: {
    name: 'signaling',
    fuzz: runSignalingDoor,
    replay: (run, cases) => replaySignaling(run, cases as SignalingCase[]),
  },
  'turn-udp': {
    name: 'turn-udp',
    fuzz: (run) => runTurnDoor(run, { transport: 'udp', workers: 24 }),
    replay: (run, cases) => replayTurn(run, 'udp', cases as TurnCase[]),
  },
  'turn-tcp': {
    name: 'turn-tcp',
    fuzz: (run) => runTurnDoor(run, { transport: 'tcp', workers: 32 }),
    replay: (run, cases) => replayTurn(run, 'tcp', cases as TurnCase[]),
  },
};

export interface ReplayReport {
  readonly files: number;
  readonly cases: number;
  /** Files after which the server was dead. */
  readonly crashing: string[];
}

/** Replays the corpus and crasher files of a door; a file that still kills the server is reported. */
export async function replayFiles(door: DoorDefinition, log: (line: string) => void): Promise<ReplayReport> {
  const files = loadCaseFiles([door.name]);
  const crashing: string[] = [];
  let cases = 0;
  if (files.length === 0) return { files: 0, cases: 0, crashing };
  let server = await startFuzzServer();
  try {
    for (const { path, file } of files) {
      const run = new DoorRun(door.name, server, file.cases.length, undefined, 1);
      await door.replay(run, file.cases as FuzzCase[]).catch((error: unknown) => run.note(String(error)));
      cases += file.cases.length;
      const failure = server.exited()
        ? `server process ended (${server.exited()})`
        : await probeLiveness(server);
      if (failure) {
        crashing.push(path);
        log(`  ${door.name}: replaying ${path} crashes the server: ${failure}`);
        await server.stop();
        server = await startFuzzServer();
      }
    }
  } finally {
    await server.stop();
  }
  return { files: files.length, cases, crashing };
}

export type CampaignReport = DoorReport & { seconds: number; replay: ReplayReport };

/** `settleMs`: how long the server may take to give memory back before RSS is read (see runDoor). */
export async function runCampaignDoor(
  name: DoorName,
  options: DoorOptions,
  settleMs?: number,
): Promise<CampaignReport> {
  const log = options.log ?? (() => {});
  if (name === 'peer') {
    const started = performance.now();
    const report = await runPeerDoor(options);
    return {
      ...report,
      seconds: (performance.now() - started) / 1000,
      replay: { files: 0, cases: 0, crashing: [] },
    };
  }
  const door = serverDoors[name];
  const replayStarted = Date.now();
  const replay = await replayFiles(door, log);
  // The deadline bounds the fuzzing; the replays before it do not eat into it.
  const deadlineMs =
    options.deadlineMs === undefined ? undefined : options.deadlineMs + (Date.now() - replayStarted);
  log(
    `  ${name}: replayed ${replay.files} files (${replay.cases} cases), ${replay.crashing.length} crashed the server`,
  );
  const report = await runDoor(door, { ...options, deadlineMs }, settleMs);
  return { ...report, crashes: report.crashes + replay.crashing.length, replay };
}

export function formatReport(report: CampaignReport, seed: number): string {
  const rate = report.seconds > 0 ? Math.round(report.cases / report.seconds) : 0;
  const lines = [
    `${report.door}: ${report.cases} cases in ${report.seconds.toFixed(1)} s (${rate} cases/s), seed ${seed}, ` +
      `crashes ${report.crashes}, server RSS before ${mib(report.rssBeforeBytes)}, after ${mib(report.rssAfterBytes)}`,
  ];
  if (report.replay.files > 0)
    lines.push(`  replayed ${report.replay.files} corpus/crasher files (${report.replay.cases} cases) first`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}
