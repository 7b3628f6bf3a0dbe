#!/usr/bin/env -S node --max-semi-space-size=32
// --max-semi-space-size: the signaling server allocates a few KB per relayed message, all short-lived. With
// V8's default young generation (16 MB semi-spaces) `dyad serve` settled into a full mark-compact every
// ~150 ms at 10,000 messages/s (--trace-gc), about a quarter of its CPU; with 32 MB it runs none
// (bench/signaling). `npm start`, `npx dyad` and the tests all run this file through its shebang.
// Dyad is written in TypeScript; tsx compiles it on load so the package runs from source with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
