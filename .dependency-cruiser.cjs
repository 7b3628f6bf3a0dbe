// Layer order of src/: a layer may import only the layers listed for it (and itself).
// Cross-layer imports go through the other layer's public face, its index.ts.
const allowedLayers = {
  util: [],
  sdp: ['util'],
  stun: ['util'],
  rtp: ['util'],
  srtp: ['util', 'rtp'],
  dtls: ['util'],
  sctp: ['util'],
  turn: ['util', 'stun'],
  ice: ['util', 'stun', 'turn', 'sdp'],
  datachannel: ['util', 'sctp'],
  peer: ['util', 'sdp', 'stun', 'turn', 'ice', 'dtls', 'srtp', 'rtp', 'sctp', 'datachannel'],
  signaling: ['util'],
  client: ['util', 'signaling'],
  server: ['util', 'stun', 'turn', 'signaling'],
  cli: [
    'util',
    'sdp',
    'stun',
    'turn',
    'ice',
    'dtls',
    'sctp',
    'datachannel',
    'peer',
    'signaling',
    'client',
    'server',
  ],
};

const layers = Object.keys(allowedLayers);

const layerRules = layers.map((layer) => {
  const forbiddenTargets = layers.filter((other) => other !== layer && !allowedLayers[layer].includes(other));
  return {
    name: `layer-${layer}`,
    comment: `src/${layer} may import only: ${allowedLayers[layer].join(', ') || 'nothing'}`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${forbiddenTargets.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'public-face-only',
      comment: 'Another layer is imported through its index.ts, never its internals.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/(?!index\\.ts$)', pathNot: '^src/$1/' },
    },
    {
      name: 'unknown-layer',
      comment: 'Every folder of src/ is a layer listed in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: `^src/(?!(${layers.join('|')})/)` },
      to: {},
    },
    { name: 'no-circular', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
