import { Command, Option } from 'commander';
import { mintRoomToken } from '../signaling/index.ts';
import { parseDurationSeconds } from './duration.ts';

export function tokenCommand(): Command {
  return new Command('token')
    .description('mint a join token for ROOM, for a server started with --room-secret')
    .argument('<room>', 'room (streamId) the token admits to')
    .addOption(new Option('--ttl <duration>', 'validity, e.g. 30m, 1h, 7d').default('1h'))
    .addOption(
      new Option('--secret <secret>', 'the server secret (or DYAD_ROOM_SECRET)')
        .env('DYAD_ROOM_SECRET')
        .makeOptionMandatory(),
    )
    .action(async (room: string, flags: { ttl: string; secret: string }) => {
      const expiresAt = Math.floor(Date.now() / 1000) + parseDurationSeconds(flags.ttl);
      console.log(await mintRoomToken(flags.secret, room, expiresAt));
    });
}
