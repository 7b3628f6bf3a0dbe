/**
 * `/receive/<room>`: see what the sender offers (names and sizes), accept or decline, and store the files
 * as they stream in (a chosen folder, or a streaming download), each verified with SHA-256.
 */
import {
  type FileDescription,
  FileReceiver,
  type FileSink,
  type FileTransferProtocolError,
  type ReceiverEvent,
  secretFromFragment,
} from '../../../src/client/file-transfer/index.ts';
import { RoomSession } from '../session.ts';
import { formatBytes, h, icon, mount, setTitle, statusLine } from '../ui.ts';
import { fileNameLabel, ProgressView } from './progress-view.ts';
import { SafetyView } from './safety-view.ts';
import {
  canPickFolder,
  canStreamDownload,
  downloadSink,
  folderSink,
  memorySink,
  pickFolder,
  prepareDownloads,
} from './sinks.ts';
import { openFilesChannel } from './transport.ts';

export function receivePage(room: string): void {
  setTitle('Receive files');
  const status = statusLine();
  const offerArea = h('div', { class: 'offer-area' });
  const progress = new ProgressView('Receiving');
  progress.element.hidden = true;
  const safety = new SafetyView('sender');
  mount(
    h(
      'div',
      { class: 'files-page' },
      h('h1', {}, 'Receive files'),
      status.element,
      offerArea,
      progress.element,
      safety.element,
    ),
  );
  // The secret is in the fragment, which the browser never sends to a server (docs/file-transfer.md §9).
  const secret = secretFromFragment(location.hash);
  if (!secret) {
    status.set(
      'error',
      'This link lacks its secret part (after the #). Ask the sender for the whole link, or copy it again.',
    );
    return;
  }

  let openSink: (file: FileDescription) => Promise<FileSink> = memorySink;
  let finished = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const receiver = new FileReceiver({
    openSink: (file) => openSink(file),
    onEvent: (event) => onEvent(event),
  });
  const render = () => {
    // Files arrive one after another: only the first unfinished one is really being received.
    const current = receiver.files.find((f) => f.state === 'receiving');
    progress.update(
      receiver.files.map((f) => ({
        name: f.description.name,
        size: f.description.size,
        done: f.storedBytes,
        state: f.state === 'receiving' && f !== current ? 'waiting' : f.state,
        // The digests themselves are for the console; the row says what it means.
        ...(f.error
          ? {
              error: f.error.startsWith('SHA-256 mismatch')
                ? 'SHA-256 mismatch: damaged on the way, discarded'
                : f.error,
            }
          : {}),
      })),
    );
  };
  const fail = (error: FileTransferProtocolError) => {
    status.set('error', `The transfer stopped: ${error.message}`);
    finished = true;
    render();
  };

  const showOffer = (files: readonly FileDescription[]) => {
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    const boxes = files.map((file) =>
      h('input', { type: 'checkbox', checked: true, id: `offer-${file.index}`, 'data-index': file.index }),
    );
    const storage = canPickFolder()
      ? 'You will choose a folder; files are written there as they arrive.'
      : canStreamDownload()
        ? 'Files are saved to your Downloads folder as they arrive.'
        : 'This page is not on HTTPS, so files are kept by the browser until complete.';
    const accept = h('button', { type: 'button', class: 'button primary large' }, 'Accept');
    const decline = h('button', { type: 'button', class: 'button secondary large' }, 'Decline');
    accept.addEventListener('click', async () => {
      const chosen = boxes.filter((box) => box.checked).map((box) => Number(box.dataset['index']));
      if (chosen.length === 0) return;
      if (canPickFolder()) {
        try {
          const dir = await pickFolder();
          openSink = (file) => folderSink(dir, file);
        } catch {
          status.set('info', 'No folder chosen. Accept again to pick one.');
          return;
        }
      } else if (canStreamDownload()) {
        // Without the worker (blocked by a policy, private mode) the browser keeps the files until complete.
        openSink = await prepareDownloads().then(
          () => downloadSink,
          () => memorySink,
        );
      }
      offerArea.replaceChildren();
      progress.element.hidden = false;
      status.set('busy', 'Receiving…');
      timer = setInterval(render, 250);
      receiver.accept(chosen);
      render();
    });
    decline.addEventListener('click', () => {
      receiver.decline();
      finished = true;
      offerArea.replaceChildren(h('p', { class: 'panel' }, 'You declined these files.'));
      status.set('info', 'You declined the files.');
    });
    offerArea.replaceChildren(
      h(
        'section',
        { class: 'panel offer', 'aria-labelledby': 'offer-title' },
        h(
          'h2',
          { id: 'offer-title', class: 'panel-title' },
          `${files.length} file${files.length === 1 ? '' : 's'} · ${formatBytes(bytes)}`,
        ),
        h(
          'ul',
          { class: 'file-list', 'aria-label': 'Offered files' },
          ...files.map((file, i) =>
            h(
              'li',
              { class: 'file-row' },
              boxes[i]!,
              h(
                'label',
                { class: 'file-main', for: `offer-${file.index}` },
                fileNameLabel(file.name),
                h('span', { class: 'file-detail' }, formatBytes(file.size)),
              ),
            ),
          ),
        ),
        h('p', { class: 'hint' }, storage),
        h('div', { class: 'row' }, accept, decline),
      ),
    );
    accept.focus();
  };

  const onEvent = (event: ReceiverEvent) => {
    if (event.type === 'offer') {
      status.set('waiting', 'The sender offers these files. Accept them?');
      showOffer(event.files);
    } else if (event.type === 'file-state' && event.state === 'failed') {
      console.warn(
        `[dyad] ${receiver.files[event.index]?.description.name}: ${receiver.files[event.index]?.error}`,
      );
    } else if (event.type === 'resumed') {
      status.set('busy', 'Connection back: resuming from the last verified chunk…');
    } else if (event.type === 'complete') {
      finished = true;
      clearInterval(timer);
      const failed = receiver.files.filter((f) => f.state === 'failed');
      if (failed.length)
        status.set(
          'error',
          `${failed.length} file${failed.length === 1 ? '' : 's'} failed the SHA-256 check and ${failed.length === 1 ? 'was' : 'were'} discarded.`,
        );
      else status.set('ok', 'All files received and verified with SHA-256.');
    } else if (event.type === 'error') fail(event.error);
    render();
  };

  const session = new RoomSession(room);
  status.set('busy', 'Connecting to the sender…');
  void session.join(
    {
      createDataChannels: (pc) =>
        openFilesChannel(
          pc,
          receiver,
          fail,
          (open) => {
            if (!open && !finished && receiver.transferId)
              status.set('warn', 'Connection lost. Reconnecting…');
          },
          { role: 'receiver', pairing: { room, secret }, onProven: (code) => safety.set(code) },
        ),
    },
    (call) => {
      call.addEventListener('joined', () => {
        if (!call.peerConnection && !finished)
          status.set('waiting', 'Waiting for the sender (their page must stay open)…');
      });
      call.addEventListener('peerleft', () => {
        if (!finished) status.set('warn', 'The sender left. The transfer resumes if they come back.');
      });
      call.addEventListener('reconnecting', () => {
        if (!finished) status.set('warn', 'Signaling server unreachable. Retrying…');
      });
      (window as unknown as { dyad: unknown }).dyad = { receiver, call };
    },
    (problem) => {
      if (problem.kind === 'unreachable')
        status.set(
          'warn',
          `Signaling server unreachable. Retrying in ${Math.ceil(problem.retryInMs / 1000)} s…`,
        );
      else if (problem.kind === 'refused' && problem.definition === 'room_full') {
        status.set('error', 'Someone else is already receiving these files.');
      } else if (problem.kind === 'refused')
        status.set('error', `The server refused the room (${problem.definition}).`);
    },
  );
  offerArea.replaceChildren(
    h(
      'div',
      { class: 'panel muted-panel' },
      icon('file'),
      ' The files will be listed here once the sender is connected.',
    ),
  );
  window.addEventListener('beforeunload', (event) => {
    if (receiver.transferId && !finished) event.preventDefault();
  });
  window.addEventListener('pagehide', () => session.leave());
}
