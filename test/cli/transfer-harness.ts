/**
 * Helpers of the `dyad send` / `dyad receive` tests: real processes of bin/dyad.js on loopback
 * (DYAD_LOOPBACK=1), their --json events, and test files with known SHA-256.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export type DyadEvent = { event: string } & Record<string, unknown>;

export interface DyadRun {
  child: ChildProcess;
  events: DyadEvent[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  exited: Promise<number | string>;
  /** Resolves with the first event of this type. */
  waitFor(type: string, timeoutMs?: number): Promise<DyadEvent>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `bin/dyad.js args` (its shebang starts node itself, so `child.pid` is the process that holds the
 * transfer: kill -9 hits it, not a wrapper). JSON lines on stdout are parsed as events.
 */
export function runDyad(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): DyadRun {
  const child = spawn(join(root, 'bin/dyad.js'), args, {
    cwd: options.cwd ?? root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DYAD_LOOPBACK: '1', DYAD_NO_WEB_BUILD: '1', ...options.env },
  });
  const events: DyadEvent[] = [];
  const waiters: { type: string; resolve: (event: DyadEvent) => void }[] = [];
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.setEncoding('latin1');
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!line.startsWith('{"event"')) continue;
      const event = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as DyadEvent;
      events.push(event);
      for (const waiter of waiters.filter((w) => w.type === event.event)) {
        waiter.resolve(event);
        waiters.splice(waiters.indexOf(waiter), 1);
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    if (process.env.DYAD_TEST_OUTPUT) process.stderr.write(chunk);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    events,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(type, timeoutMs = 30_000) {
      const seen = events.find((e) => e.event === type);
      if (seen) return Promise.resolve(seen);
      return new Promise<DyadEvent>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${type} event in ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          type,
          resolve: (event) => {
            clearTimeout(timer);
            resolve(event);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`exited before ${type}; stderr: ${stderr}`));
        });
      });
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Ends a run that a failed assertion left behind (by its PID only). */
export function stopAfter(t: { after(fn: () => void | Promise<void>): void }, run: DyadRun): DyadRun {
  t.after(async () => {
    run.kill('SIGKILL');
    await run.exited;
  });
  return run;
}

/** Exits within `ms`, or fails with what the process printed. */
export async function exitWithin(run: DyadRun, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms; stderr: ${run.stderr()}`)), ms);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function tempDir(t: { after(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes random content of `size` bytes at `dir/relative` (folders made); returns its SHA-256. */
export function writeRandomFile(dir: string, relative: string, size: number): string {
  const path = join(dir, relative);
  mkdirSync(dirname(path), { recursive: true });
  const hash = createHash('sha256');
  const data = randomBytes(size);
  hash.update(data);
  writeFileSync(path, data);
  return hash.digest('hex');
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `dyad receive` arguments from the sender's `ready` event (code and server). */
export function receiveArgs(ready: DyadEvent): string[] {
  return (ready['command'] as string).split(' ').slice(2);
}
