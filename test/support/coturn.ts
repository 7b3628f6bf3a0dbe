/**
 * coturn's turnserver started by a test on loopback: long-term credentials alice/wonderland in realm
 * coturn.test, loopback peers allowed, relay ports in the range the caller gives (test files that run at
 * the same time use different ranges). Killed by PID when the test ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';

export const coturnCredentials = { username: 'alice', credential: 'wonderland' } as const;

/** True once something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts turnserver and resolves with its listening port once it accepts connections. */
export async function startCoturn(
  t: TestContext,
  program: string,
  relayPorts: { min: number; max: number },
): Promise<number> {
  // A free port for coturn to listen on (it cannot report an ephemeral one).
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  probe.close();
  const child: ChildProcess = spawn(
    program,
    [
      '-n',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${relayPorts.min}`,
      `--max-port=${relayPorts.max}`,
      '--lt-cred-mech',
      `--user=${coturnCredentials.username}:${coturnCredentials.credential}`,
      '--realm=coturn.test',
      '--allow-loopback-peers',
      '--no-stdout-log',
      '--log-file=/dev/null',
    ],
    { stdio: 'ignore' },
  );
  t.after(() => {
    child.kill('SIGKILL');
  });
  const deadline = Date.now() + 5_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('turnserver did not start listening within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return port;
}
