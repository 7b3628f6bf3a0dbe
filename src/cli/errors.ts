/**
 * Errors a user can cause, as sentences. Commander reports the flags it could not parse itself; anything
 * else is a bug, whose message is printed with a hint to get the stack, never the stack itself by default.
 */

/** An error whose message is meant for the person at the terminal, complete as it is. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

type ListenFlags = {
  host: string;
  port: number;
  turnPort?: number;
  turnTlsPort?: number;
};

/**
 * A failure to listen, told as what to change: which port is taken and the flag that moves it. Other
 * errors are returned as they are.
 */
export function explainListenError(error: unknown, flags: ListenFlags): unknown {
  const { code, port, syscall } = error as NodeJS.ErrnoException & { port?: number };
  if (code === 'EADDRINUSE') {
    // The STUN/TURN server starts first and binds UDP ('bind'); the HTTP server listens on TCP last.
    const turn = syscall === 'bind' || (port !== flags.port && port === flags.turnPort);
    if (port !== undefined && port === flags.turnTlsPort)
      return new UserError(
        `Port ${port} (TURN over TLS) is already in use: choose another with --turn-tls-port.`,
      );
    if (turn)
      return new UserError(
        `Port ${port} (STUN/TURN) is already in use, perhaps by another TURN server: choose another with ` +
          '--turn-port, let Dyad pick a free one with --turn-port 0, or run without it with --no-turn.',
      );
    return new UserError(
      `Port ${port ?? flags.port} (HTTP and WebSocket) is already in use, perhaps by another Dyad: ` +
        'choose another with --port.',
    );
  }
  if (code === 'EACCES')
    return new UserError(
      `Port ${port} needs privileges this user does not have: choose a port above 1023 (--port, --turn-port).`,
    );
  if (code === 'EADDRNOTAVAIL')
    return new UserError(`${flags.host} is not an address of this machine: choose another with --host.`);
  return error;
}

/** What to print for an error that ended a command, and nothing more. */
export function describeCommandError(error: unknown, showStack: boolean): string {
  if (error instanceof UserError) return `dyad: ${error.message}`;
  if (error instanceof Error) {
    if (showStack) return `dyad: ${error.stack ?? error.message}`;
    return `dyad: ${error.message}\n(DYAD_LOG_LEVEL=debug shows where it happened)`;
  }
  return `dyad: ${String(error)}`;
}
