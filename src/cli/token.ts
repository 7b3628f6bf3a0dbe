import { Command, InvalidArgumentError, Option } from 'commander';
import { isValidStreamId, mintRoomToken } from '../signaling/index.ts';
import { parseDurationSeconds } from './duration.ts';

function ttlSeconds(text: string): number {
  try {
    return parseDurationSeconds(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function roomName(text: string): string {
  if (!isValidStreamId(text))
    throw new InvalidArgumentError(
      `A room name is 1 to 128 letters, digits, '_', '.' or '-' (as the signaling protocol allows), got "${text}".`,
    );
  return text;
}

export function tokenCommand(): Command {
  return (
    new Command('token')
      .description('mint a join token for ROOM, for a server started with --room-secret')
      .argument('<room>', 'room (streamId) the token admits to', roomName)
      // `--ttl 2 days` must not quietly mint a 2-second token: a stray word is an error.
      .allowExcessArguments(false)
      .addOption(
        new Option('--ttl <duration>', 'validity, e.g. 30m, 1h, 7d')
          .default(3600, '1h')
          .argParser(ttlSeconds),
      )
      .addOption(
        new Option('--secret <secret>', 'the server secret (or DYAD_ROOM_SECRET)')
          .env('DYAD_ROOM_SECRET')
          .makeOptionMandatory(),
      )
      .action(async (room: string, flags: { ttl: number; secret: string }) => {
        const expiresAt = Math.floor(Date.now() / 1000) + flags.ttl;
        console.log(await mintRoomToken(flags.secret, room, expiresAt));
      })
  );
}
