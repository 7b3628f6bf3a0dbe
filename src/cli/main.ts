import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeCommandError } from './errors.ts';
import { receiveCommand } from './receive.ts';
import { sendCommand } from './send.ts';
import { serveCommand } from './serve.ts';
import { tokenCommand } from './token.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('dyad')
  .description('Dyad: peer-to-peer WebRTC, end to end')
  .version(version, '-v, --version', 'print the version')
  .addCommand(serveCommand())
  .addCommand(tokenCommand())
  .addCommand(sendCommand())
  .addCommand(receiveCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has already printed its own usage errors.
  if (!(error instanceof CommanderError)) {
    const level = process.env.DYAD_LOG_LEVEL;
    console.error(describeCommandError(error, level === 'debug' || level === 'trace'));
  }
  // Whatever a half-started command opened (a TURN socket before the HTTP port failed) must not keep it alive.
  // `dyad send` and `dyad receive` end with the exit code their --help lists (TransferExit).
  process.exit(
    error instanceof CommanderError ? error.exitCode : ((error as { exitCode?: number }).exitCode ?? 1),
  );
}
