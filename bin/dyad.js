#!/usr/bin/env -S node --max-semi-space-size=32
// --max-semi-space-size: the signaling server allocates a few KB per relayed message, all short-lived. With
// V8's default young generation (16 MB semi-spaces) `dyad serve` relaying 10,000 messages/s among 200 peers
// ran ~27 full mark-compacts in 8 s (--trace-gc); with 32 MB none, and 45 → 32 µs of CPU per message in
// those runs. The price is memory: 7.5 instead of 6.2 KB per peer with 19,900 peers (bench/signaling).
// `npm start`, `npx dyad` and the tests all run this file through its shebang.
// Dyad is written in TypeScript; tsx compiles it on load so the package runs from source with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
