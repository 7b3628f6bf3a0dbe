import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { findProgram } from './external.ts';

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export type RedisServer = { url: string; stop(): Promise<void>; start(): Promise<void> };

/** A throwaway redis-server on loopback with no persistence; stopped after the test. */
export async function startRedis(t: TestContext): Promise<RedisServer | undefined> {
  const path = findProgram(t, 'redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
  if (!path) return undefined;
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(
      path,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child = started;
    let output = '';
    started.stdout?.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      started.stdout?.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) resolve();
      });
      started.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    });
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  t.after(stop);
  return { url: `redis://127.0.0.1:${port}`, stop, start };
}
