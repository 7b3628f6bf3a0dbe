/**
 * `dyad receive CODE_OR_LINK`: joins the sender's room, proves the code (docs/file-transfer.md §9), shows
 * the offer, asks, and streams the files into a folder (or one file to standard output), each verified
 * with SHA-256. Run again into the same folder after any interruption, it resumes (receive-store.ts).
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import {
  type DyadCall,
  type FileDescription,
  FileReceiver,
  type FileSink,
  type FileTransferProtocolError,
  type ReceiverEvent,
} from '../client/index.ts';
import { UserError } from './errors.ts';
import { ReceiveStore } from './receive-store.ts';
import { joinTransfer } from './transfer-connection.ts';
import { EXIT, EXIT_CODES_HELP, formatSize, TransferExit } from './transfer-format.ts';
import { parseReceiveTarget } from './transfer-link.ts';
import { TransferOutput } from './transfer-progress.ts';

interface ReceiveFlags {
  out: string;
  server?: string;
  token?: string;
  yes?: boolean;
  overwrite?: boolean;
  output?: string;
  json?: boolean;
  relayOnly?: boolean;
}

export function receiveCommand(): Command {
  return new Command('receive')
    .description('receive files from `dyad send` or from the web app’s /send page')
    .argument('<code-or-link>', 'the code or the link the sender printed')
    .option('--out <dir>', 'folder to save into (created if needed)', '.')
    .addOption(
      new Option('--server <url>', 'the signaling server the sender used (a link names it itself)').env(
        'DYAD_SERVER',
      ),
    )
    .addOption(new Option('--token <token>', 'join token, for a server that requires one').env('DYAD_TOKEN'))
    .option('--relay-only', "connect only through the server's TURN relay (hides each side's address)")
    .option('-y, --yes', 'accept the offer without asking')
    .option('--overwrite', 'replace existing files of the same name (by default a new name is chosen)')
    .option('-o, --output <file>', '- streams the single offered file to standard output')
    .option('--json', 'print events as JSON lines, for scripts')
    .addHelpText(
      'after',
      `
Files are written to hidden .dyad-*.part files and renamed once their SHA-256 matches. If this command stops
(Ctrl-C, a lost network, the machine), running it again into the same folder while the sender still runs
resumes where it stopped.
${EXIT_CODES_HELP}`,
    )
    .allowExcessArguments(false)
    .action((codeOrLink: string, flags: ReceiveFlags) => runReceive(codeOrLink, flags));
}

/** One file to standard output: nothing can be taken back, so a bad digest is said loudly (exit 5). */
function stdoutSink(): FileSink {
  return {
    write: (data) =>
      new Promise<void>((resolve, reject) =>
        process.stdout.write(data, (error) => (error ? reject(error) : resolve())),
      ),
    close: async () => {},
    abort: async () => {},
  };
}

async function ask(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

async function runReceive(codeOrLink: string, flags: ReceiveFlags): Promise<void> {
  const target = parseReceiveTarget(codeOrLink, flags.server);
  const toStdout = flags.output !== undefined;
  if (toStdout && flags.output !== '-')
    throw new UserError('-o takes - (standard output); to save into a folder, use --out DIR.');
  const outDir = resolve(flags.out);
  const output = new TransferOutput(
    flags.json === true,
    process.stderr,
    toStdout ? process.stderr : process.stdout,
  );

  let settle: (exit: TransferExit | undefined) => void = () => {};
  const finished = new Promise<TransferExit | undefined>((resolve) => {
    settle = resolve;
  });
  const store = new ReceiveStore(
    outDir,
    flags.overwrite === true,
    (text) => output.say(text),
    (index) => receiver.files[index]?.sha256,
  );
  const receiver: FileReceiver = new FileReceiver({
    keepFolders: true,
    openSink: (file) => (toStdout ? Promise.resolve(stdoutSink()) : store.openSink(file)),
    onEvent: (event) => onEvent(event),
  });
  const fail = (error: FileTransferProtocolError) =>
    settle(
      new TransferExit(
        error.code === 'proof_failed' ? error.message : `The transfer stopped: ${error.message}`,
        error.code === 'proof_failed' ? EXIT.proofFailed : EXIT.failed,
      ),
    );

  const decide = async (files: readonly FileDescription[]) => {
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    output.event('offer', { files: files.map((f) => ({ name: f.name, size: f.size })), bytes });
    output.say(
      `The sender offers ${files.length} file${files.length === 1 ? '' : 's'} (${formatSize(bytes)}):`,
    );
    for (const file of files.slice(0, 20)) output.say(`  ${file.name}  ${formatSize(file.size)}`);
    if (files.length > 20) output.say(`  … and ${files.length - 20} more`);
    if (toStdout && files.length !== 1)
      throw new TransferExit(
        `-o - takes exactly one file, and the sender offers ${files.length}: use --out DIR instead.`,
        EXIT.failed,
      );
    if (!toStdout) await store.plan(receiver.transferId!, receiver.chunkSize, files);
    const all = files.map((f) => f.index);
    const resume = toStdout ? { finished: 0, bytes: 0 } : await store.restore(receiver, all);
    if (resume.bytes > 0)
      output.say(
        `${formatSize(resume.bytes)} of this transfer is already in ${outDir}: resuming from there.`,
      );
    if (!flags.yes) {
      if (!process.stdin.isTTY)
        throw new TransferExit(
          'Standard input is not a terminal, so nobody can be asked: run again with --yes to accept these files.',
          EXIT.failed,
        );
      const where = toStdout ? 'standard output' : outDir;
      if (!(await ask(`Accept and save into ${where}? [y/N] `))) {
        receiver.decline();
        throw new TransferExit('You declined the files.', EXIT.declined);
      }
    }
    if (!toStdout) await store.save();
    output.event('accepted', { resumedBytes: resume.bytes });
    receiver.accept(all);
    output.start(() =>
      receiver.files.map((f) => ({
        name: f.description.name,
        size: f.description.size,
        done: f.storedBytes,
        state: f.state,
      })),
    );
  };

  const onEvent = (event: ReceiverEvent) => {
    if (event.type === 'offer') {
      decide(event.files).catch((error: unknown) =>
        settle(error instanceof TransferExit ? error : new TransferExit(String(error), EXIT.failed)),
      );
    } else if (event.type === 'resumed') {
      output.event('resumed');
      output.say('Connection back: resuming where it stopped.');
    } else if (event.type === 'file-state' && (event.state === 'verified' || event.state === 'failed')) {
      const file = receiver.files[event.index]!;
      output.event('file', {
        index: event.index,
        name: file.description.name,
        state: event.state,
        sha256: file.sha256,
      });
      output.say(
        event.state === 'verified'
          ? `Received ${file.description.name} (${formatSize(file.description.size)}), SHA-256 verified.`
          : `${file.description.name} arrived damaged (${file.error}): ${toStdout ? 'what was written to standard output is not the file' : 'discarded'}.`,
      );
    } else if (event.type === 'complete') {
      const failed = receiver.files.filter((f) => f.state === 'failed').length;
      settle(
        failed
          ? new TransferExit(`${failed} file${failed === 1 ? '' : 's'} arrived damaged.`, EXIT.corrupt)
          : undefined,
      );
    } else if (event.type === 'error') fail(event.error);
  };

  output.say('Connecting to the sender…');
  let done = false;
  let call: DyadCall | undefined;
  try {
    call = await joinTransfer({
      wsUrl: target.wsUrl,
      room: target.room,
      secret: target.secret,
      role: 'receiver',
      endpoint: receiver,
      ...(flags.token && { token: flags.token }),
      relayOnly: flags.relayOnly === true,
      onProtocolError: fail,
      onProven: (safetyCode) => {
        output.event('connected', { safetyCode });
        output.say(`Connected to the sender. Safety code: ${safetyCode} (the sender sees the same).`);
      },
      onChannelClosed: () => output.stop(),
    });
    const joinedCall = call;
    const waiting = setTimeout(() => {
      if (!joinedCall.peerConnection)
        output.say('Waiting for the sender (its command or page must keep running)…');
    }, 2_000);
    void finished.then(() => clearTimeout(waiting));
    call.addEventListener('peerleft', () => {
      if (done) return;
      output.stop();
      output.say('The sender left. If it comes back, the transfer resumes.');
    });
    process.once('SIGINT', () => {
      const again = `dyad ${process.argv.slice(2).join(' ')}`;
      settle(
        new TransferExit(
          toStdout
            ? 'Stopped. What went to standard output is incomplete; a transfer to standard output cannot resume.'
            : `Stopped. What arrived is kept in ${outDir}: run the same command again (${again}) while the ` +
                'sender still runs to resume where it stopped.',
          EXIT.interrupted,
        ),
      );
    });
    const exit = await finished;
    done = true;
    output.stop();
    // The last acknowledgements and verdicts must reach the sender before the connection closes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (exit) throw exit;
    if (!toStdout) await store.finish();
    const bytes = receiver.files.reduce((sum, f) => sum + f.description.size, 0);
    output.event('complete', { files: receiver.files.length, bytes, out: outDir });
    output.say(
      `Received ${receiver.files.length} file${receiver.files.length === 1 ? '' : 's'} (${formatSize(bytes)}) ` +
        `${toStdout ? 'to standard output' : `into ${outDir}`}, all verified with SHA-256.`,
    );
  } finally {
    output.stop();
    call?.leave();
  }
  process.exit(EXIT.ok);
}
