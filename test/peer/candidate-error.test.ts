/**
 * icecandidateerror (W3C webrtc-pc §4.8.2): a TURN server that refuses our credentials, and one that is not
 * there, each raise the event with the server's URL and error code while gathering completes. (A server
 * that stays silent is the agent's test, in virtual time: its transactions take 39.5 s to give up.)
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { RTCPeerConnection, type RTCPeerConnectionIceErrorEvent } from '../../src/peer/index.ts';
import { startTurnServer } from '../../src/turn/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';

test('a TURN server refusing the credentials (401) and an absent one (701) raise icecandidateerror', async (t) => {
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    realm: 'dyad.test',
    staticUsers: new Map([['alice', 'wonderland']]),
  });
  t.after(() => server.close());
  // A TCP port nobody listens on any more: the connection to it is refused.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port: absentPort } = closed.address() as { port: number };
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const refusingUrl = `turn:127.0.0.1:${server.udp.port}`;
  const absentUrl = `turn:127.0.0.1:${absentPort}?transport=tcp`;
  const transport = new LoopbackIceTransport();
  const pc = new RTCPeerConnection(
    {
      iceTransportPolicy: 'relay',
      iceServers: [
        { urls: refusingUrl, username: 'alice', credential: 'not-the-password' },
        { urls: absentUrl, username: 'alice', credential: 'wonderland' },
      ],
    },
    { iceTransport: transport, includeLoopback: true },
  );
  t.after(() => {
    pc.close();
    transport.close();
  });
  const errors: RTCPeerConnectionIceErrorEvent[] = [];
  pc.onicecandidateerror = (event) => errors.push(event as RTCPeerConnectionIceErrorEvent);
  const gathered = new Promise<void>((resolve) =>
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    }),
  );
  pc.createDataChannel('x');
  await pc.setLocalDescription();
  await gathered;
  const byUrl = new Map(errors.map((event) => [event.url, event]));
  assert.equal(errors.length, 2);
  assert.equal(byUrl.get(refusingUrl)?.errorCode, 401);
  // RFC 8489 §14.8 renamed 401's reason phrase from Unauthorized.
  assert.equal(byUrl.get(refusingUrl)?.errorText, 'Unauthenticated');
  assert.equal(byUrl.get(absentUrl)?.errorCode, 701);
  assert.match(byUrl.get(absentUrl)?.errorText ?? '', /ECONNREFUSED/);
  // The connection to a TURN server uses an address no candidate exposes (W3C: then address is null).
  assert.equal(byUrl.get(refusingUrl)?.address, null);
  assert.equal(byUrl.get(refusingUrl)?.port, null);
  assert.doesNotMatch(pc.localDescription?.sdp ?? '', /a=candidate/);
});
