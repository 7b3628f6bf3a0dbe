/**
 * Our DTLS over our ICE agent against a browser's RTCPeerConnection (a data-channel m-line, as WebRTC
 * without media negotiates it), with the offer/answer exchanged directly through the page. The browser's
 * connectionState reaches 'connected' only once its DTLS transport is connected, so that is the check;
 * our side must also end up connected with the browser's certificate matching the SDP fingerprint.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { DtlsConnection, generateCertificate, parseFingerprint } from '../../src/dtls/index.ts';
import { IceAgent } from '../../src/ice/index.ts';
import { findAttribute, type IceCandidate, parseSdp, type SdpAttribute } from '../../src/sdp/index.ts';
import { dataChannelDescription } from '../support/datachannel-description.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';

declare global {
  interface Window {
    pc: RTCPeerConnection;
  }
}

export interface BrowserPage {
  evaluate<T, A>(fn: (arg: A) => T | Promise<T>, arg: A): Promise<T>;
}

/** In the page: waits for ICE gathering to finish, so that the description carries every candidate. */
async function pageDescribe(kind: { offer: boolean; remote?: string }): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  window.pc = pc;
  if (kind.offer) {
    pc.createDataChannel('dyad');
    await pc.setLocalDescription(await pc.createOffer());
  } else {
    await pc.setRemoteDescription({ type: 'offer', sdp: kind.remote! });
    await pc.setLocalDescription(await pc.createAnswer());
  }
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  return pc.localDescription!.sdp;
}

/**
 * An empty page on a loopback origin: browsers offer their 127.0.0.1 candidate only to pages served
 * from loopback. Returns the URL and a function that stops the server.
 */
export async function serveBlankPage(): Promise<{ url: string; close: () => void }> {
  const server: Server = createServer((_, response) =>
    response.end('<!doctype html><title>dyad dtls</title>'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/** RFC 7983 §7: first byte 20..63 is DTLS. */
const isDtls = (datagram: Uint8Array) => datagram.length > 0 && datagram[0]! >= 20 && datagram[0]! <= 63;

export interface DtlsSessionResult {
  ourRole: 'client' | 'server';
  browserState: string;
  srtpProfile: number | undefined;
  cipherSuite: string | undefined;
  elapsedMs: number;
}

/**
 * One session. `ourDtlsRole` 'server': we offer actpass and the browser answers active (the browser is
 * the DTLS client, as browsers choose). 'client': the browser offers and we answer active.
 */
export async function runDtlsSession(
  page: BrowserPage,
  ourDtlsRole: 'client' | 'server',
): Promise<DtlsSessionResult> {
  const started = Date.now();
  const agent = new IceAgent({
    transport: new LoopbackIceTransport(),
    includeLoopback: true,
    ipv6: false,
  });
  const certificate = generateCertificate();
  const candidates: IceCandidate[] = [];
  agent.on('candidate', (candidate) => {
    if (candidate) candidates.push(candidate);
  });
  let dtls: DtlsConnection | undefined;
  try {
    const traffic: string[] = [];
    dtls = new DtlsConnection({
      role: ourDtlsRole,
      certificate,
      transport: {
        send: (d) => {
          traffic.push(`out ${d.length}${agent.send(d) ? '' : ' (no pair)'}`);
        },
      },
    });
    const connection = dtls;
    agent.on('data', (data: Uint8Array) => {
      if (!isDtls(data)) return;
      traffic.push(`in ${data.length}`);
      connection.handleDatagram(data);
    });
    const connected = new Promise<void>((resolve, reject) => {
      connection.on('connected', resolve);
      connection.on('error', reject);
    });

    let browserSdp: string;
    if (ourDtlsRole === 'server') {
      agent.setRole('controlling');
      await agent.gather();
      const offer = dataChannelDescription({
        ice: agent.localParameters,
        fingerprint: certificate.fingerprint,
        setup: 'actpass',
        candidates,
      });
      browserSdp = await page.evaluate(pageDescribe, { offer: false, remote: offer });
    } else {
      agent.setRole('controlled');
      browserSdp = await page.evaluate(pageDescribe, { offer: true });
    }
    const media = parseSdp(browserSdp).media[0]!;
    const session = parseSdp(browserSdp);
    const attribute = <T extends SdpAttribute['type']>(type: T) =>
      findAttribute(media.attributes, type) ?? findAttribute(session.attributes, type);
    const fingerprint = attribute('fingerprint')!;
    const setup = attribute('setup')!;
    // The browser's a=setup must put it in the opposite DTLS role.
    assert.equal(setup.role, ourDtlsRole === 'server' ? 'active' : 'actpass');
    connection.setRemoteFingerprints([parseFingerprint(`${fingerprint.algorithm} ${fingerprint.value}`)]);
    agent.setRemoteParameters({
      usernameFragment: attribute('ice-ufrag')!.value,
      password: attribute('ice-pwd')!.value,
    });
    let loopbackCandidates = 0;
    for (const candidateAttribute of media.attributes) {
      const remote = candidateAttribute.type === 'candidate' ? candidateAttribute.candidate : undefined;
      if (remote && remote.transport.toLowerCase() === 'udp' && remote.address.startsWith('127.')) {
        agent.addRemoteCandidate(remote);
        loopbackCandidates++;
      }
    }
    assert.ok(loopbackCandidates > 0, 'the browser offered a loopback candidate');
    agent.addRemoteCandidate(undefined);
    if (ourDtlsRole === 'client') {
      await agent.gather();
      const answer = dataChannelDescription({
        ice: agent.localParameters,
        fingerprint: certificate.fingerprint,
        setup: 'active',
        candidates,
        mid: findAttribute(media.attributes, 'mid')?.value ?? '0',
      });
      await page.evaluate((sdp: string) => window.pc.setRemoteDescription({ type: 'answer', sdp }), answer);
    }
    const iceConnected = new Promise<void>((resolve) => {
      const check = () => /^(connected|completed)$/.test(agent.state) && resolve();
      agent.on('statechange', check);
      check();
    });
    connection.start();
    if (ourDtlsRole === 'client') {
      // The client may speak once ICE has a pair; until then there is nowhere to send.
      await iceConnected;
    }
    await Promise.race([
      connected,
      new Promise((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(
                `DTLS not connected (${traffic.join(', ')}): ICE ${agent.state}, pairs ${agent.pairs.map((p) => `${p.local.candidate.address}:${p.local.candidate.port}>${p.remote.address}:${p.remote.candidate.port} ${p.state}`).join(', ')}; browser SDP ${browserSdp}`,
              ),
            ),
          20_000,
        ),
      ),
    ]);
    let browserState = '';
    const deadline = Date.now() + 10_000;
    while (browserState !== 'connected' && Date.now() < deadline) {
      browserState = await page.evaluate(() => window.pc.connectionState, undefined);
      if (browserState !== 'connected') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(browserState, 'connected', 'the browser connectionState');
    const browserCertificate = connection.remoteCertificate!;
    assert.ok(browserCertificate.length > 0);
    return {
      ourRole: ourDtlsRole,
      browserState,
      srtpProfile: connection.srtpProfile,
      cipherSuite: connection.cipherSuite?.name,
      elapsedMs: Date.now() - started,
    };
  } finally {
    dtls?.close();
    agent.close();
  }
}
