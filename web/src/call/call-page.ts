/**
 * `/call/<room>`: a two-person video call with chat. Media and the chat channel go directly between the two
 * browsers; the server only relays signaling (through the client SDK's DyadCall).
 */
import type {
  CallReconnectingEvent,
  CallStateEvent,
  CallTrackEvent,
  DyadCall,
  JoinOptions,
} from '../../../src/client/index.ts';
import { RoomSession } from '../session.ts';
import { mount, setTitle } from '../ui.ts';
import { CallView } from './call-view.ts';
import { CHAT_CHANNEL_ID, type PeerMediaState } from './chat.ts';
import { listDevices, openDevice, openLocalMedia, openScreen } from './media.ts';
import { safetyCodeOf } from './safety-code.ts';
import { type CallStats, summarizeStats } from './stats.ts';

class CallPage {
  readonly room: string;
  readonly view: CallView;
  session: RoomSession | undefined;
  localStream = new MediaStream();
  audioTrack: MediaStreamTrack | undefined;
  cameraTrack: MediaStreamTrack | undefined;
  screenTrack: MediaStreamTrack | undefined;
  remoteStream = new MediaStream();
  remoteMedia: PeerMediaState | undefined;
  lastStats: CallStats | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #hungUp = false;
  #generation = 0;

  constructor(room: string) {
    this.room = room;
    this.view = new CallView(room, {
      toggleMic: () => this.#toggle(this.audioTrack),
      toggleCamera: () => this.#toggle(this.cameraTrack),
      toggleScreen: () => void this.#toggleScreen(),
      hangUp: () => this.hangUp(),
      rejoin: () => void this.start(),
      chooseDevice: (kind, id) => void this.#chooseDevice(kind, id),
    });
  }

  async start(): Promise<void> {
    const generation = ++this.#generation;
    this.#hungUp = false;
    this.view.setState('starting');
    const media = await openLocalMedia();
    if (generation !== this.#generation) return;
    this.localStream = media.stream;
    this.audioTrack = media.stream.getAudioTracks()[0];
    this.cameraTrack = media.stream.getVideoTracks()[0];
    this.view.setNotice(media.problem);
    this.#showLocalMedia();
    void this.#refreshDevices();
    this.view.setState('connecting-server');
    this.session?.leave();
    const session = new RoomSession(this.room);
    this.session = session;
    await session.join(
      this.#joinOptions(),
      (call) => this.#wire(call),
      (problem) => {
        if (problem.kind === 'unreachable') {
          this.view.setState('server-unreachable', `Next try in ${Math.ceil(problem.retryInMs / 1000)} s.`);
        } else if (problem.kind === 'refused' && problem.definition === 'room_full') {
          this.view.setState('room-full');
          this.#stopLocalMedia();
        } else if (problem.kind === 'refused') {
          this.view.setState('failed', `(${problem.definition})`);
        }
      },
    );
  }

  #joinOptions(): JoinOptions {
    return {
      localStream: this.localStream,
      createDataChannels: (pc, { offerer }) => {
        // An offer with nothing to send would carry no media sections; ask to receive both anyway.
        if (offerer && !this.#sentTrack('audio')) pc.addTransceiver('audio', { direction: 'recvonly' });
        if (offerer && !this.#sentTrack('video')) pc.addTransceiver('video', { direction: 'recvonly' });
        const chat = pc.createDataChannel('chat', { negotiated: true, id: CHAT_CHANNEL_ID });
        this.view.chat.attach(
          chat,
          (state) => {
            this.remoteMedia = state;
            this.view.setRemoteMedia(state);
          },
          () => this.view.chat.sendMedia(this.#mediaState()),
        );
      },
    };
  }

  get call(): DyadCall | undefined {
    return this.session?.call;
  }

  #wire(call: DyadCall): void {
    const current = () => this.call === call;
    call.addEventListener('joined', () => {
      if (!current()) return;
      if (!call.peerConnection) this.view.setState('waiting');
      else if (call.peerConnection.connectionState === 'connected') this.view.setState('connected');
    });
    call.addEventListener('peerjoined', () => {
      if (!current()) return;
      this.remoteStream = new MediaStream();
      this.view.remoteVideo.srcObject = this.remoteStream;
      this.view.setState('connecting');
    });
    call.addEventListener('track', (event: CallTrackEvent) => {
      if (!current()) return;
      this.remoteStream.addTrack(event.track);
      this.view.playRemote();
    });
    call.addEventListener('connectionstatechange', (event: CallStateEvent<RTCPeerConnectionState>) => {
      if (!current()) return;
      if (event.state === 'connected') this.#onConnected();
      else if (event.state === 'disconnected' || event.state === 'failed') this.view.setState('reconnecting');
    });
    call.addEventListener('peerleft', () => {
      if (!current() || this.#hungUp) return;
      this.#stopStats();
      this.view.remoteVideo.srcObject = null;
      this.remoteMedia = undefined;
      this.view.setRemoteMedia(undefined);
      this.view.setState('peer-left');
    });
    call.addEventListener('reconnecting', (event: CallReconnectingEvent) => {
      if (!current()) return;
      const mediaUp = call.peerConnection?.connectionState === 'connected';
      this.view.setState(
        'server-reconnecting',
        `Next try in ${Math.ceil(event.delayMs / 1000)} s.${mediaUp ? ' The call continues meanwhile.' : ''}`,
        mediaUp,
      );
    });
    // For debugging from the console (and for the browser tests).
    (window as unknown as { dyad: unknown }).dyad = { page: this, call };
  }

  #onConnected(): void {
    this.view.setState('connected');
    const pc = this.call?.peerConnection;
    if (pc) this.view.setSafetyCode(safetyCodeOf(pc));
    this.view.setRemoteMedia(this.remoteMedia);
    this.#startStats();
  }

  #startStats(): void {
    this.#stopStats();
    let previous: CallStats['sample'] | undefined;
    const sample = async () => {
      const pc = this.call?.peerConnection;
      if (!pc) return;
      const stats = summarizeStats((await pc.getStats()) as unknown as Iterable<[string, never]>, previous);
      previous = stats.sample;
      this.lastStats = stats;
      this.view.setStats(stats);
    };
    void sample();
    this.#statsTimer = setInterval(() => void sample(), 1000);
  }

  #stopStats(): void {
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
    this.view.setStats(undefined);
  }

  #sentTrack(kind: 'audio' | 'video'): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.audioTrack : (this.screenTrack ?? this.cameraTrack);
  }

  #mediaState(): PeerMediaState {
    return {
      audio: this.audioTrack?.enabled ?? false,
      video: this.cameraTrack?.enabled ?? false,
      screen: this.screenTrack !== undefined,
    };
  }

  #showLocalMedia(): void {
    const video = this.#sentTrack('video');
    this.view.localVideo.srcObject = video ? new MediaStream([video]) : null;
    this.view.setLocalMedia({
      ...this.#mediaState(),
      hasAudio: this.audioTrack !== undefined,
      hasVideo: this.cameraTrack !== undefined,
    });
    this.view.chat.sendMedia(this.#mediaState());
  }

  #toggle(track: MediaStreamTrack | undefined): void {
    if (!track) return;
    track.enabled = !track.enabled;
    this.#showLocalMedia();
  }

  async #toggleScreen(): Promise<void> {
    const call = this.call;
    if (!call) return;
    if (this.screenTrack) {
      const screen = this.screenTrack;
      this.screenTrack = undefined;
      if (this.cameraTrack) await call.replaceTrack(screen, this.cameraTrack);
      else call.removeTrack(screen);
      screen.stop();
      this.#showLocalMedia();
      return;
    }
    let screen: MediaStreamTrack;
    try {
      screen = await openScreen();
    } catch {
      return; // the person cancelled the picker
    }
    this.screenTrack = screen;
    screen.addEventListener('ended', () => {
      if (this.screenTrack === screen) void this.#toggleScreen();
    });
    // replaceTrack swaps what the existing sender transmits: no renegotiation, no glitch (W3C webrtc-pc §5.2).
    if (this.cameraTrack) await call.replaceTrack(this.cameraTrack, screen);
    else call.addTrack(screen, this.localStream);
    this.#showLocalMedia();
  }

  async #chooseDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    const old = kind === 'audio' ? this.audioTrack : this.cameraTrack;
    if (!old || old.getSettings().deviceId === deviceId) return;
    let track: MediaStreamTrack;
    try {
      track = await openDevice(kind, deviceId);
    } catch {
      this.view.setNotice(`That ${kind === 'audio' ? 'microphone' : 'camera'} could not be opened.`);
      return;
    }
    track.enabled = old.enabled;
    const sending = kind === 'audio' || !this.screenTrack;
    if (sending) await this.call?.replaceTrack(old, track);
    this.localStream.removeTrack(old);
    this.localStream.addTrack(track);
    old.stop();
    if (kind === 'audio') this.audioTrack = track;
    else this.cameraTrack = track;
    this.#showLocalMedia();
  }

  async #refreshDevices(): Promise<void> {
    this.view.setDevices('audio', await listDevices('audioinput'), this.audioTrack?.getSettings().deviceId);
    this.view.setDevices('video', await listDevices('videoinput'), this.cameraTrack?.getSettings().deviceId);
  }

  hangUp(): void {
    this.#hungUp = true;
    this.#generation++;
    this.session?.leave();
    this.#stopStats();
    this.#stopLocalMedia();
    this.view.remoteVideo.srcObject = null;
    this.view.setRemoteMedia(undefined);
    this.view.setState('ended');
  }

  #stopLocalMedia(): void {
    for (const track of [...this.localStream.getTracks(), this.screenTrack]) track?.stop();
    this.screenTrack = undefined;
    this.view.localVideo.srcObject = null;
  }
}

export function callPage(room: string): void {
  setTitle('Call');
  const page = new CallPage(room);
  mount(page.view.element);
  window.addEventListener('pagehide', () => page.session?.leave());
  void page.start();
}
