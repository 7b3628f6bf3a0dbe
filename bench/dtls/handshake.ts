/**
 * Full DTLS 1.2 handshakes per second, our client against our server in one process over the in-memory
 * link (no network, no wall-clock waits: the virtual clock only orders the datagrams), per suite and
 * group, with HelloVerifyRequest cookies and mutual certificate authentication as WebRTC does it. Also
 * the rate of per-connection certificate generation.
 *
 *   node --import tsx bench/dtls/handshake.ts [seconds-per-case]
 */
import { CipherSuites, generateCertificate, NamedGroup } from '../../src/dtls/index.ts';
import { linkedPair } from '../../test/dtls/memorylink.ts';

const seconds = Number(process.argv[2] ?? 2);
const ecdsa = generateCertificate();
const rsa = generateCertificate({ keyType: 'rsa' });

function rate(run: () => void): number {
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    run();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

console.log(`# node --import tsx bench/dtls/handshake.ts ${seconds}  (node ${process.version})`);
const cases = [
  { suite: CipherSuites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, group: NamedGroup.x25519 },
  { suite: CipherSuites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, group: NamedGroup.secp256r1 },
  { suite: CipherSuites.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, group: NamedGroup.x25519 },
  { suite: CipherSuites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, group: NamedGroup.x25519 },
];
for (const { suite, group } of cases) {
  const serverCertificate = suite.authentication === 'rsa' ? rsa : ecdsa;
  const perSecond = rate(() => {
    const pair = linkedPair(
      { certificate: ecdsa, cipherSuites: [suite], groups: [group] },
      { certificate: serverCertificate },
      0,
    );
    pair.client.start();
    pair.clock.runAll();
    if (pair.client.state !== 'connected' || pair.server.state !== 'connected')
      throw new Error('handshake failed');
  });
  console.log(`${suite.name} group ${group}: ${perSecond.toFixed(0)} handshakes/s (both ends in one thread)`);
}
console.log(`ECDSA P-256 certificate generation: ${rate(() => generateCertificate()).toFixed(0)} /s`);
