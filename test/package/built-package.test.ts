import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// What `npm pack` ships (package.json "exports" → dist/): built by tsc, imported by plain Node with no
// TypeScript loader, and used as in a page.
test('the built package: a plain Node program opens a data channel with new RTCPeerConnection()', () => {
  const out = mkdtempSync(join(root, '.test-artifacts-dist-'));
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    const program = join(out, 'program.mjs');
    writeFileSync(
      program,
      `import { NodeIceTransport } from './ice/index.js';
import { RTCPeerConnection } from './peer/index.js';
// Tests may only target loopback: the non-standard second argument keeps ICE on it.
class LoopbackOnly extends NodeIceTransport {
  interfaces() {
    return super.interfaces().filter((address) => address.internal);
  }
}
const a = new RTCPeerConnection({ iceServers: [] }, { iceTransport: new LoopbackOnly(), includeLoopback: true });
const b = new RTCPeerConnection({ iceServers: [] }, { iceTransport: new LoopbackOnly(), includeLoopback: true });
a.onicecandidate = (event) => event.candidate && b.addIceCandidate(event.candidate);
b.onicecandidate = (event) => event.candidate && a.addIceCandidate(event.candidate);
b.ondatachannel = ({ channel }) => {
  channel.onmessage = ({ data }) => {
    console.log(data);
    a.close();
    b.close();
  };
};
const channel = a.createDataChannel('hello');
channel.onopen = () => channel.send('hello from plain node');
await a.setLocalDescription();
await b.setRemoteDescription(a.localDescription);
await b.setLocalDescription();
await a.setRemoteDescription(b.localDescription);
setTimeout(() => process.exit(1), 10_000).unref();
`,
    );
    const output = execFileSync(process.execPath, [program], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(output.trim(), 'hello from plain node');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
