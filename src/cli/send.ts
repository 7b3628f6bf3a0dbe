/**
 * `dyad send PATH...`: offers files and folders to one receiver, a browser (the printed link) or another
 * terminal (`dyad receive` with the printed code), with the web app's protocol (docs/file-transfer.md).
 * Without --server it runs the signaling server itself on this machine's LAN address, so two devices on
 * one network need nothing else.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import QRCode from 'qrcode';
import {
  type DyadCall,
  FileSender,
  type FileTransferProtocolError,
  newPairing,
  OfferTooLargeError,
  type Pairing,
  pairingCode,
  randomCodeCharacters,
  type SenderEvent,
} from '../client/index.ts';
import { type RunningServer, startServer } from '../server/index.ts';
import { UserError } from './errors.ts';
import { collectFiles, diskSources, type LocalFile, stdinToFile } from './send-files.ts';
import { joinTransfer, loopbackOnly } from './transfer-connection.ts';
import { EXIT, EXIT_CODES_HELP, formatSize, TransferExit } from './transfer-format.ts';
import { lanAddress, receiveLink, type SignalingTarget, signalingTarget } from './transfer-link.ts';
import { TransferOutput } from './transfer-progress.ts';
import { buildWebAppIfStale } from './web-build.ts';

const webDir = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'web');

interface SendFlags {
  server?: string;
  token?: string;
  room?: string;
  port: number;
  followSymlinks?: boolean;
  json?: boolean;
  relayOnly?: boolean;
  qr: boolean;
  webBuild: boolean;
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535)
    throw new InvalidArgumentError(`--port takes a port number, got "${value}".`);
  return parsed;
}

export function sendCommand(): Command {
  return new Command('send')
    .description('send files and folders to a browser or another terminal (`dyad receive`)')
    .argument('<paths...>', 'files and folders to send (folders recursively), or - for standard input')
    .addOption(
      new Option(
        '--server <url>',
        'the `dyad serve` to meet through (default: run one here, on this machine’s LAN address)',
      ).env('DYAD_SERVER'),
    )
    .addOption(new Option('--token <token>', 'join token, for a server that requires one').env('DYAD_TOKEN'))
    .option('--room <name>', 'room name (the one --token admits to); random by default')
    .addOption(
      new Option('--port <port>', 'port of the built-in server (without --server); 0: any free port')
        .default(0)
        .argParser(port),
    )
    .option('--relay-only', "connect only through the server's TURN relay (hides each side's address)")
    .option('--follow-symlinks', 'send what symbolic links inside folders point to (skipped by default)')
    .option('--json', 'print events as JSON lines on standard output, for scripts')
    .option('--no-qr', 'do not draw the link as a QR code')
    .addOption(new Option('--no-web-build', 'do not build the web app for the link').env('DYAD_NO_WEB_BUILD'))
    .addHelpText(
      'after',
      `
The receiver runs the printed \`dyad receive\` command, or opens the link in a browser. Both carry a
secret the signaling server never sees; the two sides prove they know it before any file byte moves.
Keep this command running until the receiver has everything: if the receiver stops, running its command
again resumes where it stopped.
${EXIT_CODES_HELP}`,
    )
    .allowExcessArguments(false)
    .action((paths: string[], flags: SendFlags) => runSend(paths, flags));
}

async function meetingPoint(
  flags: SendFlags,
  output: TransferOutput,
): Promise<{ target: SignalingTarget; server?: RunningServer }> {
  if (flags.server) return { target: signalingTarget(flags.server) };
  let host = loopbackOnly() ? '127.0.0.1' : lanAddress();
  if (!host) {
    output.say('This machine has no network address: only receivers on this machine can connect.');
    host = '127.0.0.1';
  }
  let webRoot: string | undefined = join(webDir, 'dist');
  if (flags.webBuild) await buildWebAppIfStale(webDir, webRoot, pino({ level: 'silent' }));
  if (!existsSync(join(webRoot, 'index.html'))) {
    output.say('The web app is not built (npm run build:web): the link works only once it is.');
    webRoot = undefined;
  }
  const server = await startServer({ host, port: flags.port, webRoot, logLevel: 'silent' }).catch(
    (error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError(
        code === 'EADDRINUSE'
          ? `Port ${flags.port} is already in use: choose another with --port, or 0 for any free port.`
          : `Could not start the built-in signaling server on ${host} (${code ?? String(error)}).`,
      );
    },
  );
  return { target: { wsUrl: server.wsUrl(), webOrigin: server.url }, server };
}

async function printInvitation(
  output: TransferOutput,
  flags: SendFlags,
  pairing: Pairing,
  target: SignalingTarget,
  files: LocalFile[],
): Promise<void> {
  const link = receiveLink(target.webOrigin, pairing);
  const code = pairingCode(pairing);
  const serverFlag =
    flags.server && process.env.DYAD_SERVER === flags.server ? '' : ` --server ${target.webOrigin}`;
  const command = `dyad receive ${code}${serverFlag}`;
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  output.event('ready', { link, code, command, room: pairing.room, files: files.length, bytes });
  if (output.mode === 'json') return;
  const lines = [
    `Sending ${files.length} file${files.length === 1 ? '' : 's'} (${formatSize(bytes)}).`,
    '',
    `In a browser, open:  ${link}`,
    `In a terminal, run:  ${command}`,
    '',
  ];
  if (flags.qr && process.stdout.isTTY)
    lines.push(await QRCode.toString(link, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
  lines.push(`Keep this running until the receiver has the files. Ctrl-C stops.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function runSend(paths: string[], flags: SendFlags): Promise<void> {
  const output = new TransferOutput(flags.json === true, process.stderr, process.stdout);
  if (flags.relayOnly && !flags.server)
    throw new UserError(
      '--relay-only needs --server: the built-in server of this command runs no TURN relay.',
    );
  const cleanups: (() => Promise<void>)[] = [];
  let files: LocalFile[];
  if (paths.length === 1 && paths[0] === '-') {
    const piped = await stdinToFile();
    cleanups.push(piped.cleanup);
    files = [piped.file];
  } else {
    if (paths.includes('-'))
      throw new UserError('- (standard input) cannot be sent together with other files.');
    files = await collectFiles(paths, {
      followSymlinks: flags.followSymlinks === true,
      warn: (text) => output.say(text),
    });
  }
  const disk = diskSources(files);
  cleanups.push(disk.closeAll);

  let settle: (exit: TransferExit | undefined) => void = () => {};
  const finished = new Promise<TransferExit | undefined>((resolve) => {
    settle = resolve;
  });
  let sender: FileSender;
  try {
    sender = new FileSender(disk.sources, {
      transferId: randomCodeCharacters(16),
      onEvent: (event) => onEvent(event),
    });
  } catch (error) {
    if (error instanceof OfferTooLargeError) throw new UserError(error.message);
    throw error;
  }
  const onEvent = (event: SenderEvent) => {
    if (event.type === 'accepted') {
      // Where each file (re)starts: after a resume, only the rest moves.
      const fromBytes = sender.files.reduce((sum, f) => sum + (f.state === 'waiting' ? f.sentBytes : 0), 0);
      output.event('accepted', { resumed: event.resumed, fromBytes });
      output.say(
        event.resumed ? 'The receiver is back: resuming where it stopped.' : 'The receiver accepted.',
      );
      output.start(() =>
        sender.files.map((f) => ({
          name: f.description.name,
          size: f.description.size,
          done: f.ackedBytes,
          state: f.state,
        })),
      );
    } else if (event.type === 'declined') {
      settle(new TransferExit('The receiver declined the files.', EXIT.declined));
    } else if (event.type === 'file-state' && (event.state === 'verified' || event.state === 'failed')) {
      const file = sender.files[event.index]!;
      output.event('file', { index: event.index, name: file.description.name, state: event.state });
      output.say(
        event.state === 'verified'
          ? `Delivered ${file.description.name} (${formatSize(file.description.size)}), verified by the receiver.`
          : `${file.description.name} arrived damaged (SHA-256 mismatch): the receiver discarded it.`,
      );
    } else if (event.type === 'complete') {
      const failed = sender.files.filter((f) => f.state === 'failed').length;
      settle(
        failed
          ? new TransferExit(`${failed} file${failed === 1 ? '' : 's'} did not arrive intact.`, EXIT.corrupt)
          : undefined,
      );
    } else if (event.type === 'error') fail(event.error);
  };
  const fail = (error: FileTransferProtocolError) =>
    settle(
      new TransferExit(
        error.code === 'proof_failed' ? error.message : `The transfer stopped: ${error.message}`,
        error.code === 'proof_failed' ? EXIT.proofFailed : EXIT.failed,
      ),
    );

  const pairing = newPairing(flags.room);
  const { target, server } = await meetingPoint(flags, output);
  if (server) cleanups.push(server.close);
  let call: DyadCall | undefined;
  let done = false;
  try {
    call = await joinTransfer({
      wsUrl: target.wsUrl,
      room: pairing.room,
      secret: pairing.secret,
      role: 'sender',
      endpoint: sender,
      ...(flags.token && { token: flags.token }),
      relayOnly: flags.relayOnly === true,
      // On a LAN the host candidates reach; with a server, ask it for its STUN/TURN.
      ...(server && { iceServers: [] }),
      onProtocolError: fail,
      onProven: (safetyCode) => {
        output.event('connected', { safetyCode });
        output.say(`Connected to the receiver. Safety code: ${safetyCode} (the receiver sees the same).`);
      },
      onChannelClosed: () => output.stop(),
    });
    call.addEventListener('peerleft', () => {
      if (done) return;
      output.stop();
      output.event('receiver-left');
      output.say('The receiver left. Waiting for it to come back: the transfer resumes where it stopped.');
    });
    await printInvitation(output, flags, pairing, target, files);
    process.once('SIGINT', () => {
      sender.cancel('the sender stopped');
      settle(
        new TransferExit(
          'Stopped: nothing more is sent, and the receiver discards unfinished files. Run dyad send again to start a new transfer.',
          EXIT.interrupted,
        ),
      );
    });
    const exit = await finished;
    done = true;
    output.stop();
    // Let the last messages (cancel, error) leave before the connection closes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (exit) throw exit;
    output.event('complete', { files: files.length });
    output.say('All files delivered and verified with SHA-256 by the receiver.');
  } finally {
    output.stop();
    call?.leave();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
  process.exit(EXIT.ok);
}
