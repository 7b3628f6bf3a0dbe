/**
 * Interop with OpenSSL on loopback: `openssl s_server -dtls1_2` against our client and `openssl s_client
 * -dtls1_2` against our server, for every cipher suite we implement that OpenSSL offers, with use_srtp,
 * client certificates both ways, application data both ways and the RFC 5705 exporter compared with
 * OpenSSL's -keymatexport. Our connection object stays transport-agnostic; node:dgram carries it here.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type CipherSuite,
  CipherSuites,
  certificateFromPem,
  type DtlsCertificate,
  DtlsConnection,
  type DtlsRole,
  generateCertificate,
  SRTP_EXPORTER_LABEL,
  SrtpProtectionProfile,
  srtpKeyingMaterialLength,
} from '../../src/dtls/index.ts';
import { findProgram } from '../support/external.ts';

const OPENSSL_CANDIDATES = ['/usr/bin/openssl'];

/** OpenSSL's names for our suites and SRTP profiles. */
const opensslCipherNames = new Map<number, string>([
  [CipherSuites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.id, 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  [CipherSuites.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384.id, 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  [CipherSuites.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256.id, 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  [CipherSuites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.id, 'ECDHE-RSA-AES128-GCM-SHA256'],
  [CipherSuites.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.id, 'ECDHE-RSA-AES256-GCM-SHA384'],
  [CipherSuites.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256.id, 'ECDHE-RSA-CHACHA20-POLY1305'],
]);
const srtpProfiles = [
  { id: SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80, name: 'SRTP_AES128_CM_SHA1_80' },
  { id: SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM, name: 'SRTP_AEAD_AES_128_GCM' },
  { id: SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM, name: 'SRTP_AEAD_AES_256_GCM' },
];

let workDir: string | undefined;
const pemFiles = (kind: 'ec' | 'rsa') => ({
  cert: join(workDir!, `${kind}-cert.pem`),
  key: join(workDir!, `${kind}-key.pem`),
});

before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'dyad-dtls-openssl-'));
});
after(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Certificates for the OpenSSL side, made by OpenSSL itself. */
function opensslCertificates(openssl: string): void {
  for (const kind of ['ec', 'rsa'] as const) {
    const { cert, key } = pemFiles(kind);
    const keyArgs =
      kind === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048'];
    const made = spawnSync(openssl, [
      'req',
      '-x509',
      ...keyArgs,
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=openssl-${kind}`,
    ]);
    assert.equal(made.status, 0, made.stderr.toString());
  }
}

function loadPem(kind: 'ec' | 'rsa'): DtlsCertificate {
  const { cert, key } = pemFiles(kind);
  return certificateFromPem(readFileSync(cert, 'utf8'), readFileSync(key, 'utf8'));
}

class OpensslProcess {
  output = '';
  readonly #process: ChildProcessWithoutNullStreams;

  constructor(openssl: string, args: string[]) {
    this.#process = spawn(openssl, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#process.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.#process.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
  }

  write(text: string): void {
    this.#process.stdin.write(text);
  }

  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern} in OpenSSL output:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Ends the process we started, by its PID. */
  kill(): void {
    const pid = this.#process.pid;
    if (pid !== undefined && this.#process.exitCode === null) process.kill(pid);
  }
}

async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

/** `openssl ciphers` has no DTLS switch; the TLS 1.2 AEAD suites it lists are the ones its DTLS 1.2 offers. */
function offeredByOpenssl(openssl: string, cipher: string): boolean {
  const listing = spawnSync(openssl, ['ciphers', '-s', '-tls1_2']);
  assert.equal(listing.status, 0, 'openssl ciphers must list the TLS 1.2 suites');
  return listing.stdout.toString().trim().split(':').includes(cipher);
}

interface CaseResult {
  openssl: OpensslProcess;
  connection: DtlsConnection;
  socket: Socket;
}

async function runCase(
  openssl: string,
  ourRole: DtlsRole,
  suite: CipherSuite,
  profile: (typeof srtpProfiles)[number],
  mtu?: number,
) {
  const cipher = opensslCipherNames.get(suite.id)!;
  const exportLength = srtpKeyingMaterialLength(profile.id);
  const common = [
    '-dtls1_2',
    '-cipher',
    cipher,
    '-use_srtp',
    profile.name,
    ...(mtu ? ['-mtu', String(mtu)] : []),
  ];
  // At a small MTU our side carries an RSA certificate, the largest flight we send, to force fragments.
  const ourCertificate = generateCertificate({
    keyType: mtu || suite.authentication === 'rsa' ? 'rsa' : 'ecdsa',
  });
  const keymat = ['-keymatexport', SRTP_EXPORTER_LABEL, '-keymatexportlen', String(exportLength)];
  const socket = await boundSocket();
  const received: string[] = [];
  let result: CaseResult | undefined;
  try {
    let connection: DtlsConnection;
    let opensslProcess: OpensslProcess;
    if (ourRole === 'client') {
      // OpenSSL serves with a certificate of the suite's type and asks for ours (-verify).
      const files = pemFiles(suite.authentication === 'rsa' ? 'rsa' : 'ec');
      opensslProcess = new OpensslProcess(openssl, [
        's_server',
        ...common,
        ...keymat,
        '-accept',
        '127.0.0.1:0',
        '-cert',
        files.cert,
        '-key',
        files.key,
        '-verify',
        '1',
      ]);
      const port = Number((await opensslProcess.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/))[1]);
      connection = new DtlsConnection({
        role: 'client',
        transport: { send: (datagram) => socket.send(datagram, port, '127.0.0.1') },
        remoteFingerprints: [loadPem(suite.authentication === 'rsa' ? 'rsa' : 'ec').fingerprint],
        certificate: ourCertificate,
        cipherSuites: [suite],
        ...(mtu && { mtu }),
        srtpProfiles: [profile.id],
      });
    } else {
      const files = pemFiles('ec');
      let peerPort = 0;
      connection = new DtlsConnection({
        role: 'server',
        transport: { send: (datagram) => socket.send(datagram, peerPort, '127.0.0.1') },
        certificate: ourCertificate,
        remoteFingerprints: [loadPem('ec').fingerprint],
        srtpProfiles: [profile.id],
        ...(mtu && { mtu }),
      });
      socket.on('message', (_datagram, remote) => {
        peerPort = remote.port;
      });
      opensslProcess = new OpensslProcess(openssl, [
        's_client',
        ...common,
        ...keymat,
        '-connect',
        `127.0.0.1:${socket.address().port}`,
        '-cert',
        files.cert,
        '-key',
        files.key,
      ]);
    }
    result = { openssl: opensslProcess, connection, socket };
    socket.on('message', (datagram) => connection.handleDatagram(datagram));
    connection.on('data', (data) => received.push(Buffer.from(data).toString()));
    const connected = new Promise<void>((resolve, reject) => {
      connection.on('connected', resolve);
      connection.on('error', reject);
    });
    connection.start();
    await Promise.race([
      connected,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no handshake:\n${opensslProcess.output}`)), 10_000),
      ),
    ]);
    assert.equal(connection.cipherSuite?.id, suite.id);
    assert.equal(connection.srtpProfile, profile.id);

    // RFC 5705 exporter: both sides derive the same DTLS-SRTP keying material.
    const material = (await opensslProcess.waitFor(/Keying material: ([0-9A-F]+)/))[1]!;
    const ours = Buffer.from(connection.exportKeyingMaterial(SRTP_EXPORTER_LABEL, exportLength)).toString(
      'hex',
    );
    assert.equal(ours.toUpperCase(), material);
    await opensslProcess.waitFor(new RegExp(`SRTP Extension negotiated, profile=${profile.name}`));
    await opensslProcess.waitFor(new RegExp(`cipher\\s*(is|:)\\s*${cipher}`, 'i'));

    connection.send(Buffer.from(`dyad says hello over ${cipher}\n`));
    await opensslProcess.waitFor(new RegExp(`dyad says hello over ${cipher}`));
    opensslProcess.write(`openssl answers over ${cipher}\n`);
    const deadline = Date.now() + 10_000;
    while (!received.join('').includes(`openssl answers over ${cipher}`)) {
      if (Date.now() > deadline) throw new Error(`no data from OpenSSL:\n${opensslProcess.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (ourRole === 'client') {
      // OpenSSL received and printed our client certificate: certificates went both ways.
      const pem = (
        await opensslProcess.waitFor(
          /Client certificate\s*\n(-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----)/,
        )
      )[1]!;
      const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
      assert.deepEqual(new Uint8Array(der), connection.localCertificate.der);
    }
  } finally {
    result?.connection.close();
    result?.openssl.kill();
    socket.close();
  }
}

const suites = Object.values(CipherSuites);
for (const ourRole of ['client', 'server'] as const) {
  test(`OpenSSL interop with our side as ${ourRole}, every suite OpenSSL offers, with use_srtp`, async (t) => {
    const openssl = findProgram(t, 'openssl', OPENSSL_CANDIDATES);
    if (!openssl) return;
    opensslCertificates(openssl);
    for (const [index, suite] of suites.entries()) {
      const cipher = opensslCipherNames.get(suite.id)!;
      const profile = srtpProfiles[index % srtpProfiles.length]!;
      await t.test(`${cipher} with ${profile.name}`, async (st) => {
        if (!offeredByOpenssl(openssl, cipher)) {
          st.skip(`this OpenSSL does not offer ${cipher} for DTLS 1.2`);
          return;
        }
        await runCase(openssl, ourRole, suite, profile);
      });
    }
    await t.test('handshake fragmented both ways at MTU 256', async () => {
      await runCase(
        openssl,
        ourRole,
        CipherSuites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        srtpProfiles[0]!,
        256,
      );
    });
  });
}
