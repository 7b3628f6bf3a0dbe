/** The call page's DOM: stage with both videos, the state overlay, the control bar and the side panels. */

import { formatBitrate, h, icon, invitePanel, type StatusKind, statusLine } from '../ui.ts';
import { ChatPanel } from './chat.ts';
import { type CallStats, describePath } from './stats.ts';

export type CallViewState =
  | 'starting'
  | 'connecting-server'
  | 'server-unreachable'
  | 'server-reconnecting'
  | 'waiting'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'peer-left'
  | 'room-full'
  | 'ended'
  | 'failed';

const stateText: Record<CallViewState, [StatusKind, string]> = {
  starting: ['busy', 'Starting camera and microphone…'],
  'connecting-server': ['busy', 'Connecting to the server…'],
  'server-unreachable': ['warn', 'Signaling server unreachable. Retrying…'],
  'server-reconnecting': ['warn', 'Reconnecting to the signaling server…'],
  waiting: ['waiting', 'Waiting for the other person to join'],
  connecting: ['busy', 'Connecting to the other person…'],
  connected: ['ok', 'Connected'],
  reconnecting: ['warn', 'Connection interrupted. Reconnecting (ICE restart)…'],
  'peer-left': ['waiting', 'The other person left'],
  'room-full': ['error', 'This call is full'],
  ended: ['info', 'You left the call'],
  failed: ['error', 'The call could not start'],
};

export interface CallControls {
  toggleMic(): void;
  toggleCamera(): void;
  toggleScreen(): void;
  hangUp(): void;
  rejoin(): void;
  chooseDevice(kind: 'audio' | 'video', deviceId: string): void;
}

function toggleButton(
  label: string,
  iconName: Parameters<typeof icon>[0],
  onclick: () => void,
): HTMLButtonElement {
  return h(
    'button',
    { type: 'button', class: 'control', onclick },
    icon(iconName),
    h('span', { class: 'control-label' }, label),
  );
}

export class CallView {
  readonly element: HTMLElement;
  readonly remoteVideo: HTMLVideoElement;
  readonly localVideo: HTMLVideoElement;
  readonly chat = new ChatPanel();
  readonly #status = statusLine();
  readonly #overlay: HTMLElement;
  /** Shown when the browser's autoplay policy refuses to play the remote media until the person clicks. */
  readonly #playPrompt: HTMLButtonElement;
  readonly #notice: HTMLElement;
  readonly #remoteBadges: HTMLElement;
  readonly #localBadges: HTMLElement;
  readonly #mic: HTMLButtonElement;
  readonly #camera: HTMLButtonElement;
  readonly #screen: HTMLButtonElement;
  readonly #hangUp: HTMLButtonElement;
  readonly #settings: HTMLElement;
  readonly #micSelect: HTMLSelectElement;
  readonly #cameraSelect: HTMLSelectElement;
  readonly #safety: HTMLElement;
  readonly #path: HTMLElement;
  readonly #stats: Record<string, HTMLElement> = {};
  readonly #inviteUrl: string;
  readonly #controls: CallControls;
  state: CallViewState = 'starting';

  constructor(room: string, controls: CallControls) {
    this.#controls = controls;
    this.#inviteUrl = `${location.origin}/call/${room}`;
    this.remoteVideo = h('video', {
      class: 'remote-video',
      autoplay: true,
      playsinline: true,
      'aria-label': 'The other person',
    });
    this.localVideo = h('video', {
      class: 'local-video',
      autoplay: true,
      playsinline: true,
      'aria-label': 'Your camera preview',
    });
    this.localVideo.muted = true;
    this.#overlay = h('div', { class: 'stage-overlay' });
    this.#playPrompt = h(
      'button',
      {
        type: 'button',
        class: 'button primary large play-prompt',
        hidden: true,
        onclick: () => {
          this.#playPrompt.hidden = true;
          void this.remoteVideo.play().catch(() => {
            this.#playPrompt.hidden = false;
          });
        },
      },
      icon('cam'),
      'Start video and sound',
    );
    this.#remoteBadges = h('div', { class: 'badges', 'aria-live': 'polite' });
    this.#localBadges = h('div', { class: 'badges' });
    this.#notice = h('p', { class: 'notice', role: 'alert', hidden: true });

    this.#mic = toggleButton('Mute', 'mic', () => controls.toggleMic());
    this.#camera = toggleButton('Camera off', 'cam', () => controls.toggleCamera());
    this.#screen = toggleButton('Share screen', 'screen', () => controls.toggleScreen());
    const settingsButton = toggleButton('Devices', 'settings', () => {
      const open = this.#settings.hidden;
      this.#settings.hidden = !open;
      settingsButton.setAttribute('aria-expanded', String(open));
    });
    settingsButton.setAttribute('aria-expanded', 'false');
    settingsButton.setAttribute('aria-controls', 'device-settings');
    this.#hangUp = h(
      'button',
      { type: 'button', class: 'control danger', onclick: () => controls.hangUp() },
      icon('hangup'),
      h('span', { class: 'control-label' }, 'Hang up'),
    );
    if (!navigator.mediaDevices?.getDisplayMedia) this.#screen.hidden = true;

    this.#micSelect = h('select', { id: 'mic-select' });
    this.#cameraSelect = h('select', { id: 'camera-select' });
    this.#micSelect.addEventListener('change', () => controls.chooseDevice('audio', this.#micSelect.value));
    this.#cameraSelect.addEventListener('change', () =>
      controls.chooseDevice('video', this.#cameraSelect.value),
    );
    this.#settings = h(
      'div',
      { class: 'device-settings', id: 'device-settings', hidden: true },
      h('label', { for: 'mic-select' }, 'Microphone'),
      this.#micSelect,
      h('label', { for: 'camera-select' }, 'Camera'),
      this.#cameraSelect,
    );

    this.#safety = h('p', { class: 'safety-code', 'aria-live': 'polite' }, '—');
    this.#path = h('p', { class: 'path' }, '—');
    const statsList = h('dl', { class: 'stats-list' });
    for (const [key, label] of [
      ['rtt', 'Round-trip time'],
      ['in', 'Bitrate in'],
      ['out', 'Bitrate out'],
      ['lost', 'Packets lost'],
      ['resolution', 'Resolution'],
      ['fps', 'Frame rate'],
    ] as const) {
      const value = h('dd', { 'data-stat': key }, '—');
      this.#stats[key] = value;
      statsList.append(h('div', { class: 'stat' }, h('dt', {}, label), value));
    }

    const stage = h(
      'section',
      { class: 'stage', 'aria-label': 'Video' },
      this.remoteVideo,
      this.#remoteBadges,
      this.#playPrompt,
      this.#overlay,
      h(
        'div',
        { class: 'local' },
        this.localVideo,
        h('span', { class: 'local-label' }, 'You'),
        this.#localBadges,
      ),
    );
    const toolbar = h(
      'div',
      { class: 'controls', role: 'toolbar', 'aria-label': 'Call controls' },
      this.#mic,
      this.#camera,
      this.#screen,
      settingsButton,
      this.#hangUp,
    );
    const info = h(
      'section',
      { class: 'panel info', 'aria-labelledby': 'info-title' },
      h('h2', { id: 'info-title', class: 'panel-title' }, icon('shield'), 'Safety code'),
      this.#safety,
      h(
        'p',
        { class: 'hint' },
        'Read this code to each other. If both screens show the same code, nobody is listening in between.',
      ),
      h('h3', { class: 'panel-subtitle' }, 'Connection path'),
      this.#path,
      h('h3', { class: 'panel-subtitle' }, icon('stats'), 'Statistics'),
      statsList,
    );
    this.element = h(
      'div',
      { class: 'call-page' },
      h('div', { class: 'call-top' }, this.#status.element, this.#notice),
      h(
        'div',
        { class: 'call-main' },
        h('div', { class: 'call-left' }, stage, toolbar, this.#settings),
        h('aside', { class: 'call-side' }, info, this.chat.element),
      ),
    );
    this.setState('starting');
  }

  /** `mediaUp`: the peer connection still carries the call (only signaling is down), so keep it visible. */
  setState(state: CallViewState, detail?: string, mediaUp = false): void {
    this.state = state;
    this.element.dataset['state'] = state;
    const [kind, text] = stateText[state];
    this.#status.set(kind, detail ? `${text} ${detail}` : text);
    this.#overlay.replaceChildren(...this.#overlayFor(state));
    this.#overlay.hidden = mediaUp || state === 'connected' || state === 'reconnecting';
    const live = state !== 'ended' && state !== 'room-full' && state !== 'failed';
    this.#hangUp.disabled = !live;
    if (state !== 'connected' && state !== 'reconnecting' && !mediaUp) this.setSafetyCode(undefined);
  }

  #overlayFor(state: CallViewState): Node[] {
    switch (state) {
      case 'server-unreachable':
      case 'server-reconnecting':
        return [
          h('div', { class: 'spinner', 'aria-hidden': 'true' }),
          h('h2', { class: 'overlay-title' }, 'Cannot reach the server'),
          h('p', {}, 'Dyad keeps trying. Check your connection; the call resumes by itself.'),
        ];
      case 'waiting':
      case 'peer-left':
        return [
          h(
            'h2',
            { class: 'overlay-title' },
            state === 'peer-left' ? 'The other person left' : 'Invite someone to this call',
          ),
          h(
            'p',
            {},
            state === 'peer-left'
              ? 'They can come back with the same link.'
              : 'Send this link, or let them scan the code.',
          ),
          invitePanel(this.#inviteUrl, 'Call link'),
        ];
      case 'room-full':
        return [
          h('h2', { class: 'overlay-title' }, 'This call already has two people'),
          h('p', {}, 'Calls are between two people. Start a new call instead.'),
          h('a', { class: 'button primary', href: '/' }, 'Start a new call'),
        ];
      case 'ended':
        return [
          h('h2', { class: 'overlay-title' }, 'You left the call'),
          h(
            'div',
            { class: 'row' },
            h(
              'button',
              { type: 'button', class: 'button primary', onclick: () => this.#controls.rejoin() },
              'Rejoin',
            ),
            h('a', { class: 'button secondary', href: '/' }, 'Home'),
          ),
        ];
      case 'failed':
        return [
          h('h2', { class: 'overlay-title' }, 'The call could not start'),
          h('a', { class: 'button primary', href: '/' }, 'Home'),
        ];
      default:
        return [h('div', { class: 'spinner', 'aria-hidden': 'true' })];
    }
  }

  /** Plays the remote media, or asks for the click the browser's autoplay policy wants first. */
  playRemote(): void {
    void this.remoteVideo.play().then(
      () => {
        this.#playPrompt.hidden = true;
      },
      (error: unknown) => {
        if (error instanceof DOMException && error.name === 'NotAllowedError')
          this.#playPrompt.hidden = false;
      },
    );
  }

  setNotice(text: string | undefined): void {
    this.#notice.hidden = !text;
    this.#notice.textContent = text ?? '';
  }

  setLocalMedia(state: {
    audio: boolean;
    video: boolean;
    screen: boolean;
    hasAudio: boolean;
    hasVideo: boolean;
  }): void {
    setPressed(
      this.#mic,
      !state.audio && state.hasAudio,
      state.audio ? 'Mute' : 'Unmute',
      state.audio ? 'mic' : 'micOff',
    );
    setPressed(
      this.#camera,
      !state.video && state.hasVideo,
      state.video ? 'Camera off' : 'Camera on',
      state.video ? 'cam' : 'camOff',
    );
    setPressed(this.#screen, state.screen, state.screen ? 'Stop sharing' : 'Share screen', 'screen');
    this.#mic.disabled = !state.hasAudio;
    this.#camera.disabled = !state.hasVideo;
    this.#localBadges.replaceChildren(
      ...badges(
        state.hasAudio && !state.audio,
        state.hasVideo && !state.video && !state.screen,
        state.screen,
        'You',
      ),
    );
  }

  setRemoteMedia(state: { audio: boolean; video: boolean; screen: boolean } | undefined): void {
    this.#remoteBadges.replaceChildren(
      ...(state ? badges(!state.audio, !state.video && !state.screen, state.screen, 'They') : []),
    );
  }

  setDevices(kind: 'audio' | 'video', devices: MediaDeviceInfo[], currentId: string | undefined): void {
    const select = kind === 'audio' ? this.#micSelect : this.#cameraSelect;
    select.replaceChildren(
      ...devices.map((device, i) =>
        h(
          'option',
          { value: device.deviceId, selected: device.deviceId === currentId },
          device.label || `${kind === 'audio' ? 'Microphone' : 'Camera'} ${i + 1}`,
        ),
      ),
    );
    select.disabled = devices.length < 2;
  }

  setSafetyCode(code: string | undefined): void {
    this.#safety.textContent = code ?? '—';
    if (code) this.#safety.setAttribute('aria-label', `Safety code ${code.split('').join(' ')}`);
    else this.#safety.removeAttribute('aria-label');
  }

  setStats(stats: CallStats | undefined): void {
    this.#path.textContent = stats?.path ? describePath(stats.path) : '—';
    this.#path.dataset['relayed'] = String(stats?.path?.relayed ?? false);
    const set = (key: string, value: string | undefined) => {
      this.#stats[key]!.textContent = value ?? '—';
    };
    set('rtt', stats?.roundTripMs !== undefined ? `${stats.roundTripMs.toFixed(0)} ms` : undefined);
    set('in', stats?.bitrateInBps !== undefined ? formatBitrate(stats.bitrateInBps) : undefined);
    set('out', stats?.bitrateOutBps !== undefined ? formatBitrate(stats.bitrateOutBps) : undefined);
    set('lost', stats ? String(stats.packetsLost) : undefined);
    set('resolution', stats?.width && stats.height ? `${stats.width} × ${stats.height}` : undefined);
    set('fps', stats?.framesPerSecond !== undefined ? `${stats.framesPerSecond.toFixed(0)} fps` : undefined);
  }
}

function setPressed(
  button: HTMLButtonElement,
  pressed: boolean,
  label: string,
  iconName: Parameters<typeof icon>[0],
): void {
  // The label says what a press does next, so no aria-pressed (it would contradict the changing label).
  button.dataset['active'] = String(pressed);
  button.replaceChildren(icon(iconName), h('span', { class: 'control-label' }, label));
}

function badges(muted: boolean, cameraOff: boolean, screen: boolean, who: string): HTMLElement[] {
  const list: HTMLElement[] = [];
  if (muted)
    list.push(
      h(
        'span',
        { class: 'badge', 'data-badge': 'muted' },
        icon('micOff'),
        `${who === 'You' ? 'You are' : 'They are'} muted`,
      ),
    );
  if (cameraOff)
    list.push(h('span', { class: 'badge', 'data-badge': 'camera-off' }, icon('camOff'), 'Camera off'));
  if (screen)
    list.push(
      h(
        'span',
        { class: 'badge', 'data-badge': 'screen' },
        icon('screen'),
        `${who === 'You' ? 'You are' : 'They are'} sharing the screen`,
      ),
    );
  return list;
}
