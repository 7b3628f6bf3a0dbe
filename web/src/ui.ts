/** Small DOM helpers shared by the pages: element creation, formatting, invite links with QR codes. */
import QRCode from 'qrcode';

type Child = Node | string | false | null | undefined;
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** Creates an element; `on*` attributes given functions become listeners, `false`/`undefined` are skipped. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === 'class') element.className = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    element.append(child);
  }
  return element;
}

export function mount(...children: Node[]): HTMLElement {
  const main = document.getElementById('main')!;
  main.replaceChildren(...children);
  return main;
}

/** Sets the page title and moves focus to the main region, as a screen reader expects after navigation. */
export function setTitle(title: string): void {
  document.title = `${title} · Dyad`;
}

const roomAlphabet = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A random room name like `k3f9-x2pq-7mwd` (59 bits): the link is the only key to the room. */
export function randomRoom(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const chars = [...bytes].map((b) => roomAlphabet[b % roomAlphabet.length]);
  return [chars.slice(0, 4), chars.slice(4, 8), chars.slice(8, 12)].map((group) => group.join('')).join('-');
}

export function isValidRoom(room: string): boolean {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(room);
}

export function signalingUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/WebRTCAppEE/websocket`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatBitrate(bitsPerSecond: number): string {
  if (bitsPerSecond < 1000) return `${Math.round(bitsPerSecond)} bit/s`;
  if (bitsPerSecond < 1_000_000) return `${(bitsPerSecond / 1000).toFixed(0)} kbit/s`;
  return `${(bitsPerSecond / 1_000_000).toFixed(2)} Mbit/s`;
}

/** An icon from the inline SVG set below; decorative, so hidden from screen readers. */
export function icon(name: keyof typeof iconPaths): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', iconPaths[name]);
  svg.append(path);
  return svg;
}

const iconPaths = {
  mic: 'M12 14a3 3 0 0 0 3-3V5a3 3 0 1 0-6 0v6a3 3 0 0 0 3 3Zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1A7 7 0 0 0 19 11h-2Z',
  micOff:
    'M19 11h-2a5 5 0 0 1-.6 2.4l1.5 1.5A7 7 0 0 0 19 11ZM15 11V5a3 3 0 0 0-5.9-.8L15 10.1V11ZM4.3 3 3 4.3l6 6V11a3 3 0 0 0 4.5 2.6l1.6 1.6A5 5 0 0 1 7 11H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 3.5-1.4l3.2 3.2 1.3-1.3Z',
  cam: 'M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11l-4 4Z',
  camOff:
    'M21 6.5l-4 4V7a1 1 0 0 0-1-1H9.8L21 17.2V6.5ZM3.3 2 2 3.3 4.7 6H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12c.2 0 .4-.1.5-.2l3.2 3.2 1.3-1.3Z',
  screen:
    'M20 3H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h6v2H8v2h8v-2h-2v-2h6a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2Zm0 13H4V5h16v11Z',
  hangup:
    'M12 9c-1.6 0-3.2.3-4.6.8v3.1c0 .4-.2.7-.6.9-1 .5-1.9 1.1-2.6 1.8a1 1 0 0 1-1.4 0L.3 13.1a1 1 0 0 1 0-1.4C3.4 8.8 7.5 7 12 7s8.6 1.8 11.7 4.7a1 1 0 0 1 0 1.4l-2.5 2.5a1 1 0 0 1-1.4 0c-.8-.7-1.7-1.3-2.6-1.8a1 1 0 0 1-.6-.9V9.8C15.2 9.3 13.6 9 12 9Z',
  settings:
    'M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7 7 0 0 0-1.7-1l-.4-2.6h-4l-.4 2.7a7 7 0 0 0-1.7 1l-2.5-1-2 3.4L4.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7 7 0 0 0 1.7 1l.4 2.6h4l.4-2.7a7 7 0 0 0 1.7-1l2.5 1 2-3.4L19.4 13ZM12 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7Z',
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2Z',
  copy: 'M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1Zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2Zm0 16H8V7h11v14Z',
  file: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6Zm-1 7V3.5L18.5 9H13Z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4L9 16.2Z',
  stats: 'M5 9.2h3V19H5V9.2ZM10.6 5h2.8v14h-2.8V5Zm5.6 8H19v6h-2.8v-6Z',
  shield:
    'M12 1 3 5v6c0 5.6 3.8 10.7 9 12 5.2-1.3 9-6.4 9-12V5l-9-4Zm-2 16-4-4 1.4-1.4 2.6 2.6 6.6-6.6L18 9l-8 8Z',
};

/** A block with the shareable link, a copy button and the link's QR code. */
export function invitePanel(url: string, label: string): HTMLElement {
  const qr = h('div', { class: 'qr', role: 'img', 'aria-label': `QR code of the link ${url}` });
  void QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then((svg) => {
    qr.innerHTML = svg;
    qr.querySelector('svg')?.setAttribute('aria-hidden', 'true');
  });
  const copied = h('span', { class: 'copied', role: 'status', 'aria-live': 'polite' });
  const input = h('input', {
    class: 'link-input',
    type: 'text',
    readonly: true,
    value: url,
    'aria-label': label,
  });
  const copy = h(
    'button',
    {
      type: 'button',
      class: 'button secondary',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(url);
          copied.textContent = 'Link copied';
        } catch {
          input.select();
          copied.textContent = 'Press Ctrl+C to copy';
        }
        setTimeout(() => {
          copied.textContent = '';
        }, 2500);
      },
    },
    icon('copy'),
    'Copy link',
  );
  return h(
    'div',
    { class: 'invite' },
    qr,
    h(
      'div',
      { class: 'invite-link' },
      h('p', { class: 'invite-label' }, label),
      input,
      h('div', {}, copy, copied),
    ),
  );
}

/** The live status line: `role=status` so screen readers announce changes politely. */
export function statusLine(): { element: HTMLElement; set(kind: StatusKind, text: string): void } {
  const text = h('span', { class: 'status-text' });
  const element = h(
    'div',
    { class: 'status', role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'dot' }),
    text,
  );
  return {
    element,
    set(kind, value) {
      element.dataset['kind'] = kind;
      text.textContent = value;
    },
  };
}

export type StatusKind = 'info' | 'waiting' | 'busy' | 'ok' | 'warn' | 'error';
