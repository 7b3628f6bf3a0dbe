import { Command } from 'commander';
import { serveCommand } from './serve.ts';
import { tokenCommand } from './token.ts';

const program = new Command('dyad')
  .description('Dyad: peer-to-peer WebRTC, end to end')
  .addCommand(serveCommand())
  .addCommand(tokenCommand());

await program.parseAsync(process.argv);
