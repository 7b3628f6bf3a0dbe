#!/usr/bin/env -S node --max-semi-space-size=32 --initial-old-space-size=128 --no-allocation-site-pretenuring
// V8 heap flags for the signaling server, measured with bench/signaling (3,000-byte relays, --trace-gc):
// --max-semi-space-size=32: it allocates ~10 KB per relayed message, all short-lived. With V8's default young
//   generation (16 MB semi-spaces) relaying 10,000 messages/s among 200 peers ran ~27 full mark-compacts in 8 s.
// --initial-old-space-size=128: each scavenge still promotes ~0.5 MB (--trace-gc-nvp), and V8 started
//   incremental marking (--trace-incremental-marking: "Start (task)") whenever the old generation's headroom
//   above the ~18 MB live heap came near the young generation's size: 15 mark-compacts in a 5 s phase at
//   10,000 messages/s after 19,900 peers had come and gone. With room to grow first, 2 in that phase; with 200
//   peers, CPU per message at 10,000 messages/s fell from 41-44 to 27-32 µs (three rounds per setting).
// The price is memory: the heap may grow to ~128 MB before its first full GC (V8's memory reducer shrinks it
// when traffic stops); 6.7 KB per peer with 19,900 peers.
// --no-allocation-site-pretenuring: the ~0.5 MB promoted per scavenge came from V8's pretenuring. While
//   19,900 peers join, the objects of allocation sites shared with relaying live long, V8 starts allocating
//   those sites' objects in the old generation, and relayed messages then keep their young parts alive
//   until the next full GC. Without it: ~10 KB promoted per scavenge after the same storm (--trace-gc-nvp),
//   4 mark-compacts in the whole run instead of 15 in one phase; CPU per message at 10,000 messages/s
//   36.2 µs against PeerServer's 45.2 (medians of 3 rounds, 19,900 peers; 47.8 vs 47.6 without the flag).
// `npm start`, `npx dyad` and the tests all run this file through its shebang.
// Dyad is written in TypeScript; tsx compiles it on load so the package runs from source with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
