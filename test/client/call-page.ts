/**
 * The page the browser tests load (bundled with the SDK by esbuild): a call with the fake camera and
 * microphone, remote videos whose presented frames are counted, and a chat data channel. The test drives it
 * through `window.dyadTest`.
 */
import { type DyadCall, joinRoom } from '../../src/client/index.ts';

type RemoteVideo = {
  track: MediaStreamTrack;
  trackId: string;
  session: number;
  frames: number;
  video: HTMLVideoElement;
};

const page = {
  call: undefined as DyadCall | undefined,
  /** Incremented on every peerjoined: a new peer connection. */
  session: 0,
  remotes: [] as RemoteVideo[],
  received: [] as string[],
  errors: [] as string[],
  rollbacks: 0,
  /** Offers that arrived while this side had its own offer out: glare. */
  glareOffers: 0,
  reconnects: 0,
  channel: undefined as RTCDataChannel | undefined,
  /** While > 0, outgoing offers are held this long, so that offers of both peers cross (glare). */
  holdOffersMs: 0,
  offerOutstanding: false,
};

/** Counts rollbacks, to show that glare really happened. */
class ObservedPeerConnection extends RTCPeerConnection {
  override setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    if (description?.type === 'rollback') page.rollbacks++;
    return super.setLocalDescription(description);
  }
}

class OfferHoldingWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    this.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { command?: string; type?: string };
      if (message.command !== 'takeConfiguration') return;
      if (message.type === 'answer') page.offerOutstanding = false;
      else if (page.offerOutstanding) page.glareOffers++;
    });
  }

  /** Frames held behind an offer: the socket stays FIFO, as a slow network would be. */
  #held: string[] | undefined;

  override send(data: string): void {
    if (data.includes('"type":"offer"')) page.offerOutstanding = true;
    if (data.includes('"type":"answer"')) page.offerOutstanding = false;
    if (this.#held) {
      this.#held.push(data);
      return;
    }
    if (page.holdOffersMs > 0 && data.includes('"type":"offer"')) {
      const held = [data];
      this.#held = held;
      setTimeout(() => {
        this.#held = undefined;
        for (const frame of held) if (this.readyState === WebSocket.OPEN) super.send(frame);
      }, page.holdOffersMs);
      return;
    }
    super.send(data);
  }
}

function countFrames(remote: RemoteVideo): void {
  const onFrame = () => {
    remote.frames++;
    remote.video.requestVideoFrameCallback(onFrame);
  };
  remote.video.requestVideoFrameCallback(onFrame);
}

function useChannel(channel: RTCDataChannel): void {
  page.channel = channel;
  channel.addEventListener('message', (event) => {
    const text = String(event.data);
    page.received.push(text);
    if (text.startsWith('ping ')) channel.send(`echo ${text}`);
  });
}

async function start(wsUrl: string, room: string): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 320, height: 240 },
    audio: true,
  });
  const call = await joinRoom(wsUrl, room, {
    localStream: stream,
    WebSocket: OfferHoldingWebSocket,
    RTCPeerConnection: ObservedPeerConnection,
    reconnect: { initialDelayMs: 300, maxDelayMs: 2000 },
    createDataChannels: (pc, { offerer }) => {
      if (offerer) useChannel(pc.createDataChannel('chat'));
    },
  });
  page.call = call;
  call.addEventListener('peerjoined', () => {
    page.session++;
  });
  call.addEventListener('reconnecting', () => {
    page.reconnects++;
  });
  call.addEventListener('error', (event) => page.errors.push(event.definition));
  call.addEventListener('datachannel', (event) => useChannel(event.channel));
  call.addEventListener('track', (event) => {
    if (event.track.kind !== 'video') return;
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([event.track]);
    document.body.append(video);
    const remote = { track: event.track, trackId: event.track.id, session: page.session, frames: 0, video };
    page.remotes.push(remote);
    countFrames(remote);
    video.play().catch((error: unknown) => page.errors.push(`play: ${String(error)}`));
  });
}

async function addCameraTrack(): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 160, height: 120 } });
  const [track] = stream.getVideoTracks();
  if (!track || !page.call) throw new Error('no camera track or no call');
  page.call.addTrack(track, stream);
}

function send(text: string): void {
  if (page.channel?.readyState !== 'open') throw new Error(`chat channel is ${page.channel?.readyState}`);
  page.channel.send(text);
}

async function inboundVideo(pc: RTCPeerConnection | undefined) {
  const inbound: Array<{
    mid: string;
    trackIdentifier: string;
    framesDecoded: number;
    packetsReceived: number;
  }> = [];
  if (!pc) return inbound;
  for (const report of (await pc.getStats()).values()) {
    if (report.type === 'inbound-rtp' && report.kind === 'video') {
      inbound.push({
        mid: report.mid,
        trackIdentifier: report.trackIdentifier,
        framesDecoded: report.framesDecoded ?? 0,
        packetsReceived: report.packetsReceived ?? 0,
      });
    }
  }
  return inbound;
}

async function snapshot() {
  const pc = page.call?.peerConnection;
  return {
    inbound: await inboundVideo(pc),
    transceivers: pc
      ?.getTransceivers()
      .map(
        (t) => `${t.mid}:${t.direction}/${t.currentDirection}:${t.receiver.track.id}:${t.sender.track?.id}`,
      ),
    state: page.call?.state,
    polite: page.call?.polite,
    session: page.session,
    signalingState: pc?.signalingState,
    connectionState: pc?.connectionState,
    channelState: page.channel?.readyState,
    remoteVideos: page.remotes
      .filter((remote) => remote.session === page.session)
      .map((remote) => ({
        trackId: remote.trackId,
        frames: remote.frames,
        muted: remote.track.muted,
        ended: remote.track.readyState === 'ended',
        width: remote.video.videoWidth,
        currentTime: remote.video.currentTime,
        paused: remote.video.paused,
        quality: remote.video.getVideoPlaybackQuality().totalVideoFrames,
      })),
    received: [...page.received],
    errors: [...page.errors],
    rollbacks: page.rollbacks,
    glareOffers: page.glareOffers,
    reconnects: page.reconnects,
  };
}
export type CallPageSnapshot = Awaited<ReturnType<typeof snapshot>>;

function setHoldOffersMs(ms: number): void {
  page.holdOffersMs = ms;
}

const api = { start, addCameraTrack, send, snapshot, setHoldOffersMs };
export type CallPageApi = typeof api;
(globalThis as unknown as { dyadTest: CallPageApi }).dyadTest = api;
