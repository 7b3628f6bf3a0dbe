/**
 * `/send`: pick or drop files, get a link and QR code, and stream the files to whoever opens it. The page
 * must stay open until the receiver has them; a dropped connection resumes where it stopped.
 */
import {
  FileSender,
  type FileSource,
  type FileTransferProtocolError,
  newPairing,
  OfferTooLargeError,
  type SenderEvent,
} from '../../../src/client/file-transfer/index.ts';
import { RoomSession } from '../session.ts';
import { formatBytes, h, icon, invitePanel, mount, randomRoom, setTitle, statusLine } from '../ui.ts';
import { ProgressView } from './progress-view.ts';
import { SafetyView } from './safety-view.ts';
import { openFilesChannel } from './transport.ts';

/** Reads a picked file for the sender, a MiB at a time (one disk read serves 16 chunks). */
function fileSource(file: File): FileSource {
  const blockSize = 1024 * 1024;
  let block: { start: number; bytes: Uint8Array } | undefined;
  return {
    name: file.name,
    size: file.size,
    type: file.type,
    lastModified: file.lastModified,
    async read(offset, length) {
      if (!block || offset < block.start || offset + length > block.start + block.bytes.length) {
        const end = Math.min(file.size, offset + Math.max(length, blockSize));
        block = { start: offset, bytes: new Uint8Array(await file.slice(offset, end).arrayBuffer()) };
      }
      return block.bytes.subarray(offset - block.start, offset - block.start + length);
    },
  };
}

export function sendPage(): void {
  setTitle('Send files');
  const picked: File[] = [];
  const status = statusLine();
  const input = h('input', { type: 'file', multiple: true, id: 'file-input', class: 'visually-hidden' });
  const list = h('ul', { class: 'file-list', 'aria-label': 'Files to send' });
  const total = h('p', { class: 'total' });
  const share = h('button', { type: 'button', class: 'button primary large', disabled: true }, 'Create link');
  const drop = h(
    'label',
    { class: 'drop-zone', for: 'file-input' },
    icon('file'),
    h('span', { class: 'drop-title' }, 'Choose files or drop them here'),
    h(
      'span',
      { class: 'drop-hint' },
      'Any size. They stream directly to the receiver, never through a server.',
    ),
  );
  const picker = h(
    'section',
    { class: 'panel picker', 'aria-labelledby': 'send-title' },
    input,
    drop,
    list,
    total,
    share,
  );
  const area = h('div', { class: 'transfer-area' });
  mount(
    h(
      'div',
      { class: 'files-page' },
      h('h1', { id: 'send-title' }, 'Send files'),
      status.element,
      picker,
      area,
    ),
  );
  status.set('info', 'Choose the files to send.');

  const renderList = () => {
    list.replaceChildren(
      ...picked.map((file, i) =>
        h(
          'li',
          { class: 'file-row' },
          icon('file'),
          h(
            'div',
            { class: 'file-main' },
            h('span', { class: 'file-name' }, file.name),
            h('span', { class: 'file-detail' }, formatBytes(file.size)),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'button ghost small',
              'aria-label': `Remove ${file.name}`,
              onclick: () => {
                picked.splice(i, 1);
                renderList();
              },
            },
            'Remove',
          ),
        ),
      ),
    );
    const bytes = picked.reduce((sum, f) => sum + f.size, 0);
    total.textContent = picked.length
      ? `${picked.length} file${picked.length === 1 ? '' : 's'} · ${formatBytes(bytes)}`
      : '';
    share.disabled = picked.length === 0;
  };
  const add = (files: FileList | null) => {
    for (const file of files ?? []) {
      if (
        !picked.some(
          (p) => p.name === file.name && p.size === file.size && p.lastModified === file.lastModified,
        )
      )
        picked.push(file);
    }
    renderList();
  };
  input.addEventListener('change', () => {
    add(input.files);
    input.value = '';
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    add(event.dataTransfer?.files ?? null);
  });
  share.addEventListener('click', () => startSending(picked.slice(), picker, area, status));
}

function startSending(
  files: File[],
  picker: HTMLElement,
  area: HTMLElement,
  status: ReturnType<typeof statusLine>,
): void {
  let sender: FileSender;
  try {
    sender = new FileSender(files.map(fileSource), {
      transferId: randomRoom().replaceAll('-', ''),
      onEvent: (event) => onEvent(event),
    });
  } catch (error) {
    // An offer the receiver would reject: say why while the picker is still there to remove files. The
    // button is below the whole list and the status line above it, so bring the sentence into view.
    if (!(error instanceof OfferTooLargeError)) throw error;
    status.set('error', error.message);
    status.element.scrollIntoView({ block: 'nearest' });
    return;
  }
  // The secret goes in the fragment, which browsers never send to the server (docs/file-transfer.md §9).
  const pairing = newPairing(randomRoom());
  const { room } = pairing;
  const url = `${location.origin}/receive/${room}#${pairing.secret}`;
  picker.hidden = true;
  const progress = new ProgressView('Transfer');
  const safety = new SafetyView('receiver');
  const session = new RoomSession(room);
  let finished = false;
  let receiverPresent = false;
  const invite = h(
    'section',
    { class: 'panel' },
    h('h2', { class: 'panel-title' }, 'Share this link'),
    invitePanel(url, 'Receive link'),
    h('p', { class: 'hint' }, 'In a terminal: ', h('code', {}, `dyad receive '${url}'`)),
  );
  area.replaceChildren(invite, progress.element, safety.element);

  const render = () =>
    progress.update(
      sender.files.map((f) => ({
        name: f.description.name,
        size: f.description.size,
        done: f.ackedBytes,
        state: f.state,
      })),
    );
  const timer = setInterval(render, 250);
  render();

  const fail = (error: FileTransferProtocolError) => {
    status.set('error', `The transfer stopped: ${error.message}`);
    finished = true;
  };
  const onEvent = (event: SenderEvent) => {
    if (event.type === 'accepted')
      status.set('busy', event.resumed ? 'Connection back: resuming where it stopped…' : 'Sending…');
    else if (event.type === 'declined') {
      status.set('warn', 'The receiver declined the files.');
      finished = true;
    } else if (event.type === 'complete') {
      finished = true;
      clearInterval(timer);
      render();
      const failed = sender.files.filter((f) => f.state === 'failed').length;
      if (failed)
        status.set(
          'error',
          `${failed} file${failed === 1 ? '' : 's'} did not arrive intact (SHA-256 mismatch).`,
        );
      else status.set('ok', 'All files delivered and verified with SHA-256 by the receiver.');
    } else if (event.type === 'error') fail(event.error);
    render();
  };

  status.set('busy', 'Connecting to the server…');
  void session.join(
    {
      createDataChannels: (pc) =>
        openFilesChannel(
          pc,
          sender,
          fail,
          (open) => {
            if (!open && !finished)
              status.set('warn', 'Connection lost. Waiting for the receiver to come back…');
          },
          { role: 'sender', pairing, onProven: (code) => safety.set(code) },
        ),
    },
    (call) => {
      call.addEventListener('joined', () => {
        if (!call.peerConnection) status.set('waiting', 'Waiting for the receiver to open the link…');
      });
      call.addEventListener('peerjoined', () => {
        receiverPresent = true;
        if (!finished) status.set('busy', 'Receiver connected. Waiting for them to accept…');
      });
      call.addEventListener('peerleft', () => {
        if (receiverPresent && !finished)
          status.set('warn', 'The receiver left. The transfer resumes when they come back.');
      });
      call.addEventListener('reconnecting', () => {
        if (!finished) status.set('warn', 'Signaling server unreachable. Retrying…');
      });
      (window as unknown as { dyad: unknown }).dyad = { sender, call };
    },
    (problem) => {
      if (problem.kind === 'unreachable')
        status.set(
          'warn',
          `Signaling server unreachable. Retrying in ${Math.ceil(problem.retryInMs / 1000)} s…`,
        );
      else if (problem.kind === 'refused')
        status.set('error', `The server refused the room (${problem.definition}).`);
    },
  );
  window.addEventListener('beforeunload', (event) => {
    if (!finished) event.preventDefault();
  });
  window.addEventListener('pagehide', () => session.leave());
}
