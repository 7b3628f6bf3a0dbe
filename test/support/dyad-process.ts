import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export type DyadProcess = {
  child: ChildProcess;
  pid: number;
  port: number;
  wsUrl: string;
  /** What it printed on stdout up to listening (the line with its ports). */
  output: string;
  stop(): Promise<void>;
};

/**
 * Runs `dyad serve` as its own process on 127.0.0.1 and an ephemeral port, and resolves once it prints
 * where it listens. `nodeArgs` go to node through NODE_OPTIONS (e.g. --cpu-prof), `args` to `dyad serve`.
 * The bin is run as an installed package runs it (its shebang carries node's flags).
 */
export async function spawnDyadServe(args: string[] = [], nodeArgs: string[] = []): Promise<DyadProcess> {
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', ...nodeArgs].join(' ').trim();
  const child = spawn(
    `${root}bin/dyad.js`,
    ['serve', '--host', '127.0.0.1', '--port', '0', '--turn-port', '0', '--no-web-build', ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { DYAD_LOG_LEVEL: 'warn', ...process.env, NODE_OPTIONS: nodeOptions },
    },
  );
  let output = '';
  child.stdout?.setEncoding('utf8');
  const wsUrl = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      if (process.env.DYAD_TEST_SERVER_OUTPUT) process.stderr.write(chunk);
      output += chunk;
      const match = /signaling: (ws:\/\/[^\s,)]+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`dyad serve exited with ${code} before listening: ${output}`)),
    );
  });
  return {
    child,
    pid: child.pid!,
    port: Number(new URL(wsUrl).port),
    wsUrl,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 6_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
