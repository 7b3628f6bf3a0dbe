/** Local media: camera and microphone with graceful fallback, device lists, and screen capture. */

export interface LocalMedia {
  stream: MediaStream;
  /** Why camera or microphone is missing, for the person to read; undefined when both work. */
  problem?: string;
}

function describe(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'blocked';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'not found';
  if (name === 'NotReadableError') return 'in use by another program';
  return 'unavailable';
}

/**
 * Asks for camera and microphone; when that fails, tries each alone, and finally gives an empty stream:
 * the call then still connects and receives the other person (receive-only).
 */
export async function openLocalMedia(audioDeviceId?: string, videoDeviceId?: string): Promise<LocalMedia> {
  const audio: MediaTrackConstraints | boolean = audioDeviceId
    ? { deviceId: { exact: audioDeviceId } }
    : true;
  const video: MediaTrackConstraints = {
    width: { ideal: 1280 },
    height: { ideal: 720 },
    ...(videoDeviceId ? { deviceId: { exact: videoDeviceId } } : {}),
  };
  if (!navigator.mediaDevices?.getUserMedia) {
    return { stream: new MediaStream(), problem: 'This browser cannot use a camera here (it needs HTTPS).' };
  }
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ audio, video }) };
  } catch (both) {
    const reason = describe(both);
    for (const [constraints, missing] of [
      [{ audio }, 'Camera'],
      [{ video }, 'Microphone'],
    ] as const) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        return {
          stream,
          problem: `${missing} ${reason}: the other person will not ${missing === 'Camera' ? 'see' : 'hear'} you.`,
        };
      } catch {}
    }
    return {
      stream: new MediaStream(),
      problem: `Camera and microphone ${reason}: you can still see and hear the other person.`,
    };
  }
}

export async function listDevices(kind: 'audioinput' | 'videoinput'): Promise<MediaDeviceInfo[]> {
  const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  return devices.filter((device) => device.kind === kind && device.deviceId !== '');
}

/** One new track from a chosen device, to replace the current one without renegotiation. */
export async function openDevice(kind: 'audio' | 'video', deviceId: string): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia(
    kind === 'audio'
      ? { audio: { deviceId: { exact: deviceId } } }
      : { video: { deviceId: { exact: deviceId } } },
  );
  return stream.getTracks()[0]!;
}

export async function openScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { ideal: 15 } },
    audio: false,
  });
  const track = stream.getVideoTracks()[0]!;
  track.contentHint = 'detail';
  return track;
}
