import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { test } from 'node:test';
import { newPairing, pairingCode, parsePairingCode, SECRET_LENGTH, secretFromFragment } from './pairing.ts';
import {
  decodeProofMessage,
  type FileTransferEndpoint,
  fingerprintsOf,
  ProofGate,
  proofMac,
  safetyCodeOf,
} from './proof.ts';
import type { FileTransport } from './sender.ts';

const fpA =
  'sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
const fpB =
  'sha-256 10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE';
const fpM =
  'sha-256 66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66:66';
const sdp = (fp: string) =>
  `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:${fp}\r\n`;

test('codes carry 80 bits of secret after the room, and read back forgivingly', () => {
  const pairing = newPairing();
  assert.equal(pairing.secret.length, SECRET_LENGTH);
  assert.match(pairing.room, /^[0-9a-z]{4}-[0-9a-z]{4}$/);
  const code = pairingCode(pairing);
  assert.match(code, /^[0-9a-z]{4}(-[0-9a-z]{4}){5}$/);
  assert.deepEqual(parsePairingCode(code), pairing);
  // Upper case, spaces and look-alikes: the room keeps its case, the secret is normalized.
  assert.deepEqual(parsePairingCode('my.room-1O1L-abcd-EFGH-jkmn'), {
    room: 'my.room',
    secret: '1011abcdefghjkmn',
  });
  assert.equal(parsePairingCode('abcd-efgh'), undefined);
  assert.equal(parsePairingCode('room-abcd-efgh-jkmn-pqru'), undefined, 'u is not in the alphabet');
  assert.equal(secretFromFragment(`#${pairing.secret}`), pairing.secret);
  assert.equal(secretFromFragment('#short'), undefined);
  assert.notEqual(newPairing().secret, pairing.secret);
});

test('the MAC is HKDF-SHA256 then HMAC-SHA256 as docs/file-transfer.md §9.2 states (checked with node:crypto)', () => {
  const context = {
    secret: '0123456789abcdef',
    room: 'k3qd-7hxa',
    senderFingerprints: fpA,
    receiverFingerprints: fpB,
  };
  const key = Buffer.from(
    hkdfSync('sha256', context.secret, 'dyad file-transfer proof v1', context.room, 32),
  );
  for (const role of ['sender', 'receiver'] as const) {
    const expected = createHmac('sha256', key).update(`dyad-proof-v1\n${role}\n${fpA}\n${fpB}`).digest('hex');
    assert.equal(proofMac(context, role), expected);
  }
  // A fixed vector (docs/file-transfer.md §9.2), so that another implementation can check itself.
  assert.equal(
    proofMac(context, 'sender'),
    'ae7782af2d44f495db72efc1eb7db3544eeb42b6ebfd433be2af1f141b704907',
  );
  assert.notEqual(proofMac(context, 'sender'), proofMac(context, 'receiver'));
  assert.notEqual(
    proofMac({ ...context, secret: '0123456789abcdeg' }, 'sender'),
    proofMac(context, 'sender'),
  );
});

test('fingerprints are normalized, deduplicated and sorted; the safety code matches the call page', () => {
  const text = `a=fingerprint:SHA-256 ${fpB.slice(8).toLowerCase()}\r\na=fingerprint:sha-256 ${fpB.slice(8)}\r\n`;
  assert.equal(fingerprintsOf(text), fpB);
  assert.equal(fingerprintsOf('v=0\r\n'), undefined);
  assert.equal(safetyCodeOf(sdp(fpA), sdp(fpB)), safetyCodeOf(sdp(fpB), sdp(fpA)));
  assert.match(safetyCodeOf(sdp(fpA), sdp(fpB))!, /^\d{4} \d{4} \d{4}$/);
});

class Wire implements FileTransport {
  sent: (string | Uint8Array)[] = [];
  send(data: string | Uint8Array) {
    this.sent.push(data);
  }
  bufferedAmount = () => 0;
  drained = async () => {};
}

function endpoint(log: string[]): FileTransferEndpoint {
  return {
    attach: () => log.push('attach'),
    detach: () => log.push('detach'),
    handleMessage: (m) => log.push(m.type),
  };
}

test('two gates that see the same pair of certificates and hold the secret open the transfer', () => {
  const secret = newPairing().secret;
  const [senderLog, receiverLog, failures] = [[], [], []] as string[][];
  const sender = new ProofGate('sender', secret, 'room', endpoint(senderLog!), (e) =>
    failures!.push(e.message),
  );
  const receiver = new ProofGate('receiver', secret, 'room', endpoint(receiverLog!), (e) =>
    failures!.push(e.message),
  );
  const [toReceiver, toSender] = [new Wire(), new Wire()];
  sender.open(toReceiver, sdp(fpA), sdp(fpB));
  receiver.open(toSender, sdp(fpB), sdp(fpA));
  assert.deepEqual(senderLog, []);
  receiver.receive(toReceiver.sent[0]!);
  sender.receive(toSender.sent[0]!);
  assert.deepEqual([senderLog, receiverLog, failures], [['attach'], ['attach'], []]);
  assert.ok(sender.proven && receiver.proven);
  sender.receive('{"type":"decline","transferId":"abcdefgh"}');
  assert.deepEqual(senderLog, ['attach', 'decline']);
});

test('a splice (each side sees the middle one’s certificate), a wrong secret or no proof is refused', () => {
  const secret = newPairing().secret;
  const run = (senderSecret: string, receiverRemote: string, first?: string) => {
    const log: string[] = [];
    const failures: string[] = [];
    const sender = new ProofGate('sender', senderSecret, 'room', endpoint([]), () => {});
    const receiver = new ProofGate('receiver', secret, 'room', endpoint(log), (e) => failures.push(e.code));
    const wire = new Wire();
    // The middle relays the sender's proof unchanged; the sender saw the middle's certificate fpM.
    sender.open(wire, sdp(fpA), sdp(fpM));
    receiver.open(new Wire(), sdp(fpB), sdp(receiverRemote));
    receiver.receive(first ?? wire.sent[0]!);
    return { log, failures, proven: receiver.proven };
  };
  assert.deepEqual(run(secret, fpM), { log: [], failures: ['proof_failed'], proven: false });
  assert.deepEqual(run(newPairing().secret, fpA), { log: [], failures: ['proof_failed'], proven: false });
  assert.deepEqual(run(secret, fpA, '{"type":"hello","versions":[1],"role":"sender"}'), {
    log: [],
    failures: ['proof_failed'],
    proven: false,
  });
  assert.equal(decodeProofMessage('{"type":"proof","version":1,"role":"sender","mac":"00"}'), undefined);
  assert.equal(decodeProofMessage(new Uint8Array(4)), undefined);
});

test('a proof that arrives before this side saw the channel open is kept, not lost', () => {
  const secret = newPairing().secret;
  const log: string[] = [];
  const sender = new ProofGate('sender', secret, 'room', endpoint([]), () => {});
  const receiver = new ProofGate('receiver', secret, 'room', endpoint(log), () => log.push('failed'));
  const wire = new Wire();
  sender.open(wire, sdp(fpA), sdp(fpB));
  receiver.receive(wire.sent[0]!);
  assert.deepEqual(log, []);
  receiver.open(new Wire(), sdp(fpB), sdp(fpA));
  assert.deepEqual(log, ['attach']);
});
