// Chromium, restricted to relay candidates, connects two RTCPeerConnections through our TURN server and sends
// data over the relays; getStats shows the selected candidate pair is relay to relay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTurnRestCredentials, startTurnServer } from '../../src/turn/index.ts';
import { launchChromium } from '../support/chromium.ts';

test('Chromium with iceTransportPolicy relay connects through our TURN (UDP and TCP)', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const secret = 'chromium-turn-secret';
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    realm: 'dyad.test',
    authSecret: secret,
    // Both relays live on 127.0.0.1, so each peer's relay is the other's peer address.
    allowLoopbackPeers: true,
  });
  t.after(() => server.close());
  const page = await browser.newPage();
  for (const transport of ['udp', 'tcp'] as const) {
    const credentials = createTurnRestCredentials(secret, 'chromium', 600);
    const result = await page.evaluate(
      async ({ url, username, credential }) => {
        const config: RTCConfiguration = {
          iceServers: [{ urls: url, username, credential }],
          iceTransportPolicy: 'relay',
        };
        const a = new RTCPeerConnection(config);
        const b = new RTCPeerConnection(config);
        a.onicecandidate = (event) => event.candidate && b.addIceCandidate(event.candidate);
        b.onicecandidate = (event) => event.candidate && a.addIceCandidate(event.candidate);
        const channel = a.createDataChannel('relay-test');
        const echoed = new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no data; ICE ${a.iceConnectionState}`)), 20_000);
          b.ondatachannel = (event) => {
            event.channel.onmessage = (message) => {
              clearTimeout(timer);
              resolve(String(message.data));
            };
          };
        });
        channel.onopen = () => channel.send('through the relay');
        await a.setLocalDescription();
        await b.setRemoteDescription(a.localDescription as RTCSessionDescription);
        await b.setLocalDescription();
        await a.setRemoteDescription(b.localDescription as RTCSessionDescription);
        const message = await echoed;
        const stats = await a.getStats();
        let pair: { localCandidateId?: string; remoteCandidateId?: string } | undefined;
        stats.forEach((report) => {
          if (report.type === 'transport' && report.selectedCandidatePairId)
            pair = stats.get(report.selectedCandidatePairId);
        });
        const local = pair?.localCandidateId ? stats.get(pair.localCandidateId) : undefined;
        const remote = pair?.remoteCandidateId ? stats.get(pair.remoteCandidateId) : undefined;
        const state = a.iceConnectionState;
        a.close();
        b.close();
        return {
          message,
          state,
          localType: local?.candidateType,
          remoteType: remote?.candidateType,
          relayProtocol: local?.relayProtocol,
        };
      },
      {
        url: `turn:127.0.0.1:${server.udp.port}?transport=${transport}`,
        ...credentials,
        credential: credentials.password,
      },
    );
    assert.equal(result.message, 'through the relay', transport);
    assert.match(result.state, /connected|completed/);
    assert.equal(result.localType, 'relay', transport);
    assert.equal(result.remoteType, 'relay', transport);
    assert.equal(result.relayProtocol, transport);
  }
  assert.ok(server.counters.relayedPacketsToPeer > 0);
  assert.equal(server.counters.authFailures, 0);
});
